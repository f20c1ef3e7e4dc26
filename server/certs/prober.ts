import "server-only";
import type { PanelConfig } from "@/lib/config-schema";
import { formatDate, probeSignals } from "@/lib/certs/signals";
import { checkKey } from "@/lib/certs/view";
import type { CertThresholds, HttpsCheck, TlsProbe } from "@/lib/certs/types";
import { mapConcurrent } from "@/server/probes/prober";
import type { PanelDb } from "@/server/db/open";
import { latestTlsResults, pruneTlsHistory, recordTlsSweep, type TlsProbeRecord } from "@/server/db/tls-probes";
import { checkHttpsOnly, parseAddress, probeTls, trustedCas, type Address } from "./probe";

/**
 * The TLS prober, like the health prober: a server-side loop that probes every Ingress host (a TLS
 * handshake) and checks every Ingress host for HTTPS-only (plain HTTP redirected, HSTS), every
 * `certificates.probeIntervalSeconds`, with at most `probeConcurrency` at once and a deadline per
 * probe, so hosts that never answer cost one timeout side by side. Results go to SQLite (history
 * kept `historyDays`), listeners are told, and the latest are kept in memory.
 */

/** What to probe: every host, and every Ingress host with the path to check. */
export interface TlsTargets {
  hosts: string[];
  checks: Array<{ ingress: string; host: string; path: string }>;
}

export interface TlsSweep {
  startedAt: number;
  durationMs: number;
  probes: TlsProbe[];
  checks: HttpsCheck[];
  /** True for a sweep of every target. */
  complete: boolean;
}

export type TlsSweepListener = (sweep: TlsSweep) => void;

/** Settings (from `certificates.*`). */
export interface TlsProberSettings {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  thresholds: CertThresholds;
  historyDays: number;
  /** CA list handshakes verify against. */
  ca: string[];
  /** Where a host's probes connect. */
  addressOf: (host: string) => { https: Address; http: Address };
}

export interface TlsProberDeps {
  targets(): Promise<TlsTargets>;
  db: PanelDb | null;
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

/** The verdict stored with a probe: its worst signal, or the validity end when it is fine. */
export function probeRecord(probe: TlsProbe, thresholds: CertThresholds, now: number): TlsProbeRecord {
  const signals = probeSignals(probe, now, thresholds);
  const first = signals[0];
  return {
    probe,
    state: first ? first.state : "ok",
    summary: first ? first.message : `Valid until ${formatDate(probe.certificate?.notAfter ?? now)}, trusted, names the host`,
  };
}

export class TlsProber {
  private readonly now: () => number;
  private readonly latestProbes = new Map<string, TlsProbe>();
  private readonly latestChecks = new Map<string, HttpsCheck>();
  private readonly listeners = new Set<TlsSweepListener>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<TlsSweep> | undefined;
  private lastPruneAt = 0;
  private version = 0;

  constructor(
    private readonly deps: TlsProberDeps,
    readonly settings: TlsProberSettings,
  ) {
    this.now = deps.now ?? Date.now;
    if (deps.db) {
      try {
        const latest = latestTlsResults(deps.db);
        for (const p of latest.probes) this.latestProbes.set(p.host, p);
        for (const c of latest.checks) this.latestChecks.set(checkKey(c.ingress, c.host), c);
      } catch (error) {
        deps.log?.("warn", "could not read the latest TLS probes", { err: (error as Error).message });
      }
    }
  }

  /** Starts the loop: a sweep now, then one every interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Changes with every sweep (for caches of views built on the results). */
  get resultsVersion(): number {
    return this.version;
  }

  /** The latest probe of every host. */
  probes(): ReadonlyMap<string, TlsProbe> {
    return this.latestProbes;
  }

  /** The latest HTTPS-only check of every Ingress host (key: `ingress|host`). */
  checks(): ReadonlyMap<string, HttpsCheck> {
    return this.latestChecks;
  }

  onSweep(listener: TlsSweepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Probes now: every target, or only the given hosts (their TLS probe and their Ingress checks). */
  probeNow(hosts?: readonly string[]): Promise<TlsSweep> {
    return this.sweep(hosts);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      this.current = this.sweep().catch((error: unknown) => {
        this.deps.log?.("error", "TLS probe sweep failed", { err: error instanceof Error ? error.message : String(error) });
        return { startedAt: started, durationMs: 0, probes: [], checks: [], complete: false };
      });
      void this.current.then(() => this.schedule(Math.max(0, this.settings.intervalMs - (this.now() - started))));
    }, delayMs);
    this.timer.unref?.();
  }

  private async sweep(only?: readonly string[]): Promise<TlsSweep> {
    const startedAt = this.now();
    const t0 = performance.now();
    const targets = await this.deps.targets();
    const wanted = only ? new Set(only) : undefined;
    const hosts = wanted ? targets.hosts.filter((h) => wanted.has(h)) : targets.hosts;
    const checks = wanted ? targets.checks.filter((c) => wanted.has(c.host)) : targets.checks;
    const { timeoutMs, concurrency, ca } = this.settings;
    type Task = { kind: "probe"; host: string } | { kind: "check"; target: TlsTargets["checks"][number] };
    const tasks: Task[] = [...hosts.map((host) => ({ kind: "probe" as const, host })), ...checks.map((target) => ({ kind: "check" as const, target }))];
    const results = await mapConcurrent(tasks, concurrency, async (task) => {
      if (task.kind === "probe") return probeTls(task.host, this.settings.addressOf(task.host).https, { timeoutMs, ca });
      return checkHttpsOnly(task.target, this.settings.addressOf(task.target.host), { timeoutMs });
    });
    const probes = results.filter((r): r is TlsProbe => "outcome" in r);
    const checked = results.filter((r): r is HttpsCheck => "ingress" in r);
    if (!wanted) {
      const keepHosts = new Set(targets.hosts);
      for (const h of this.latestProbes.keys()) if (!keepHosts.has(h)) this.latestProbes.delete(h);
      const keepChecks = new Set(targets.checks.map((c) => checkKey(c.ingress, c.host)));
      for (const k of this.latestChecks.keys()) if (!keepChecks.has(k)) this.latestChecks.delete(k);
    }
    for (const p of probes) this.latestProbes.set(p.host, p);
    for (const c of checked) this.latestChecks.set(checkKey(c.ingress, c.host), c);
    this.version++;
    const sweep: TlsSweep = { startedAt, durationMs: Math.round(performance.now() - t0), probes, checks: checked, complete: !wanted };
    this.persist(sweep);
    for (const l of this.listeners) {
      try {
        l(sweep);
      } catch (error) {
        this.deps.log?.("error", "a TLS sweep listener failed", { err: (error as Error).message });
      }
    }
    return sweep;
  }

  private persist(sweep: TlsSweep): void {
    const db = this.deps.db;
    if (!db) return;
    try {
      const now = this.now();
      recordTlsSweep(
        db,
        sweep.probes.map((p) => probeRecord(p, this.settings.thresholds, now)),
        sweep.checks,
      );
      if (now - this.lastPruneAt > 3_600_000) {
        this.lastPruneAt = now;
        const gone = pruneTlsHistory(db, now, this.settings.historyDays);
        if (gone > 0) this.deps.log?.("info", "TLS probe history retention", { deleted: gone });
      }
    } catch (error) {
      this.deps.log?.("error", "could not store TLS probes", { err: (error as Error).message });
    }
  }
}

/** Prober settings from the configuration (the CA file's content is passed in by the caller). */
export function tlsProberSettingsOf(config: Pick<PanelConfig, "certificates">, caPem?: string): TlsProberSettings {
  const c = config.certificates;
  const httpsDefault = c.httpsAddress ? parseAddress(c.httpsAddress) : undefined;
  const httpDefault = c.httpAddress ? parseAddress(c.httpAddress) : undefined;
  return {
    intervalMs: c.probeIntervalSeconds * 1000,
    timeoutMs: c.probeTimeoutMs,
    concurrency: c.probeConcurrency,
    thresholds: { warnDays: c.warnDays, criticalDays: c.criticalDays },
    historyDays: c.historyDays,
    ca: trustedCas(caPem),
    addressOf: (host) => {
      const own = c.addresses[host];
      return {
        https: own?.https ? parseAddress(own.https) : (httpsDefault ?? { host, port: 443 }),
        http: own?.http ? parseAddress(own.http) : (httpDefault ?? { host, port: 80 }),
      };
    },
  };
}
