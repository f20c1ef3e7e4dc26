import "server-only";
import type { DiscoveredService } from "@/lib/services";
import { getAppInstances } from "@/server/apps/instances";
import { resolveApp, type ResolveDeps } from "@/server/apps/resolve";
import { getUrlBaseVerifier } from "@/server/apps/url-base";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { listServices, onServicesChanged, readSecretValue, readWorkloadEnv } from "@/server/k8s";
import { logger } from "@/server/observability/logger";
import { getRegistry } from "@/server/observability/metrics";
import { Prober, proberSettingsOf, type ProbeListener, type SweepResult } from "./prober";
import type { ServiceProbeResult } from "./results";

/**
 * The panel's one prober, wired to discovery, the Secrets, SQLite and the metrics registry. Start it
 * once from the panel's start-up (`startProber()`); it keeps probing with no browser open. A change in
 * the cluster (a workload scaled, a pod crashing) updates the verdicts at once and probes the changed
 * services' apps within a second, without waiting for the next sweep.
 */

const log = logger.child({ component: "prober" });
const holder = globalThis as typeof globalThis & { __panelProber?: Prober; __panelProberWatch?: boolean };

function createPanelProber(): Prober {
  const config = getConfig();
  const settings = proberSettingsOf(config);
  const resolveDeps: ResolveDeps = {
    config,
    readSecretValue,
    readWorkloadEnv,
    env: process.env,
    timeoutMs: settings.timeoutMs,
    urlBases: getUrlBaseVerifier(),
  };
  return new Prober(
    {
      listServices,
      resolve: (service, ctx) => resolveApp(service, resolveDeps, ctx),
      urlBases: getUrlBaseVerifier(),
      db: getDb(),
      registry: getRegistry(),
      instances: getAppInstances(),
      log: (level, message, fields) => log[level](fields ?? {}, message),
    },
    settings,
  );
}

/** The process-wide prober (created, not started, on first use). */
export function getProber(): Prober {
  holder.__panelProber ??= createPanelProber();
  return holder.__panelProber;
}

/** What decides a service's Kubernetes status: replicas and pod readiness (not events or restart counts). */
function readinessSignature(s: DiscoveredService): string {
  const k = s.kube;
  return `${k.desired}/${k.ready}/${k.available}|${k.pods.map((p) => `${p.name}:${p.ready ? 1 : 0}${p.containers.map((c) => (c.ready ? 1 : 0)).join("")}`).join(",")}`;
}

/** A service is probed again after a cluster change at most this often. */
const CHANGE_PROBE_MIN_GAP_MS = 5_000;

/**
 * Follows discovery: refreshes verdicts at once and, when a service's readiness changed, probes its
 * app within a second (at most once per 5 s per service, so a crash-looping pod does not make the
 * panel hammer its app).
 */
function watchDiscovery(prober: Prober): void {
  if (holder.__panelProberWatch) return;
  holder.__panelProberWatch = true;
  const seen = new Map<string, string>();
  const lastTriggered = new Map<string, number>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const listener = (services: DiscoveredService[]): void => {
    const now = Date.now();
    for (const s of services) {
      const sig = readinessSignature(s);
      const before = seen.get(s.id);
      seen.set(s.id, sig);
      if (before === undefined || before === sig) continue;
      if (now - (lastTriggered.get(s.id) ?? 0) < CHANGE_PROBE_MIN_GAP_MS) continue;
      lastTriggered.set(s.id, now);
      pending.add(s.id);
    }
    prober.refreshVerdicts(services);
    if (pending.size > 0 && !timer) {
      timer = setTimeout(() => {
        const ids = [...pending];
        pending = new Set();
        timer = undefined;
        prober.probeNow(ids).catch((error: unknown) => log.warn({ err: (error as Error).message }, "probe after a cluster change failed"));
      }, 500);
      timer.unref?.();
    }
    // Discovery may hand a listener one change only: subscribe again (adding the same function twice is a no-op).
    setTimeout(() => onServicesChanged(listener), 0).unref?.();
  };
  onServicesChanged(listener);
}

/**
 * Starts the prober loop (idempotent): a sweep now, then every `health.probeIntervalSeconds`. Called
 * from the panel's start-up.
 */
export function startProber(): Prober {
  const prober = getProber();
  if (!prober.isRunning) {
    prober.start();
    watchDiscovery(prober);
    log.info({ settings: proberSettingsOf(getConfig()) }, "prober started");
  }
  return prober;
}

/** Stops the loop (shutdown, tests). */
export async function stopProber(): Promise<void> {
  await holder.__panelProber?.stop();
}

/** Probes every service (or the given ids) now and returns the sweep. */
export function probeNow(serviceIds?: readonly string[]): Promise<SweepResult> {
  return getProber().probeNow(serviceIds);
}

/** The latest probe result of every service. */
export function getLatestResults(): Map<string, ServiceProbeResult> {
  return getProber().getLatestResults();
}

/** Subscribes to probe results (each sweep, each targeted probe, each verdict refresh). */
export function onProbeResults(listener: ProbeListener): () => void {
  return getProber().onProbeResults(listener);
}

