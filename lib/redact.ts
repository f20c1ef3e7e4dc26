/** Key names whose values are secrets and never stored, logged or shown. */
const SECRET_KEY = /pass(word)?|token|secret|api[-_]?key|apikey|authorization|cookie|credential|private/i;

/**
 * A short, secret-free summary of an action's input for the audit log: secret-looking keys are
 * replaced by "[redacted]", long strings are cut, nesting is bounded.
 */
export function summarizeInput(input: unknown, depth = 0): unknown {
  if (input === null || input === undefined) return input ?? null;
  if (typeof input === "string") return input.length > 200 ? `${input.slice(0, 200)}…` : input;
  if (typeof input === "number" || typeof input === "boolean") return input;
  if (depth >= 4) return "[…]";
  if (Array.isArray(input)) return input.slice(0, 20).map((v) => summarizeInput(v, depth + 1));
  if (typeof input === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input as Record<string, unknown>).slice(0, 40)) {
      out[key] = SECRET_KEY.test(key) ? "[redacted]" : summarizeInput(value, depth + 1);
    }
    return out;
  }
  return String(input);
}

/** Shows at most the last four characters of a secret: "present, ends in …4f2a". */
export function describeSecret(value: string | undefined | null): string {
  if (!value) return "missing";
  return value.length >= 12 ? `present, ends in …${value.slice(-4)}` : "present";
}
