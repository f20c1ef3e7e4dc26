import type { IngressHost } from "./ingress-hosts";
import { redirectDisabled } from "./ingress-hosts";
import { CERT_STATE_SEVERITY, type CertificateInfo, type CertificateRequestInfo, type CertSignal, type CertState, type CertThresholds, type HttpsCheck, type IssuerInfo, type TlsProbe } from "./types";

/**
 * Pure verdicts: from cert-manager's report, a live probe or an HTTPS-only check to signals in words.
 * Every function takes `now`, so tests pin the clock.
 */

export const DAY_MS = 86_400_000;

/** Default thresholds (`certificates.warnDays`, `certificates.criticalDays`). */
export const DEFAULT_THRESHOLDS: CertThresholds = { warnDays: 30, criticalDays: 7 };

/** Days from `now` to `iso` (negative when past); undefined for a missing or unreadable time. */
export function daysUntil(iso: string | undefined, now: number): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : (t - now) / DAY_MS;
}

/** `2026-03-01` */
export function formatDate(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 10);
}

/** "in 10 days", "in 5 hours", "3 days ago", "just now". */
export function relativeTime(iso: string | number, now: number): string {
  const t = typeof iso === "number" ? iso : Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const diff = t - now;
  const abs = Math.abs(diff);
  const unit = abs >= 2 * DAY_MS ? [Math.floor(abs / DAY_MS), "days"] : abs >= 2 * 3_600_000 ? [Math.floor(abs / 3_600_000), "hours"] : abs >= 120_000 ? [Math.floor(abs / 60_000), "minutes"] : undefined;
  if (!unit) return abs < 60_000 ? "just now" : diff > 0 ? "in a minute" : "a minute ago";
  if (unit[0] === 1) unit[1] = String(unit[1]).replace(/s$/, "");
  return diff > 0 ? `in ${unit[0]} ${unit[1]}` : `${unit[0]} ${unit[1]} ago`;
}

/** Whole days left for the UI ("10 days left"); negative when expired. */
export function wholeDays(days: number): number {
  return days >= 0 ? Math.floor(days) : -Math.ceil(-days);
}

/** The worst state of a list of signals (`ok` without any). */
export function worstState(signals: readonly { state: CertState }[]): CertState {
  let worst: CertState = "ok";
  for (const s of signals) if (CERT_STATE_SEVERITY[s.state] > CERT_STATE_SEVERITY[worst]) worst = s.state;
  return worst;
}

/** Signals sorted worst first (stable). */
export function worstFirst<T extends { state: CertState }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => CERT_STATE_SEVERITY[b.state] - CERT_STATE_SEVERITY[a.state]);
}

/** The expiry signal of a validity end, or none while it is far enough. `what` starts the sentence. */
export function expirySignal(notAfter: string | undefined, now: number, t: CertThresholds, what = "Expires"): CertSignal | undefined {
  const days = daysUntil(notAfter, now);
  if (days === undefined || notAfter === undefined) return undefined;
  const when = formatDate(notAfter);
  if (days < 0) return { kind: "expired", state: "critical", message: `${what === "Expires" ? "Expired" : `${what} expired`} ${relativeTime(notAfter, now)} (${when})` };
  const left = wholeDays(days);
  const words = left === 0 ? `${relativeTime(notAfter, now)}` : `in ${left} day${left === 1 ? "" : "s"}`;
  if (days < t.criticalDays) return { kind: "expires_critical", state: "critical", message: `${what} ${words} (${when})` };
  if (days < t.warnDays) return { kind: "expires_soon", state: "warning", message: `${what} ${words} (${when})` };
  return undefined;
}

function conditionWords(c: { reason?: string; message?: string } | undefined): string {
  if (!c) return "";
  if (c.message && c.reason && !c.message.includes(c.reason)) return `${c.reason}: ${c.message}`;
  return c.message ?? c.reason ?? "";
}

/** True while cert-manager is issuing the certificate (the Issuing condition is True). */
export function isIssuing(cert: CertificateInfo): boolean {
  return cert.issuing?.status === "True";
}

/** True when cert-manager reports that the last issuance failed. */
export function renewalFailing(cert: CertificateInfo): boolean {
  if (isIssuing(cert)) return false;
  return (cert.issuing?.status === "False" && cert.issuing.reason === "Failed") || ((cert.failedIssuanceAttempts ?? 0) > 0 && cert.lastFailureTime !== undefined);
}

/** The words of a failed renewal: cert-manager's message, the attempts and when the last one failed. */
export function renewalFailure(cert: CertificateInfo, request: CertificateRequestInfo | undefined, now: number): string {
  const reason =
    (cert.issuing?.status === "False" ? conditionWords(cert.issuing) : "") ||
    (request?.ready?.status === "False" ? conditionWords(request.ready) : "") ||
    "cert-manager reports failed issuance attempts";
  const attempts = cert.failedIssuanceAttempts;
  const extra = [
    attempts !== undefined && attempts > 0 ? `${attempts} failed attempt${attempts === 1 ? "" : "s"}` : "",
    cert.lastFailureTime ? `last ${relativeTime(cert.lastFailureTime, now)}` : "",
  ].filter(Boolean);
  return `${reason}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
}

/** Everything wrong with a Certificate as cert-manager reports it. */
export function certificateSignals(
  cert: CertificateInfo,
  issuer: IssuerInfo | undefined,
  latestRequest: CertificateRequestInfo | undefined,
  now: number,
  t: CertThresholds,
): CertSignal[] {
  const out: CertSignal[] = [];
  const expiry = expirySignal(cert.notAfter, now, t);
  if (expiry) out.push(expiry);
  if (cert.notAfter === undefined && !isIssuing(cert)) {
    out.push({ kind: "not_ready", state: "critical", message: `Never issued${cert.ready ? `: ${conditionWords(cert.ready)}` : ""}` });
  }
  if (renewalFailing(cert)) {
    const days = daysUntil(cert.notAfter, now);
    const state = days === undefined || days < t.criticalDays ? "critical" : "warning";
    out.push({ kind: "renewal_failing", state, message: `Renewal failing: ${renewalFailure(cert, latestRequest, now)}` });
  } else if (cert.ready?.status === "False" && cert.notAfter !== undefined && !isIssuing(cert)) {
    out.push({ kind: "not_ready", state: "warning", message: `Not ready: ${conditionWords(cert.ready)}` });
  }
  if (issuer === undefined && cert.issuerRef.name) {
    out.push({ kind: "issuer_not_ready", state: "warning", message: `Its ${cert.issuerRef.kind} ${cert.issuerRef.name} does not exist (or the panel may not read it)` });
  } else if (issuer && issuer.ready?.status !== "True") {
    out.push({ kind: "issuer_not_ready", state: "warning", message: `Its ${issuer.kind} ${issuer.name} is not ready${issuer.ready ? `: ${conditionWords(issuer.ready)}` : ""}` });
  }
  return worstFirst(out);
}

/** OpenSSL verification codes in words. */
const CHAIN_ERRORS: Record<string, string> = {
  CERT_HAS_EXPIRED: "the certificate has expired",
  CERT_NOT_YET_VALID: "the certificate is not valid yet",
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "its chain ends in a root the panel does not trust",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its issuer is not trusted (no chain to a known root)",
  UNABLE_TO_GET_ISSUER_CERT: "its issuer is not trusted (no chain to a known root)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its issuer is not trusted (no chain to a known root)",
  CERT_SIGNATURE_FAILURE: "its signature does not verify",
  CERT_REVOKED: "it is revoked",
  CERT_CHAIN_TOO_LONG: "its chain is too long",
  INVALID_CA: "a certificate of its chain is not a CA",
};

/** A verification code in words. */
export function chainErrorWords(code: string | undefined): string {
  if (!code) return "the chain does not verify";
  return CHAIN_ERRORS[code] ?? code;
}

/** What the handshake of a host says, on its own (expiry, name, trust), or that there was none. */
export function probeSignals(probe: TlsProbe, now: number, t: CertThresholds): CertSignal[] {
  if (probe.outcome !== "ok" || !probe.certificate) {
    const why = probe.outcome === "timeout" ? `no handshake within the timeout (${probe.error ?? "timeout"})` : (probe.error ?? probe.outcome);
    return [{ kind: "no_tls_answer", state: "critical", message: `No TLS answer from ${probe.address}: ${why}` }];
  }
  const out: CertSignal[] = [];
  const cert = probe.certificate;
  const expiry = expirySignal(cert.notAfter, now, t, "Serves a certificate that expires");
  if (expiry) {
    out.push(
      expiry.kind === "expired"
        ? { ...expiry, message: `Serves a certificate that expired ${relativeTime(cert.notAfter, now)} (${formatDate(cert.notAfter)})` }
        : expiry,
    );
  }
  if (probe.nameMatches === false) {
    const names = cert.sans.length > 0 ? cert.sans.join(", ") : (cert.commonName ?? cert.subject);
    out.push({ kind: "wrong_name", state: "critical", message: `Serves a certificate for ${names}, not for ${probe.host}` });
  }
  if (probe.chainTrusted === false && probe.chainError !== "CERT_HAS_EXPIRED" && probe.chainError !== "CERT_NOT_YET_VALID") {
    out.push({ kind: "untrusted", state: "critical", message: `Not trusted: ${chainErrorWords(probe.chainError)} (issuer ${cert.issuer})` });
  }
  return worstFirst(out);
}

/** How the served certificate relates to the one cert-manager reports it issued. */
export type IssuedMatch = "issued" | "older" | "newer";

/** Compares a served certificate's validity with the Certificate's status (to the second). */
export function compareWithIssued(served: { notBefore: string; notAfter: string }, cert: CertificateInfo): IssuedMatch | undefined {
  if (!cert.notAfter) return undefined;
  const a = Math.floor(Date.parse(served.notAfter) / 1000);
  const b = Math.floor(Date.parse(cert.notAfter) / 1000);
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  if (a === b) return "issued";
  return a < b ? "older" : "newer";
}

/** The redirect an HTTPS-only check expects: 301/308 (302/307 count too) to https on the same host. */
export function redirectsToHttps(check: HttpsCheck): boolean {
  const status = check.http.status;
  if (status === undefined || ![301, 302, 307, 308].includes(status) || !check.http.location) return false;
  try {
    const url = new URL(check.http.location, `http://${check.host}${check.path}`);
    return url.protocol === "https:" && url.hostname.toLowerCase() === check.host;
  } catch {
    return false;
  }
}

/** `max-age` of a Strict-Transport-Security value, in seconds. */
export function hstsMaxAge(value: string | undefined): number | undefined {
  const m = value ? /max-age\s*=\s*"?(\d+)"?/i.exec(value) : null;
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

/** "1 year", "6 months", "2 days", "300 s". */
export function durationWords(seconds: number): string {
  if (seconds >= 365 * 86_400) return `${Math.round((seconds / (365 * 86_400)) * 10) / 10} year${seconds >= 2 * 365 * 86_400 ? "s" : ""}`;
  if (seconds >= 60 * 86_400) return `${Math.round(seconds / (30 * 86_400))} months`;
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} days`;
  return `${seconds} s`;
}

/**
 * The HTTPS-only verdict of one Ingress host: plain HTTP on the same host and path must redirect to
 * HTTPS, the HTTPS answer must carry HSTS, and the host must not be served on plain HTTP only.
 */
export function httpsOnlySignals(host: IngressHost, check: HttpsCheck | undefined): CertSignal[] {
  const out: CertSignal[] = [];
  if (!host.tls) {
    out.push({ kind: "no_tls_block", state: "warning", message: `The Ingress has no tls block for ${host.host}` });
  }
  if (!check) return worstFirst(out);
  const redirected = redirectsToHttps(check);
  const httpsServed = check.https.status !== undefined;
  if (!redirected) {
    const answer =
      check.http.error !== undefined
        ? `plain HTTP could not be checked (${check.http.error})`
        : check.http.status !== undefined && [301, 302, 307, 308].includes(check.http.status)
          ? `plain HTTP redirects to ${check.http.location ?? "nowhere"}, not to HTTPS on ${host.host}`
          : `plain HTTP answers ${check.http.status ?? "?"} instead of redirecting to HTTPS`;
    if (check.http.error === undefined && (!host.tls || !httpsServed)) {
      out.push({ kind: "plain_http_only", state: "critical", message: `Served on plain HTTP only: ${answer}` });
    } else if (check.http.error === undefined) {
      out.push({ kind: "no_redirect", state: "critical", message: `${answer[0]?.toUpperCase()}${answer.slice(1)}${redirectDisabled(host) ? " (ssl-redirect is \"false\")" : ""}` });
    }
  }
  if (httpsServed && host.tls) {
    const maxAge = hstsMaxAge(check.https.hsts);
    if (check.https.hsts === undefined) out.push({ kind: "no_hsts", state: "warning", message: "No Strict-Transport-Security header on the HTTPS answer" });
    else if (maxAge === undefined || maxAge === 0) out.push({ kind: "no_hsts", state: "warning", message: `Strict-Transport-Security "${check.https.hsts}" does not keep browsers on HTTPS (max-age ${maxAge ?? "missing"})` });
  }
  return worstFirst(out);
}
