import "server-only";
import type { IntegrationsView } from "@/lib/integrations/types";
import { scrubSecrets } from "@/server/apps/http";
import { discoverAppEnds, readLinks, type EngineOptions } from "./engine";
import { secretsOf } from "./ends";
import { readKeyStatuses } from "./keys";
import { currentVpn } from "./vpn";

/** Replaces every known secret value in every string of a plain value (the last guard before the browser). */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrubSecrets(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * Everything the Integrations page shows, from one discovery: every link read from the apps, the
 * key status per app and the VPN verdicts. Never throws; never carries a secret value.
 */
export async function readIntegrationsView(options: EngineOptions = {}): Promise<IntegrationsView> {
  const started = performance.now();
  const { source, snapshot } = await discoverAppEnds(options);
  const [links, keys, vpn] = await Promise.all([
    readLinks({ ...options, source, snapshot }),
    readKeyStatuses(snapshot),
    currentVpn({ source, services: snapshot.services, fresh: true }),
  ]);
  const view: IntegrationsView = {
    links: links.links,
    keys,
    vpn,
    notices: links.notices,
    readAt: Date.now(),
    durationMs: Math.round(performance.now() - started),
  };
  return scrubDeep(view, secretsOf(snapshot.ends));
}
