import type { DiscoveredService } from "../services";
import type { ClusterSnapshot } from "../k8s/types";
import { issuerOf, toCertificateInfo, toCertificateRequestInfo, toCronJobInfo, toIssuerInfo } from "./cert-manager";
import { hostNames, ingressHosts, servingIngress, type IngressHost } from "./ingress-hosts";
import {
  certificateSignals,
  compareWithIssued,
  daysUntil,
  formatDate,
  hstsMaxAge,
  httpsOnlySignals,
  isIssuing,
  probeSignals,
  redirectsToHttps,
  relativeTime,
  worstFirst,
  worstState,
  type IssuedMatch,
} from "./signals";
import type {
  CertificateInfo,
  CertificateRequestInfo,
  CertSignal,
  CertState,
  CertThresholds,
  CronJobInfo,
  HostHistoryPoint,
  HttpsCheck,
  IssuerInfo,
  TlsProbe,
} from "./types";

/**
 * The Certificates page as data: cert-manager's Certificates joined to the Ingresses that name their
 * Secret (in any watched namespace, copies included) and to the services behind them; each Ingress
 * host with what it really serves; stale copies with the CronJob that copies them; the HTTPS-only
 * rows. Pure: the server hands in the caches, the latest probes and the clock.
 */

/** A service as the certificate view links it. */
export interface ServiceRef {
  id: string;
  displayName: string;
}

/** A CronJob that copies a Secret, with its last run in words. */
export interface CronJobRef extends CronJobInfo {
  lastRun: string;
  /** False when the last scheduled run did not succeed (or the CronJob is suspended). */
  healthy: boolean;
}

/** One Ingress that names a Certificate's Secret. */
export interface CertificateUse {
  ingress: string;
  hosts: string[];
  /** `namespace/name` of the Secret it names. */
  secret: string;
  /** True when that Secret is a copy (another namespace than the Certificate's). */
  copy: boolean;
}

export interface CertificateRow {
  cert: CertificateInfo;
  state: CertState;
  /** `Issuing` while cert-manager issues, else from Ready. */
  phase: "Issuing" | "Ready" | "Not ready" | "Unknown";
  daysLeft?: number;
  signals: CertSignal[];
  issuer?: IssuerInfo;
  latestRequest?: CertificateRequestInfo;
  usedBy: CertificateUse[];
  services: ServiceRef[];
  /** The CronJobs that copy its Secret into other namespaces. */
  copiedBy: CronJobRef[];
}

/** What the panel knows about the certificate a host serves, compared with cert-manager's. */
export interface HostCertificate {
  id: string;
  match?: IssuedMatch;
  /** The revision cert-manager reports. */
  revision?: number;
  /** The revision of the served certificate, when a CertificateRequest produced it. */
  servedRevision?: number;
  notAfter?: string;
  copy: boolean;
}

export interface HostRow {
  host: string;
  state: CertState;
  signals: CertSignal[];
  probe?: TlsProbe;
  /** The Ingress (and Secret) the ingress controller serves the host's certificate from. */
  servedFrom?: { ingress: string; secret: string };
  certificate?: HostCertificate;
  services: ServiceRef[];
  history: HostHistoryPoint[];
}

export interface StaleCopyRow {
  host: string;
  /** `namespace/name` of the stale Secret. */
  secret: string;
  certificate: string;
  servedNotAfter: string;
  issuedNotAfter: string;
  servedRevision?: number;
  issuedRevision?: number;
  cronJobs: CronJobRef[];
  message: string;
}

export interface HttpsOnlyRow {
  ingress: string;
  namespace: string;
  name: string;
  host: string;
  path: string;
  tls: boolean;
  check?: HttpsCheck;
  redirect: "yes" | "no" | "unknown";
  hstsMaxAge?: number;
  state: CertState;
  signals: CertSignal[];
  /** True when a pull request can add what is missing (the tls block or the redirect). */
  fixable: boolean;
  services: ServiceRef[];
}

/** One problem of the page, for the banner and the summary list. */
export interface CertProblem {
  subject: string;
  /** Anchor on the Certificates page. */
  anchor: string;
  signal: CertSignal;
}

export interface CertificatesView {
  generatedAt: number;
  thresholds: CertThresholds;
  source: { connected: boolean; message: string; problems: string[] };
  summary: { state: CertState; headline: string; problems: CertProblem[] };
  certificates: CertificateRow[];
  hosts: HostRow[];
  staleCopies: StaleCopyRow[];
  httpsOnly: HttpsOnlyRow[];
  issuers: IssuerInfo[];
  lastProbeAt: number | null;
}

/** What the view is built from. */
export interface CertViewInput {
  now: number;
  thresholds: CertThresholds;
  snapshot: Pick<ClusterSnapshot, "ingresses" | "certificates" | "certificaterequests" | "issuers" | "clusterissuers" | "cronjobs">;
  services: ReadonlyArray<Pick<DiscoveredService, "id" | "namespace" | "displayName" | "service" | "ingressUrls">>;
  probes: ReadonlyMap<string, TlsProbe>;
  checks: ReadonlyMap<string, HttpsCheck>;
  history?: ReadonlyMap<string, HostHistoryPoint[]>;
  source: { connected: boolean; message: string; problems: string[] };
}

/** Key of an HTTPS-only check: the Ingress and the host. */
export function checkKey(ingress: string, host: string): string {
  return `${ingress}|${host}`;
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The last run of a CronJob in words, and whether it went well. */
export function cronJobRun(job: CronJobInfo, now: number): { lastRun: string; healthy: boolean } {
  const schedule = job.schedule ? ` (schedule "${job.schedule}")` : "";
  if (job.suspend) return { lastRun: `suspended${schedule}`, healthy: false };
  if (job.active > 0) return { lastRun: `running now${job.lastSuccessfulTime ? `; last success ${relativeTime(job.lastSuccessfulTime, now)}` : ""}`, healthy: true };
  if (!job.lastScheduleTime) return { lastRun: `has not run yet${schedule}`, healthy: true };
  const ran = relativeTime(job.lastScheduleTime, now);
  const succeeded = job.lastSuccessfulTime !== undefined && Date.parse(job.lastSuccessfulTime) >= Date.parse(job.lastScheduleTime);
  if (succeeded) return { lastRun: `last run ${ran}, succeeded${schedule}`, healthy: true };
  return {
    lastRun: `last run ${ran} did not succeed; ${job.lastSuccessfulTime ? `last success ${relativeTime(job.lastSuccessfulTime, now)}` : "never succeeded"}${schedule}`,
    healthy: false,
  };
}

function phaseOf(cert: CertificateInfo): CertificateRow["phase"] {
  if (isIssuing(cert)) return "Issuing";
  if (cert.ready?.status === "True") return "Ready";
  if (cert.ready?.status === "False") return "Not ready";
  return "Unknown";
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Builds the page. */
export function buildCertificatesView(input: CertViewInput): CertificatesView {
  const { now, thresholds: t, snapshot } = input;
  const certs = (snapshot.certificates ?? []).map(toCertificateInfo).filter((c): c is CertificateInfo => c !== undefined).sort(byId);
  const requests = (snapshot.certificaterequests ?? []).map(toCertificateRequestInfo).filter((r): r is CertificateRequestInfo => r !== undefined);
  const issuers = [
    ...(snapshot.clusterissuers ?? []).map((i) => toIssuerInfo(i, "ClusterIssuer")),
    ...(snapshot.issuers ?? []).map((i) => toIssuerInfo(i, "Issuer")),
  ].filter((i): i is IssuerInfo => i !== undefined);
  const cronJobs = (snapshot.cronjobs ?? []).map(toCronJobInfo).filter((c): c is CronJobInfo => c !== undefined);
  const hosts = ingressHosts(snapshot.ingresses);

  const servicesOfBackends = (namespace: string, backends: readonly string[]): ServiceRef[] =>
    input.services.filter((s) => s.namespace === namespace && s.service !== undefined && backends.includes(s.service.name)).map((s) => ({ id: s.id, displayName: s.displayName }));
  const servicesOfHost = (host: string): ServiceRef[] =>
    input.services.filter((s) => s.ingressUrls.some((u) => hostOfUrl(u) === host)).map((s) => ({ id: s.id, displayName: s.displayName }));
  const unique = (refs: ServiceRef[]): ServiceRef[] => [...new Map(refs.map((r) => [r.id, r])).values()].sort(byId);

  const latestRequestOf = (cert: CertificateInfo): CertificateRequestInfo | undefined =>
    requests
      .filter((r) => r.certificate === cert.id)
      .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0) || (b.createdAt ?? "").localeCompare(a.createdAt ?? ""))[0];
  const copiers = (secretName: string, sourceNamespace: string): CronJobRef[] =>
    cronJobs
      .filter((j) => j.mentions.includes(secretName))
      .sort((a, b) => Number(b.namespace === sourceNamespace) - Number(a.namespace === sourceNamespace) || a.name.localeCompare(b.name))
      .map((j) => ({ ...j, ...cronJobRun(j, now) }));

  // Certificates.
  const certificateRows: CertificateRow[] = certs.map((cert) => {
    const usedBy: CertificateUse[] = [];
    const byIngress = new Map<string, IngressHost[]>();
    for (const h of hosts) {
      if (h.tlsSecret !== cert.secretName || cert.secretName === "") continue;
      byIngress.set(h.ingress, [...(byIngress.get(h.ingress) ?? []), h]);
    }
    for (const [ingress, list] of [...byIngress].sort(([a], [b]) => a.localeCompare(b))) {
      const first = list[0] as IngressHost;
      usedBy.push({ ingress, hosts: list.map((h) => h.host), secret: `${first.namespace}/${cert.secretName}`, copy: first.namespace !== cert.namespace });
    }
    const services = unique([...byIngress.values()].flatMap((list) => list.flatMap((h) => servicesOfBackends(h.namespace, h.backends))));
    const issuer = issuerOf(cert, issuers);
    const latestRequest = latestRequestOf(cert);
    const days = daysUntil(cert.notAfter, now);
    return {
      cert,
      state: "ok",
      phase: phaseOf(cert),
      ...(days !== undefined ? { daysLeft: days } : {}),
      signals: certificateSignals(cert, issuer, latestRequest, now, t),
      ...(issuer ? { issuer } : {}),
      ...(latestRequest ? { latestRequest } : {}),
      usedBy,
      services,
      copiedBy: usedBy.some((u) => u.copy) ? copiers(cert.secretName, cert.namespace) : [],
    };
  });

  // Hosts: what each one really serves.
  const staleCopies: StaleCopyRow[] = [];
  const hostRows: HostRow[] = hostNames(hosts).map((host) => {
    const probe = input.probes.get(host);
    const serving = servingIngress(hosts, host);
    const servedFrom = serving?.tlsSecret ? { ingress: serving.ingress, secret: `${serving.namespace}/${serving.tlsSecret}` } : undefined;
    const signals: CertSignal[] = probe ? probeSignals(probe, now, t) : [];
    let certificate: HostCertificate | undefined;
    if (serving?.tlsSecret) {
      const candidates = certs.filter((c) => c.secretName === serving.tlsSecret);
      // Several Certificates may write one Secret: the one whose certificate is served, else the one
      // issued last (the Secret holds what was written last).
      const served0 = probe?.certificate;
      const byNewest = [...candidates].sort((a, b) => Date.parse(b.notAfter ?? "") - Date.parse(a.notAfter ?? "") || (a.id < b.id ? -1 : 1));
      const cert = (served0 ? candidates.find((c) => compareWithIssued(served0, c) === "issued") : undefined) ?? byNewest.find((c) => c.notAfter !== undefined) ?? candidates[0];
      if (cert) {
        const served = probe?.certificate;
        const match = served ? compareWithIssued(served, cert) : undefined;
        const servedRevision = served ? requests.find((r) => r.certificate === cert.id && r.issued?.serial === served.serial)?.revision : undefined;
        const copy = serving.namespace !== cert.namespace;
        certificate = {
          id: cert.id,
          ...(match ? { match } : {}),
          ...(cert.revision !== undefined ? { revision: cert.revision } : {}),
          ...(servedRevision !== undefined ? { servedRevision } : {}),
          ...(cert.notAfter ? { notAfter: cert.notAfter } : {}),
          copy,
        };
        if (served && match === "older" && cert.notAfter) {
          const revisions = servedRevision !== undefined && cert.revision !== undefined ? ` (revision ${servedRevision}; cert-manager issued revision ${cert.revision})` : cert.revision !== undefined ? ` (cert-manager issued revision ${cert.revision})` : "";
          if (copy) {
            const jobs = copiers(serving.tlsSecret, cert.namespace);
            const by = jobs.length > 0 ? `; copied by CronJob ${jobs.map((j) => `${j.namespace}/${j.name} (${j.lastRun})`).join(", ")}` : "; no CronJob in the watched namespaces mentions it";
            const message = `Stale copy: the Secret ${servedFrom?.secret} holds the certificate ending ${formatDate(served.notAfter)}, cert-manager issued ${cert.id} ending ${formatDate(cert.notAfter)}${revisions}${by}`;
            signals.push({ kind: "stale_copy", state: "warning", message });
            staleCopies.push({
              host,
              secret: servedFrom?.secret ?? "",
              certificate: cert.id,
              servedNotAfter: served.notAfter,
              issuedNotAfter: cert.notAfter,
              ...(servedRevision !== undefined ? { servedRevision } : {}),
              ...(cert.revision !== undefined ? { issuedRevision: cert.revision } : {}),
              cronJobs: jobs,
              message,
            });
          } else {
            signals.push({
              kind: "outdated",
              state: "warning",
              message: `Serves the certificate ending ${formatDate(served.notAfter)}, older than the one cert-manager issued (ending ${formatDate(cert.notAfter)})${revisions}: the ingress has not picked up the renewed Secret`,
            });
          }
        } else if (served && match === "newer") {
          signals.push({ kind: "not_issued", state: "warning", message: `Serves a certificate ending ${formatDate(served.notAfter)}, not the one ${cert.id} reports (ending ${formatDate(cert.notAfter ?? "")})` });
        }
      }
    }
    const sorted = worstFirst(signals);
    return {
      host,
      state: probe ? worstState(sorted) : "unknown",
      signals: sorted,
      ...(probe ? { probe } : {}),
      ...(servedFrom ? { servedFrom } : {}),
      ...(certificate ? { certificate } : {}),
      services: unique(servicesOfHost(host)),
      history: input.history?.get(host) ?? [],
    };
  });

  // A certificate with stale copies says so too.
  for (const row of certificateRows) {
    const stale = staleCopies.filter((s) => s.certificate === row.cert.id);
    if (stale.length > 0) {
      row.signals = worstFirst([
        ...row.signals,
        { kind: "stale_copy", state: "warning", message: `${stale.length === 1 ? "A copy is" : `${stale.length} copies are`} stale: ${[...new Set(stale.map((s) => s.secret))].join(", ")} (served for ${stale.map((s) => s.host).join(", ")})` },
      ]);
    }
    row.state = worstState(row.signals);
  }

  // HTTPS-only rows: one per Ingress host.
  const httpsOnly: HttpsOnlyRow[] = hosts
    .map((h): HttpsOnlyRow => {
      const check = input.checks.get(checkKey(h.ingress, h.host));
      const signals = httpsOnlySignals(h, check);
      const redirect = check ? (redirectsToHttps(check) ? "yes" : check.http.error ? "unknown" : "no") : "unknown";
      const maxAge = check ? hstsMaxAge(check.https.hsts) : undefined;
      return {
        ingress: h.ingress,
        namespace: h.namespace,
        name: h.name,
        host: h.host,
        path: h.paths[0] ?? "/",
        tls: h.tls,
        ...(check ? { check } : {}),
        redirect,
        ...(maxAge !== undefined ? { hstsMaxAge: maxAge } : {}),
        state: check ? worstState(signals) : signals.length > 0 ? worstState(signals) : "unknown",
        signals,
        fixable: signals.some((s) => s.kind === "no_tls_block" || s.kind === "plain_http_only" || s.kind === "no_redirect"),
        services: unique(servicesOfBackends(h.namespace, h.backends)),
      };
    })
    .sort((a, b) => a.host.localeCompare(b.host) || a.ingress.localeCompare(b.ingress));

  const problems: CertProblem[] = [
    ...certificateRows.flatMap((r) => r.signals.map((signal) => ({ subject: `Certificate ${r.cert.id}`, anchor: `cert-${r.cert.namespace}-${r.cert.name}`, signal }))),
    ...hostRows.flatMap((r) => r.signals.map((signal) => ({ subject: r.host, anchor: `host-${r.host}`, signal }))),
    ...httpsOnly.flatMap((r) => r.signals.map((signal) => ({ subject: `${r.host} (Ingress ${r.ingress})`, anchor: `https-${r.namespace}-${r.name}-${r.host}`, signal }))),
  ];
  const sortedProblems = worstFirst(problems.map((p) => ({ ...p, state: p.signal.state }))).map(({ state: _state, ...p }) => p);
  const state = worstState(sortedProblems.map((p) => p.signal));
  const critical = sortedProblems.filter((p) => p.signal.state === "critical").length;
  const warnings = sortedProblems.filter((p) => p.signal.state === "warning").length;
  const measured = hostRows.some((h) => h.probe) || certificateRows.length > 0;
  const headline =
    sortedProblems.length === 0
      ? certificateRows.length === 0 && hostRows.length === 0
        ? "No certificates or Ingress hosts found in the watched namespaces."
        : measured
          ? `All ${certificateRows.length} certificate${certificateRows.length === 1 ? "" : "s"} and ${hostRows.length} host${hostRows.length === 1 ? "" : "s"} are fine.`
          : "Waiting for the first TLS probe."
      : [critical > 0 ? `${critical} critical` : "", warnings > 0 ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""].filter(Boolean).join(", ");
  let lastProbeAt: number | null = null;
  for (const p of input.probes.values()) lastProbeAt = Math.max(lastProbeAt ?? 0, p.at);
  return {
    generatedAt: now,
    thresholds: t,
    source: input.source,
    summary: { state: sortedProblems.length === 0 && !measured ? "unknown" : state, headline, problems: sortedProblems },
    certificates: certificateRows,
    hosts: hostRows,
    staleCopies,
    httpsOnly,
    issuers: issuers.sort((a, b) => `${a.kind}/${a.namespace ?? ""}/${a.name}`.localeCompare(`${b.kind}/${b.namespace ?? ""}/${b.name}`)),
    lastProbeAt,
  };
}

/** The worst certificate signal of each affected service (for the service cards and pages). */
export function serviceCertificateSignals(view: CertificatesView): Map<string, { state: CertState; message: string; subject: string }> {
  const out = new Map<string, { state: CertState; message: string; subject: string }>();
  const offer = (services: readonly ServiceRef[], subject: string, signals: readonly CertSignal[]) => {
    const worst = signals[0];
    if (!worst) return;
    for (const s of services) {
      const prev = out.get(s.id);
      if (!prev || (prev.state === "warning" && worst.state === "critical")) out.set(s.id, { state: worst.state, message: worst.message, subject });
    }
  };
  for (const r of view.certificates) offer(r.services, `Certificate ${r.cert.name}`, r.signals);
  for (const r of view.hosts) offer(r.services, r.host, r.signals);
  for (const r of view.httpsOnly) offer(r.services, `${r.host} (Ingress ${r.name})`, r.signals);
  return out;
}
