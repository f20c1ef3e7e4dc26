import type { CertManagerCertificate, CertManagerCertificateRequest, CertManagerCondition, CertManagerIssuer, CronJob } from "../k8s/types";
import type { CertificateInfo, CertificateRequestInfo, ConditionInfo, CronJobInfo, IssuerInfo } from "./types";

/**
 * Reshapes cert-manager's objects (cert-manager.io/v1, as the informers cache them) and CronJobs into
 * the certificate model. Every field is read defensively: a half-written status is shown as what it is.
 */

const ANNOTATION_CERTIFICATE_NAME = "cert-manager.io/certificate-name";
const ANNOTATION_REVISION = "cert-manager.io/certificate-revision";

function condition(conditions: readonly CertManagerCondition[] | undefined, type: string): ConditionInfo | undefined {
  const c = conditions?.find((x) => x.type === type);
  if (!c) return undefined;
  const status = c.status === "True" || c.status === "False" ? c.status : "Unknown";
  return {
    status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
  };
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A Certificate, or undefined for an object without a name. */
export function toCertificateInfo(raw: CertManagerCertificate): CertificateInfo | undefined {
  const name = raw.metadata?.name;
  if (!name) return undefined;
  const namespace = raw.metadata?.namespace ?? "default";
  const spec = raw.spec ?? {};
  const status = raw.status ?? {};
  const issuer = spec.issuerRef ?? {};
  const ready = condition(status.conditions, "Ready");
  const issuing = condition(status.conditions, "Issuing");
  return {
    id: `${namespace}/${name}`,
    namespace,
    name,
    secretName: text(spec.secretName) ?? "",
    dnsNames: Array.isArray(spec.dnsNames) ? spec.dnsNames.filter((d): d is string => typeof d === "string") : [],
    ...(text(spec.commonName) ? { commonName: spec.commonName } : {}),
    issuerRef: { name: text(issuer.name) ?? "", kind: text(issuer.kind) ?? "Issuer", group: text(issuer.group) ?? "cert-manager.io" },
    ...(ready ? { ready } : {}),
    ...(issuing ? { issuing } : {}),
    ...(text(status.notBefore) ? { notBefore: status.notBefore } : {}),
    ...(text(status.notAfter) ? { notAfter: status.notAfter } : {}),
    ...(text(status.renewalTime) ? { renewalTime: status.renewalTime } : {}),
    ...(count(status.revision) !== undefined ? { revision: status.revision } : {}),
    ...(text(status.lastFailureTime) ? { lastFailureTime: status.lastFailureTime } : {}),
    ...(count(status.failedIssuanceAttempts) !== undefined ? { failedIssuanceAttempts: status.failedIssuanceAttempts } : {}),
  };
}

/** A CertificateRequest, or undefined for an object without a name. */
export function toCertificateRequestInfo(raw: CertManagerCertificateRequest): CertificateRequestInfo | undefined {
  const name = raw.metadata?.name;
  if (!name) return undefined;
  const namespace = raw.metadata?.namespace ?? "default";
  const annotations = raw.metadata?.annotations ?? {};
  const owner = raw.metadata?.ownerReferences?.find((o) => o.kind === "Certificate");
  const certName = text(annotations[ANNOTATION_CERTIFICATE_NAME]) ?? owner?.name;
  const revision = Number(annotations[ANNOTATION_REVISION]);
  const ready = condition(raw.status?.conditions, "Ready");
  const approved = condition(raw.status?.conditions, "Approved");
  const denied = condition(raw.status?.conditions, "Denied");
  const issued = raw.issued && typeof raw.issued.serial === "string" && typeof raw.issued.notAfter === "string" ? raw.issued : undefined;
  return {
    namespace,
    name,
    ...(certName ? { certificate: `${namespace}/${certName}` } : {}),
    ...(Number.isInteger(revision) && revision > 0 ? { revision } : {}),
    ...(raw.metadata?.creationTimestamp ? { createdAt: raw.metadata.creationTimestamp } : {}),
    ...(ready ? { ready } : {}),
    ...(approved ? { approved: approved.status === "True" } : {}),
    ...(denied ? { denied: denied.status === "True" } : {}),
    ...(issued ? { issued } : {}),
  };
}

function solverName(solver: Record<string, unknown>): string {
  for (const type of ["dns01", "http01"]) {
    const s = solver[type];
    if (s && typeof s === "object") {
      const provider = Object.keys(s as Record<string, unknown>).find((k) => k !== "cnameStrategy" && k !== "ingress");
      return provider ? `${type} (${provider})` : type;
    }
  }
  return "other";
}

/** An Issuer or ClusterIssuer, or undefined for an object without a name. */
export function toIssuerInfo(raw: CertManagerIssuer, kind: IssuerInfo["kind"]): IssuerInfo | undefined {
  const name = raw.metadata?.name;
  if (!name) return undefined;
  const spec = raw.spec ?? {};
  const type = (["acme", "ca", "selfSigned", "vault", "venafi"] as const).find((t) => spec[t] !== undefined) ?? "other";
  const ready = condition(raw.status?.conditions, "Ready");
  return {
    kind,
    ...(kind === "Issuer" ? { namespace: raw.metadata?.namespace ?? "default" } : {}),
    name,
    type,
    ...(text(spec.acme?.server) ? { acmeServer: spec.acme?.server } : {}),
    solvers: (spec.acme?.solvers ?? []).filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null).map(solverName),
    ...(ready ? { ready } : {}),
  };
}

/** A CronJob, or undefined for an object without a name. */
export function toCronJobInfo(raw: CronJob): CronJobInfo | undefined {
  const name = raw.metadata?.name;
  if (!name) return undefined;
  return {
    namespace: raw.metadata?.namespace ?? "default",
    name,
    ...(text(raw.spec?.schedule) ? { schedule: raw.spec?.schedule } : {}),
    suspend: raw.spec?.suspend === true,
    ...(text(raw.status?.lastScheduleTime) ? { lastScheduleTime: raw.status?.lastScheduleTime } : {}),
    ...(text(raw.status?.lastSuccessfulTime) ? { lastSuccessfulTime: raw.status?.lastSuccessfulTime } : {}),
    active: raw.status?.active?.length ?? 0,
    mentions: Array.isArray(raw.mentions) ? raw.mentions : [],
  };
}

/** The issuer a Certificate names, among the known ones. */
export function issuerOf(cert: CertificateInfo, issuers: readonly IssuerInfo[]): IssuerInfo | undefined {
  const kind = cert.issuerRef.kind === "ClusterIssuer" ? "ClusterIssuer" : "Issuer";
  return issuers.find((i) => i.kind === kind && i.name === cert.issuerRef.name && (kind === "ClusterIssuer" || i.namespace === cert.namespace));
}
