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

/**
 * Shows at most the last four characters of a secret ("present, ends in …4f2a") so an admin can tell
 * which key is configured; viewers (`withSuffix: false`) learn only that it is there.
 */
export function describeSecret(value: string | undefined | null, options: { withSuffix?: boolean } = {}): string {
  if (!value) return "missing";
  return value.length >= 12 && options.withSuffix !== false ? `present, ends in …${value.slice(-4)}` : "present";
}

/** The same description without the suffix: what a viewer sees of a hint made by {@link describeSecret}. */
export function withoutSecretSuffix(hint: string): string {
  return hint.replace(/, ends in …\S*$/, "");
}

/**
 * Secrets shorter than this are not searched for in text: a short password ("admin", "media") would
 * otherwise be replaced wherever the same word appears on a page, mangling it and telling a reader
 * which word the password is.
 */
export const MIN_SCRUBBED_SECRET_LENGTH = 6;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replaces each known secret value in `text` by "[redacted]" where it stands as a whole token (not
 * inside a longer word or key), for secrets of at least {@link MIN_SCRUBBED_SECRET_LENGTH} characters.
 */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  const wanted = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_SCRUBBED_SECRET_LENGTH))];
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of wanted.sort((a, b) => b.length - a.length)) {
    if (!out.includes(secret)) continue;
    out = out.replace(new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(secret)}(?![A-Za-z0-9_])`, "g"), "[redacted]");
  }
  return out;
}
