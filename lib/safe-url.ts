/**
 * Links the panel renders from data it does not control (annotations, app answers, forge answers)
 * must be web links: `javascript:`, `data:` and other schemes would run or show something in the
 * panel's own origin when clicked.
 */
export function isHttpUrl(value: string | undefined | null): value is string {
  if (!value) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** The value when it is an http(s) URL, else undefined. */
export function httpUrlOrUndefined(value: string | undefined | null): string | undefined {
  return isHttpUrl(value) ? value : undefined;
}

/** A link the panel may render from stored data: a path on the panel itself (`/integrations`) or an http(s) URL. */
export function isSafeLink(value: string | undefined | null): value is string {
  if (!value) return false;
  if (value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\")) return true;
  return isHttpUrl(value);
}
