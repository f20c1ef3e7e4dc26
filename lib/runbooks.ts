/**
 * Runbooks: one Markdown file per alert (`alerts/<id>.md`) and per app kind (`apps/<kind>.md`),
 * shipped in `docs/runbooks/` and optionally overridden or added to by the owner's GitOps repository
 * (the folder `alerts.runbooksPath`, same layout). Ids are the path without `.md`; the panel serves
 * them at `/runbooks/<id>`.
 */

export const RUNBOOK_SECTIONS = ["alerts", "apps"] as const;
export type RunbookSection = (typeof RUNBOOK_SECTIONS)[number];

const ID = /^(alerts|apps)\/[a-z0-9][a-z0-9-]{0,80}$/;

/** True for a well-formed runbook id (`alerts/service-down`, `apps/sonarr`). */
export function isRunbookId(value: string): boolean {
  return ID.test(value);
}

/** `alerts/service-down.md` -> `alerts/service-down`; undefined for any other path. */
export function runbookIdOfPath(relativePath: string): string | undefined {
  const m = /^(alerts|apps)\/([a-z0-9][a-z0-9-]*)\.md$/.exec(relativePath);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The runbook id of an app kind. */
export function appRunbookId(kind: string): string {
  return `apps/${kind}`;
}

/** Where a runbook came from. */
export type RunbookOrigin = "panel" | "repository";

/** A runbook as the panel lists it. */
export interface RunbookEntry {
  id: string;
  title: string;
  origin: RunbookOrigin;
  /** For the owner's: the file in the repository; for the panel's: `docs/runbooks/<id>.md`. */
  source: string;
  /** True when the owner's file replaces the panel's. */
  overrides: boolean;
}

/**
 * A link inside runbook `fromId`, made safe: fragments, http(s) URLs, panel paths, and relative links
 * to other runbooks (`service-down.md`, `../apps/sonarr.md#logs`) become `/runbooks/<id>`; anything
 * else (other schemes, paths outside the runbooks) is dropped (undefined: shown as text).
 */
export function resolveRunbookLink(href: string, fromId: string): string | undefined {
  const h = href.trim();
  if (h === "") return undefined;
  if (h.startsWith("#")) return /^#[\w-]+$/.test(h) ? h : undefined;
  if (/^https?:\/\//i.test(h)) {
    try {
      const u = new URL(h);
      return u.hostname ? u.toString() : undefined;
    } catch {
      return undefined;
    }
  }
  if (h.startsWith("/")) return h.startsWith("//") || h.startsWith("/\\") ? undefined : h;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return undefined;
  const [pathPart = "", fragment] = h.split("#", 2);
  const dir = fromId.split("/").slice(0, -1);
  const parts = [...dir];
  for (const p of pathPart.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(p);
  }
  const id = runbookIdOfPath(parts.join("/"));
  if (!id) return undefined;
  return `/runbooks/${id}${fragment && /^[\w-]+$/.test(fragment) ? `#${fragment}` : ""}`;
}
