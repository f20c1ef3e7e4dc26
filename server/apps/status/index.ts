import "server-only";
import { APP_CATALOGUE, type KnownAppKind } from "@/lib/apps/catalogue";
import { defineApp, type AppModule } from "../define";
import { StatusClient } from "./client";
import { readStatusHealth } from "./health";

/**
 * The module of an app the panel knows only from the catalogue: its health from the catalogue's
 * identity and readiness endpoints, no credentials, no capabilities. Any kind with such endpoints and
 * no module of its own gets one (Grafana, Loki, Alloy, Promtail, Prometheus, Alertmanager, the
 * Pushgateway, Uptime Kuma, Home Assistant, ntfy, the ingress controllers, cert-manager, Argo CD's
 * components); an app that needs more than a status endpoint gets its own folder instead.
 */

const modules = new Map<KnownAppKind, AppModule | null>();

function build(kind: KnownAppKind): AppModule | null {
  const entry = APP_CATALOGUE[kind];
  const { identity, ready } = entry;
  if ((identity === null && ready === null) || entry.credential.type !== "none") return null;
  // An endpoint on a port of its own (a controller's health server) is where the module calls.
  const own = [identity, ready].find((e) => e !== null && e.port !== null) ?? null;
  const app = defineApp({
    id: kind as "grafana",
    createClient: (target) => new StatusClient({ id: kind, label: entry.label, identity, ready }, target),
    health: readStatusHealth,
  }) as unknown as AppModule;
  return own?.port != null ? { ...app, fixedPort: own.port, statusPath: own.path.split("?")[0] ?? own.path } : app;
}

/** The catalogue-only module of a kind, or undefined when the catalogue gives it no public endpoint (or it needs credentials). */
export function statusModuleOf(kind: KnownAppKind): AppModule | undefined {
  if (!modules.has(kind)) modules.set(kind, build(kind));
  return modules.get(kind) ?? undefined;
}
