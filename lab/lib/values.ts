/** Narrowing of parsed JSON and YAML (manifests, API objects, state files) without casts at every use. */

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a plain object, else an empty one. */
export function rec(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

/** `v` when it is an array, else an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` when it is a string. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
