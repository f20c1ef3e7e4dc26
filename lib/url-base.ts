/**
 * The one normaliser of URL bases (the path prefix an app serves under). Whatever the spelling in a
 * manifest, an annotation or an app's settings, a URL base becomes `/base` without a trailing slash,
 * or `""` for the root: `sonarr/` -> `/sonarr`, `//sonarr//` -> `/sonarr`, `/` -> `""`.
 */
export function normalizeUrlBase(value: string): string {
  const trimmed = value.trim().replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}
