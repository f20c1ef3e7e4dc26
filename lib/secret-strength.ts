/**
 * Whether a value is fit to sign session tokens: long, random-looking, and not a placeholder left
 * from an example. Anyone who knows or guesses AUTH_SECRET can forge an admin session, so the panel
 * refuses to start with a weak one.
 */

/** Words that mark a placeholder or a hand-made value (6+ letters: a random value almost never holds one). */
const PLACEHOLDER_WORDS = ["replace", "change", "example", "placeholder", "secret", "password", "default", "sample", "dummy", "openssl", "insecure", "letmein", "qwerty", "generate"];

/** Shannon entropy of the value's own character frequencies, in bits for the whole value. */
function entropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * value.length;
}

/** True when the value repeats a short unit ("abcabcabc...") or runs up or down six characters in a row. */
function patterned(value: string): boolean {
  for (let unit = 1; unit <= value.length / 3; unit++) {
    if (value.slice(0, unit).repeat(Math.ceil(value.length / unit)).slice(0, value.length) === value) return true;
  }
  let run = 1;
  let previous = 0;
  for (let i = 1; i < value.length; i++) {
    const step = value.charCodeAt(i) - value.charCodeAt(i - 1);
    run = (step === 1 || step === -1) && (run === 1 || step === previous) ? run + 1 : (step === 1 || step === -1 ? 2 : 1);
    previous = step;
    if (run >= 6) return true;
  }
  return /(.)\1{7}/.test(value);
}

/** Why the value is not a usable AUTH_SECRET, or undefined when it is. */
export function weakSecretReason(value: string | undefined): string | undefined {
  if (!value) return "is not set";
  if (value.length < 32) return `is too short (${value.length} characters; at least 32)`;
  const lower = value.toLowerCase();
  if (/[<>{}]|\$\(|\s/.test(value)) return "looks like a placeholder or a command, not a generated value";
  const word = PLACEHOLDER_WORDS.find((w) => lower.includes(w));
  if (word) return `contains the word "${word}": it looks like a placeholder or a hand-made value`;
  if (patterned(value)) return "repeats characters or runs through a sequence";
  const distinct = new Set(value).size;
  if (distinct < 10 || entropyBits(value) < 128) return "has too little randomness";
  return undefined;
}

/** The start-up message for a weak AUTH_SECRET. */
export function weakSecretMessage(reason: string): string {
  return `the value ${reason}. Anyone who can guess it can sign in as admin. Make a random one with: openssl rand -base64 33`;
}
