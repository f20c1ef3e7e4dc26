import "server-only";
import { readFileSync } from "node:fs";
import { ingressHosts, hostNames } from "@/lib/certs/ingress-hosts";
import { buildCertificatesView, serviceCertificateSignals, type CertificatesView } from "@/lib/certs/view";
import type { CertState } from "@/lib/certs/types";
import { AppError } from "@/lib/errors";
import type { ClusterSnapshot } from "@/lib/k8s/types";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { tlsHistory } from "@/server/db/tls-probes";
import { getInformers, listServices, renewCertificate as renewInCluster } from "@/server/k8s";
import type { RenewalRequest } from "@/server/k8s/certificates";
import { logger } from "@/server/observability/logger";
import { getRegistry } from "@/server/observability/metrics";
import { registerCertificateMetrics } from "./metrics";
import { TlsProber, tlsProberSettingsOf, type TlsTargets } from "./prober";

/**
 * The certificates feature, wired to the informers, discovery, SQLite and the metrics registry: the
 * TLS prober (started with the panel, probing with no browser open), the Certificates view, "Renew
 * now", and the change notifications the live events carry. One per process, on globalThis.
 */

const log = logger.child({ component: "certificates" });

/** The kinds whose changes can change the certificate view. */
export const CERTIFICATE_KINDS = ["certificates", "certificaterequests", "issuers", "clusterissuers", "cronjobs", "ingresses"] as const;

/** What changed for the live events: the services whose certificate signal changed, and the hosts probed. */
export interface CertificatesChange {
  at: number;
  services: string[];
  hosts: string[];
}

type Listener = (change: CertificatesChange) => void;

interface Holder {
  prober?: TlsProber;
  watching?: boolean;
  listeners: Set<Listener>;
  view?: { key: string; at: number; value: CertificatesView };
  signals?: Map<string, string>;
  pending?: NodeJS.Timeout;
  reprobe?: { hosts: Set<string>; timer?: NodeJS.Timeout };
}

const holder = globalThis as typeof globalThis & { __panelCertificates?: Holder };

function state(): Holder {
  holder.__panelCertificates ??= { listeners: new Set() };
  return holder.__panelCertificates;
}

function readCa(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new AppError("invalid_input", `certificates.caFile ${file} cannot be read: ${(error as Error).message}`, { source: "config" });
  }
}

function snapshot(): ClusterSnapshot {
  return getInformers().snapshot();
}

/** Every Ingress host, and every Ingress host with the first path of its rule. */
export function targetsOf(snap: Pick<ClusterSnapshot, "ingresses">): TlsTargets {
  const hosts = ingressHosts(snap.ingresses);
  return { hosts: hostNames(hosts), checks: hosts.map((h) => ({ ingress: h.ingress, host: h.host, path: h.paths[0] ?? "/" })) };
}

/** The process-wide TLS prober (created, not started, on first use). */
export function getTlsProber(): TlsProber {
  const s = state();
  if (s.prober) return s.prober;
  const config = getConfig();
  s.prober = new TlsProber(
    {
      targets: async () => {
        if (config.kubernetes.mode === "none") return { hosts: [], checks: [] };
        await getInformers().waitForSync(config.discovery.syncTimeoutMs);
        return targetsOf(snapshot());
      },
      db: getDb(),
      log: (level, message, fields) => log[level](fields ?? {}, message),
    },
    tlsProberSettingsOf(config, readCa(config.certificates.caFile)),
  );
  s.prober.onSweep((sweep) => notify(sweep.probes.map((p) => p.host)));
  return s.prober;
}

function notify(hosts: string[]): void {
  const s = state();
  clearTimeout(s.pending);
  const pendingHosts = hosts;
  s.pending = setTimeout(() => {
    void (async () => {
      if (s.listeners.size === 0) return;
      let changed: string[] = [];
      try {
        const view = await getCertificatesView();
        const next = new Map([...serviceCertificateSignals(view)].map(([id, sig]) => [id, JSON.stringify(sig)]));
        const before = s.signals ?? new Map<string, string>();
        changed = [...new Set([...next.keys(), ...before.keys()])].filter((id) => next.get(id) !== before.get(id));
        s.signals = next;
      } catch (error) {
        log.warn({ err: (error as Error).message }, "could not build the certificate view for a live event");
      }
      const change: CertificatesChange = { at: Date.now(), services: changed, hosts: pendingHosts };
      for (const l of s.listeners) {
        try {
          l(change);
        } catch (error) {
          log.error({ err: error }, "a certificates listener failed");
        }
      }
    })();
  }, 100);
  s.pending.unref?.();
}

/**
 * Follows the informers: a change of cert-manager's objects, CronJobs or Ingresses is told to the
 * listeners at once, and the hosts it concerns are probed again after a short delay (the ingress
 * controller needs a moment to serve a renewed Secret); at most once per 5 s per host.
 */
function watchCluster(prober: TlsProber): void {
  const s = state();
  if (s.watching) return;
  s.watching = true;
  const lastProbed = new Map<string, number>();
  getInformers().onChange((kinds) => {
    if (!kinds.some((k) => (CERTIFICATE_KINDS as readonly string[]).includes(k))) return;
    notify([]);
    const snap = snapshot();
    const hosts = ingressHosts(snap.ingresses);
    const secrets = new Set((snap.certificates ?? []).map((c) => c.spec?.secretName).filter((n): n is string => !!n));
    const concerned = kinds.includes("ingresses") ? hostNames(hosts) : hostNames(hosts.filter((h) => h.tlsSecret !== undefined && secrets.has(h.tlsSecret)));
    const now = Date.now();
    const due = concerned.filter((h) => now - (lastProbed.get(h) ?? 0) >= 5_000);
    if (due.length === 0) return;
    s.reprobe ??= { hosts: new Set() };
    for (const h of due) s.reprobe.hosts.add(h);
    if (s.reprobe.timer) return;
    s.reprobe.timer = setTimeout(() => {
      const list = [...(s.reprobe?.hosts ?? [])];
      if (s.reprobe) s.reprobe = { hosts: new Set() };
      for (const h of list) lastProbed.set(h, Date.now());
      prober.probeNow(list).catch((error: unknown) => log.warn({ err: (error as Error).message }, "TLS probe after a cluster change failed"));
    }, 2_000);
    s.reprobe.timer.unref?.();
  });
}

/** Starts the TLS prober (idempotent); called from the panel's start-up. */
export function startCertificates(): TlsProber {
  const prober = getTlsProber();
  if (!prober.isRunning) {
    prober.start();
    watchCluster(prober);
    registerCertificateMetrics(getRegistry(), () => getCertificatesView());
    log.info({ intervalSeconds: getConfig().certificates.probeIntervalSeconds }, "TLS prober started");
  }
  return prober;
}

/** Stops the prober (shutdown, tests). */
export async function stopCertificates(): Promise<void> {
  await state().prober?.stop();
}

/** Probes every host (or the given ones) now and waits for the results. */
export async function probeCertificatesNow(hosts?: readonly string[]): Promise<{ hosts: number; checks: number; durationMs: number }> {
  const sweep = await getTlsProber().probeNow(hosts);
  return { hosts: sweep.probes.length, checks: sweep.checks.length, durationMs: sweep.durationMs };
}

function sourceState(): CertificatesView["source"] {
  const config = getConfig();
  if (config.kubernetes.mode === "none") return { connected: false, message: "Kubernetes is not configured (kubernetes.mode: none).", problems: [] };
  const st = getInformers().state();
  const problems: string[] = [];
  for (const kind of CERTIFICATE_KINDS) {
    const error = st.kinds[kind]?.error;
    if (!error) continue;
    if (/could not find the requested resource|404/i.test(error)) problems.push(`${kind}: not served by the API server (is cert-manager installed?)`);
    else problems.push(`${kind}: ${error}`);
  }
  return { connected: st.connected, message: st.message, problems };
}

/** Everything the Certificates page shows. Reads caches and SQLite only; cached for a few seconds. */
export async function getCertificatesView(now = Date.now()): Promise<CertificatesView> {
  const config = getConfig();
  const s = state();
  const prober = getTlsProber();
  const informers = config.kubernetes.mode === "none" ? undefined : getInformers();
  const services = informers ? await listServices() : [];
  const key = `${informers?.version ?? 0}:${prober.resultsVersion}:${services.length}`;
  if (s.view && s.view.key === key && now - s.view.at < 5_000) return s.view.value;
  const snap: Pick<ClusterSnapshot, "ingresses" | "certificates" | "certificaterequests" | "issuers" | "clusterissuers" | "cronjobs"> = informers
    ? snapshot()
    : { ingresses: [] };
  let history = new Map<string, never[]>() as ReturnType<typeof tlsHistory>;
  try {
    history = tlsHistory(getDb(), now - 7 * 86_400_000);
  } catch (error) {
    log.warn({ err: (error as Error).message }, "could not read the TLS probe history");
  }
  const value = buildCertificatesView({
    now,
    thresholds: { warnDays: config.certificates.warnDays, criticalDays: config.certificates.criticalDays },
    snapshot: snap,
    services,
    probes: prober.probes(),
    checks: prober.checks(),
    history,
    source: sourceState(),
  });
  s.view = { key, at: now, value };
  return value;
}

/** The worst certificate signal of each affected service. */
export async function getServiceCertificateSignals(): Promise<Map<string, { state: CertState; message: string; subject: string }>> {
  return serviceCertificateSignals(await getCertificatesView());
}

/** Subscribes to certificate changes (cluster objects or probes); returns the unsubscribe function. */
export function onCertificatesChanged(listener: Listener): () => void {
  state().listeners.add(listener);
  return () => state().listeners.delete(listener);
}

/** "Renew now": sets the Certificate's Issuing condition (see server/k8s/certificates.ts). */
export async function renewCertificate(namespace: string, name: string): Promise<RenewalRequest> {
  const result = await renewInCluster(namespace, name);
  notify([]);
  return result;
}
