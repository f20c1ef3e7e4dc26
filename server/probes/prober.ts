import "server-only";
import type { Registry } from "prom-client";
import type { PanelConfig } from "@/lib/config-schema";
import type { AppHealth, DiscoveredService, ServiceAccess } from "@/lib/services";
import { UPTIME_WINDOWS, type UptimeWindow } from "@/lib/uptime";
import { verdictOf, type VerdictThresholds } from "@/lib/verdict";
import { healthFromError, type AppResolution } from "@/server/apps/define";
import { AppInstances } from "@/server/apps/instances";
import type { UrlBaseVerifier } from "@/server/apps/url-base";
import type { PanelDb } from "@/server/db/open";
import { applyRetention, latestResults, recordProbeResults, uptimeAll, type RetentionPolicy } from "@/server/db/probes";
import { ProbeMetrics } from "./metrics";
import { fromProbeRecord, toProbeRecord, type ServiceProbeResult } from "./results";

/**
 * The prober: a server-side loop that probes every discovered service on an interval, whether or not
 * a browser is open. Each sweep runs at most `concurrency` probes at once, and each probe has its own
 * deadline (an AbortController aborts its requests, and a timer settles it even if a module ignored
 * the signal), so one hung app costs one timeout and never delays the others. Every result is
 * written to SQLite (history survives a restart; the latest results are read back at start), the
 * Prometheus series are updated, and listeners are told.
 *
 * Services without an app module are "probed" too: their verdict comes from Kubernetes alone and is
 * recorded, so they have uptime as well.
 */

/** One sweep. */
export interface SweepResult {
  startedAt: number;
  durationMs: number;
  results: ServiceProbeResult[];
  /** True for a sweep of every service (false for `probeNow(ids)`). */
  complete: boolean;
}

export type ProbeListener = (sweep: SweepResult) => void;

/** Settings of the prober (from `health.*`). */
export interface ProberSettings {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  thresholds: VerdictThresholds;
  retention: RetentionPolicy;
  /** How often the retention job runs (default 10 min). */
  retentionEveryMs?: number;
}

/** What the prober needs from the rest of the panel (injected in tests). */
export interface ProberDeps {
  listServices(): Promise<DiscoveredService[]>;
  /** Where and how to call a service's app (with its URL base verified when `urlBases` is given to it). */
  resolve(service: DiscoveredService, ctx?: { signal?: AbortSignal }): Promise<AppResolution | undefined>;
  /** The URL base verifier `resolve` uses: told when a base stops working, pruned with the services. */
  urlBases?: UrlBaseVerifier;
  /** Storage; null runs without history. */
  db: PanelDb | null;
  /** Registry for the metrics; null for none. */
  registry: Registry | null;
  instances?: AppInstances;
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

function settle<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(onTimeout()), ms);
    }),
  ]);
}

/** Runs `work` over `items` with at most `limit` at a time; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** What the service page shows of a resolution: addresses, the URL base and why, where the credential came from. */
function accessOf(resolution: AppResolution): ServiceAccess | undefined {
  if (!resolution.urlBase) return undefined;
  return {
    baseUrl: resolution.target.baseUrl,
    ...(resolution.inClusterUrl ? { inClusterUrl: resolution.inClusterUrl } : {}),
    urlBase: resolution.urlBase,
    ...(resolution.credentialSource ? { credentialSource: resolution.credentialSource } : {}),
    ...(resolution.credentialProblem ? { credentialProblem: resolution.credentialProblem } : {}),
  };
}

/** The wrong annotation as a check of the app's health (the app is fine; its description is not). */
function withAnnotationCheck(health: AppHealth, resolution: AppResolution): AppHealth {
  const wrong = resolution.urlBase?.wrongAnnotation;
  if (!wrong || health.status === "down") return health;
  return { ...health, status: health.status === "up" ? "degraded" : health.status, checks: [...health.checks, { name: "url-base", status: "degraded", message: wrong, origin: "probe" }] };
}

/**
 * Replaces a refused-credentials message by what is missing, or says where the rejected key came
 * from. A credential the panel withheld from this workload is said whatever the app answered (an
 * app that looks up without its key is not the one the owner meant, or needs the owner's opt-in).
 */
function explainCredentials(health: AppHealth, resolution: AppResolution): AppHealth {
  if (resolution.credentialError === "withheld" && resolution.credentialProblem) {
    const check = { name: "Credentials", status: "degraded" as const, message: resolution.credentialProblem, origin: "probe" as const };
    return {
      ...health,
      status: health.status === "up" ? "degraded" : health.status,
      checks: [check, ...health.checks],
      detail: resolution.credentialProblem,
    };
  }
  if (health.errorCode !== "unauthorized") return health;
  if (resolution.credentialProblem) return { ...health, detail: resolution.credentialProblem };
  if (resolution.credentialSource && health.detail) return { ...health, detail: `${health.detail}; the key comes from ${resolution.credentialSource}` };
  return health;
}

export class Prober {
  private readonly deps: ProberDeps;
  private readonly settings: ProberSettings;
  private readonly instances: AppInstances;
  private readonly metrics: ProbeMetrics | null;
  private readonly now: () => number;
  private readonly latest = new Map<string, ServiceProbeResult>();
  private readonly listeners = new Set<ProbeListener>();
  private readonly inFlight = new Map<string, Promise<ServiceProbeResult>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<SweepResult> | undefined;
  private lastRetentionAt = 0;
  private lastSweep: SweepResult | undefined;

  constructor(deps: ProberDeps, settings: ProberSettings) {
    this.deps = deps;
    this.settings = settings;
    this.instances = deps.instances ?? new AppInstances();
    this.metrics = deps.registry ? new ProbeMetrics(deps.registry) : null;
    this.now = deps.now ?? Date.now;
    if (deps.db) this.seedFromHistory(deps.db);
  }

  /** Starts the loop: a sweep now, then one every interval (measured from start to start). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop and waits for a running sweep. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The latest result of every service (from history right after a restart, then from sweeps). */
  getLatestResults(): Map<string, ServiceProbeResult> {
    return new Map(this.latest);
  }

  /** When the last sweep (complete or not) started; null before the first. */
  get lastSweepAt(): number | null {
    return this.lastSweep?.startedAt ?? null;
  }

  /** Subscribes to sweep results; returns the unsubscribe function. */
  onProbeResults(listener: ProbeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Probes now: every service, or only `serviceIds`. A service whose probe is already running is not
   * probed twice: its running probe is awaited.
   */
  async probeNow(serviceIds?: readonly string[]): Promise<SweepResult> {
    return this.sweep(serviceIds);
  }

  /**
   * Folds a new Kubernetes view into the verdicts without probing the apps again (after a change in
   * the cluster: a scaled-down workload shows as down at once). Not recorded in the history.
   */
  refreshVerdicts(services: readonly DiscoveredService[]): ServiceProbeResult[] {
    const changed: ServiceProbeResult[] = [];
    for (const s of services) {
      const prev = this.latest.get(s.id);
      if (!prev) continue;
      const verdict = verdictOf(s.kube, prev.app, this.settings.thresholds, { appName: s.displayName });
      if (JSON.stringify(verdict) === JSON.stringify(prev.verdict)) continue;
      const next = { ...prev, verdict };
      this.latest.set(s.id, next);
      changed.push(next);
    }
    if (changed.length > 0) this.emit({ startedAt: this.now(), durationMs: 0, results: changed, complete: false });
    return changed;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      this.current = this.sweep().catch((error: unknown) => {
        this.deps.log?.("error", "probe sweep failed", { err: error instanceof Error ? error.message : String(error) });
        return { startedAt: started, durationMs: 0, results: [], complete: false };
      });
      void this.current.then(() => this.schedule(Math.max(0, this.settings.intervalMs - (this.now() - started))));
    }, delayMs);
    this.timer.unref?.();
  }

  private async sweep(serviceIds?: readonly string[]): Promise<SweepResult> {
    const startedAt = this.now();
    const t0 = performance.now();
    const all = await this.deps.listServices();
    const wanted = serviceIds ? new Set(serviceIds) : undefined;
    const services = wanted ? all.filter((s) => wanted.has(s.id)) : all;
    if (!wanted) {
      this.instances.prune(all.map((s) => s.id));
      this.deps.urlBases?.prune(all.map((s) => s.id));
    }
    const results = await mapConcurrent(services, this.settings.concurrency, (s) => this.probeOnce(s));
    const durationMs = Math.round(performance.now() - t0);
    const sweep: SweepResult = { startedAt, durationMs, results, complete: !wanted };
    if (!wanted) {
      const ids = new Set(all.map((s) => s.id));
      for (const id of this.latest.keys()) if (!ids.has(id)) this.latest.delete(id);
    }
    for (const r of results) this.latest.set(r.serviceId, r);
    this.lastSweep = sweep;
    this.persist(results);
    this.updateMetrics(sweep);
    this.emit(sweep);
    return sweep;
  }

  private probeOnce(service: DiscoveredService): Promise<ServiceProbeResult> {
    const running = this.inFlight.get(service.id);
    if (running) return running;
    const p = this.probe(service).finally(() => this.inFlight.delete(service.id));
    this.inFlight.set(service.id, p);
    return p;
  }

  private async probe(service: DiscoveredService): Promise<ServiceProbeResult> {
    const at = this.now();
    const t0 = performance.now();
    const base = { serviceId: service.id, namespace: service.namespace, name: service.name, appKind: service.appKind, at };
    const { timeoutMs, thresholds } = this.settings;
    const abort = new AbortController();
    const deadline = (): AppHealth => ({
      status: "down",
      checks: [],
      errorCode: "timeout",
      detail: `${service.displayName} did not answer within ${timeoutMs} ms`,
    });
    let app: AppHealth | undefined;
    let access: ServiceAccess | undefined;
    let appName = service.displayName;
    try {
      app = await settle(
        (async (): Promise<AppHealth | undefined> => {
          let resolution = await this.deps.resolve(service, { signal: abort.signal });
          if (!resolution) return undefined;
          appName = resolution.module.displayName;
          let health = await this.instances.get(resolution).health({ signal: abort.signal });
          // A remembered URL base that stopped working (the app answers, but not there): verify again, once.
          if (health.errorCode === "not_found" && resolution.urlBase && resolution.urlBase.state !== "unchecked" && !resolution.urlBaseCheckedNow && this.deps.urlBases) {
            this.deps.urlBases.forget(service.id);
            const again = await this.deps.resolve(service, { signal: abort.signal });
            if (again) {
              resolution = again;
              health = await this.instances.get(again).health({ signal: abort.signal });
            }
          }
          access = accessOf(resolution);
          return withAnnotationCheck(explainCredentials(health, resolution), resolution);
        })(),
        timeoutMs + 50,
        () => {
          abort.abort();
          return deadline();
        },
      );
    } catch (error) {
      app = healthFromError(error);
    } finally {
      abort.abort();
    }
    const verdict = verdictOf(service.kube, app, thresholds, { appName });
    return { ...base, durationMs: Math.round(performance.now() - t0), ...(app ? { app } : {}), ...(access ? { access } : {}), verdict };
  }

  private persist(results: readonly ServiceProbeResult[]): void {
    const db = this.deps.db;
    if (!db) return;
    try {
      recordProbeResults(db, results.map(toProbeRecord));
      const now = this.now();
      if (now - this.lastRetentionAt >= (this.settings.retentionEveryMs ?? 10 * 60_000)) {
        this.lastRetentionAt = now;
        const deleted = applyRetention(db, now, this.settings.retention);
        if (deleted.results + deleted.minutes + deleted.hours > 0) this.deps.log?.("info", "probe history retention", deleted);
      }
    } catch (error) {
      this.deps.log?.("error", "could not store probe results", { err: error instanceof Error ? error.message : String(error) });
    }
  }

  private updateMetrics(sweep: SweepResult): void {
    if (!this.metrics) return;
    const db = this.deps.db;
    const uptime: Partial<Record<UptimeWindow, Map<string, number | null>>> = {};
    if (db) {
      try {
        for (const w of Object.keys(UPTIME_WINDOWS) as UptimeWindow[]) uptime[w] = uptimeAll(db, w, this.now());
      } catch (error) {
        this.deps.log?.("warn", "could not compute uptime for the metrics", { err: error instanceof Error ? error.message : String(error) });
      }
    }
    const source = sweep.complete ? [...this.latest.values()] : sweep.results;
    this.metrics.update(
      source.map((r) => ({
        labels: { service: r.name, namespace: r.namespace, app: r.appKind },
        status: r.verdict.status,
        latencyMs: r.app?.latencyMs,
        probedAt: r.at,
        uptime: Object.fromEntries(Object.entries(uptime).map(([w, m]) => [w, m?.get(r.serviceId) ?? null])),
      })),
      { durationMs: sweep.durationMs, complete: sweep.complete },
    );
  }

  private emit(sweep: SweepResult): void {
    for (const l of this.listeners) {
      try {
        l(sweep);
      } catch (error) {
        this.deps.log?.("error", "a probe listener failed", { err: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private seedFromHistory(db: PanelDb): void {
    try {
      for (const r of latestResults(db)) this.latest.set(r.serviceId, fromProbeRecord(r));
    } catch (error) {
      this.deps.log?.("warn", "could not read the latest probe results", { err: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** Prober settings from the configuration. */
export function proberSettingsOf(config: Pick<PanelConfig, "health">): ProberSettings {
  const h = config.health;
  return {
    intervalMs: h.probeIntervalSeconds * 1000,
    timeoutMs: h.probeTimeoutMs,
    concurrency: h.probeConcurrency,
    thresholds: { slowMs: h.slowMs, restartsPerHourDegraded: h.restartsPerHourDegraded },
    retention: { rawHours: h.rawRetentionHours, hourDays: h.rollupRetentionDays },
  };
}
