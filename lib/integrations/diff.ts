import { normalizeUrlBase } from "../url-base";
import type { FieldDiff } from "./types";

/**
 * Field-by-field comparison of what an app holds with what the panel would set. Values that mean the
 * same thing compare equal: `sonarr.media.svc.cluster.local` and `sonarr.media` are one Service,
 * `/sonarr/` and `/sonarr` one URL base, `8080` and `"8080"` one port. Secret fields are compared
 * only when the app returns them in clear; a masked value (`********`) cannot be compared and is
 * left to the app's own `test`.
 */

/** How the *arr apps mask a stored secret. */
export const MASKED = "********";

/** How two values of a field are compared. */
export type CompareMode = "exact" | "host" | "url" | "path" | "list";

/** One field the panel wants set to a value. */
export interface DesiredField {
  field: string;
  label: string;
  value: unknown;
  secret?: boolean;
  compare?: CompareMode;
}

/** Options of a comparison. */
export interface DiffOptions {
  /** Namespace of the app holding the setting: a bare Service name there means `<name>.<namespace>`. */
  namespace?: string;
}

/** A value as the UI shows it; null for empty. */
export function formatValue(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((v) => String(v)).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * A Service host reduced to `name.namespace` when it is an in-cluster name (`name`, `name.ns`,
 * `name.ns.svc`, `name.ns.svc.cluster.local`); other hosts lowercased as they are.
 */
export function normalizeHost(host: string, namespace?: string): string {
  const h = host.trim().toLowerCase().replace(/\.$/, "");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(":")) return h;
  const svc = /^([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?$/.exec(h);
  if (svc) return `${svc[1]}.${svc[2]}`;
  if (/^[a-z0-9-]+$/.test(h) && namespace) return `${h}.${namespace}`;
  return h;
}

/** A URL reduced to scheme, normalised host, port and path, so equivalent spellings compare equal. */
export function normalizeUrl(url: string, namespace?: string): string {
  try {
    const u = new URL(url.trim());
    const port = u.port || (u.protocol === "https:" ? "443" : "80");
    return `${u.protocol}//${normalizeHost(u.hostname, namespace)}:${port}${normalizeUrlBase(u.pathname)}`;
  } catch {
    return url.trim();
  }
}

function same(mode: CompareMode, a: unknown, b: unknown, namespace: string | undefined): boolean {
  const empty = (v: unknown) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
  if (empty(a) && empty(b)) return true;
  if (empty(a) !== empty(b)) {
    if (mode === "path") return normalizeUrlBase(String(a ?? "")) === normalizeUrlBase(String(b ?? ""));
    return false;
  }
  switch (mode) {
    case "host":
      return normalizeHost(String(a), namespace) === normalizeHost(String(b), namespace);
    case "url":
      return normalizeUrl(String(a), namespace) === normalizeUrl(String(b), namespace);
    case "path":
      return normalizeUrlBase(String(a)) === normalizeUrlBase(String(b));
    case "list": {
      const xs = (Array.isArray(a) ? a : [a]).map(String).sort();
      const ys = (Array.isArray(b) ? b : [b]).map(String).sort();
      return xs.length === ys.length && xs.every((x, i) => x === ys[i]);
    }
    case "exact":
      return String(a) === String(b);
  }
}

/**
 * The fields whose current value differs from the desired one. A secret field yields a diff only
 * when it is not set at all, or when the app returned it in clear and it differs from the value the
 * panel holds (a secret the panel does not hold, desired `""`, is not compared); the words stand in
 * for the values.
 */
export function diffFields(desired: readonly DesiredField[], current: Readonly<Record<string, unknown>>, options: DiffOptions = {}): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const d of desired) {
    const now = current[d.field];
    if (d.secret) {
      const isSet = typeof now === "string" ? now !== "" : now !== undefined && now !== null;
      if (!isSet) out.push({ field: d.field, label: d.label, current: "not set", desired: "set", secret: true });
      else if (now !== MASKED && d.value !== "" && d.value !== undefined && d.value !== null && String(now) !== String(d.value)) out.push({ field: d.field, label: d.label, current: "differs", desired: "the configured value", secret: true });
      continue;
    }
    if (!same(d.compare ?? "exact", now, d.value, options.namespace)) {
      out.push({ field: d.field, label: d.label, current: formatValue(now), desired: formatValue(d.value) });
    }
  }
  return out;
}

/** "port 8080 -> 9090, category tv-sonarr -> tv" */
export function describeDiff(diff: readonly FieldDiff[]): string {
  return diff
    .map((d) => (d.secret ? `${d.label.toLowerCase()}: ${d.current ?? "not set"} -> ${d.desired ?? "cleared"}` : `${d.label.toLowerCase()} ${d.current ?? "(empty)"} -> ${d.desired ?? "(empty)"}`))
    .join(", ");
}
