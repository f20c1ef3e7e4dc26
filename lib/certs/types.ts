/**
 * The certificate model: what cert-manager reports (Certificates, their requests and issuers), what
 * each Ingress host really serves (the live TLS probe) and whether plain HTTP is redirected (the
 * HTTPS-only check), folded into signals a person can act on. Plain serialisable data: it crosses
 * the server/client boundary as JSON.
 */

/** How bad a certificate, host or Ingress is; `unknown` while nothing was measured. */
export type CertState = "ok" | "warning" | "critical" | "unknown";

/** Order used to put the worst first. */
export const CERT_STATE_SEVERITY: Record<CertState, number> = { critical: 3, warning: 2, unknown: 1, ok: 0 };

/** When a certificate's remaining validity becomes a warning and when it becomes critical (`certificates.*Days`). */
export interface CertThresholds {
  warnDays: number;
  criticalDays: number;
}

/** The closed set of problems the panel reports. */
export const SIGNAL_KINDS = [
  "expired",
  "expires_critical",
  "expires_soon",
  "renewal_failing",
  "not_ready",
  "issuer_not_ready",
  "wrong_name",
  "untrusted",
  "no_tls_answer",
  "stale_copy",
  "outdated",
  "not_issued",
  "plain_http_only",
  "no_redirect",
  "no_hsts",
  "no_tls_block",
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** One problem, in words. */
export interface CertSignal {
  kind: SignalKind;
  state: Exclude<CertState, "ok" | "unknown">;
  message: string;
}

/** A status condition (Ready, Issuing) as the panel shows it. */
export interface ConditionInfo {
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  since?: string;
}

/** A cert-manager Certificate, reshaped from the API object. */
export interface CertificateInfo {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  /** The Secret cert-manager writes the certificate and its key into (never read by the panel). */
  secretName: string;
  dnsNames: string[];
  commonName?: string;
  issuerRef: { name: string; kind: string; group: string };
  ready?: ConditionInfo;
  issuing?: ConditionInfo;
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
  revision?: number;
  lastFailureTime?: string;
  failedIssuanceAttempts?: number;
}

/** One issuance attempt of a Certificate (a CertificateRequest). */
export interface CertificateRequestInfo {
  namespace: string;
  name: string;
  /** The Certificate it belongs to (`namespace/name`), from cert-manager's annotation or the owner. */
  certificate?: string;
  revision?: number;
  createdAt?: string;
  ready?: ConditionInfo;
  approved?: boolean;
  denied?: boolean;
  /** The certificate it produced, read from its public part by the cache. */
  issued?: { serial: string; notBefore: string; notAfter: string };
}

/** An Issuer or ClusterIssuer. */
export interface IssuerInfo {
  kind: "Issuer" | "ClusterIssuer";
  namespace?: string;
  name: string;
  /** acme (with its server), ca, selfSigned, vault, venafi. */
  type: string;
  acmeServer?: string;
  /** Challenge types of an ACME issuer's solvers (`dns01 (route53)`, `http01`). */
  solvers: string[];
  ready?: ConditionInfo;
}

/** A CronJob with what the panel needs of it. */
export interface CronJobInfo {
  namespace: string;
  name: string;
  schedule?: string;
  suspend: boolean;
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  active: number;
  /** Object-name-like words its jobs mention. */
  mentions: string[];
}

/** The certificate a host served in a TLS handshake (public facts only). */
export interface ServedCertificate {
  subject: string;
  commonName?: string;
  sans: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** Hexadecimal, upper case, as OpenSSL prints it. */
  serial: string;
  fingerprint256: string;
}

/** One live TLS probe of a host (SNI = the host, a real handshake). */
export interface TlsProbe {
  host: string;
  /** Where the panel connected (`address:port`). */
  address: string;
  at: number;
  durationMs: number;
  outcome: "ok" | "timeout" | "refused" | "error";
  /** Why the handshake did not complete. */
  error?: string;
  protocol?: string;
  certificate?: ServedCertificate;
  /** True when the chain verifies against the system roots or the configured CA. */
  chainTrusted?: boolean;
  /** OpenSSL's code when it does not (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE...). */
  chainError?: string;
  nameMatches?: boolean;
}

/** The HTTPS-only check of one Ingress host: plain HTTP on the same host and path, then HTTPS. */
export interface HttpsCheck {
  /** `namespace/name` of the Ingress. */
  ingress: string;
  host: string;
  path: string;
  at: number;
  http: { status?: number; location?: string; error?: string };
  https: { status?: number; hsts?: string; error?: string };
}

/** The stored history of a host: one point per probe. */
export interface HostHistoryPoint {
  at: number;
  state: CertState;
  serial?: string;
  notAfter?: string;
  summary: string;
}
