import { describe, expect, it } from "vitest";
import type { CertManagerCertificate, CronJob, Ingress } from "../k8s/types";
import { DAY_MS } from "./signals";
import type { HttpsCheck, TlsProbe } from "./types";
import { buildCertificatesView, checkKey, cronJobRun, serviceCertificateSignals, type CertViewInput } from "./view";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const iso = (d: number) => new Date(NOW + d * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");

const certificate: CertManagerCertificate = {
  metadata: { name: "home-dns", namespace: "argocd" },
  spec: { secretName: "home-tls", dnsNames: ["home.example", "jellyseerr.home.example"], issuerRef: { name: "letsencrypt-dns", kind: "ClusterIssuer" } },
  status: {
    conditions: [
      { type: "Ready", status: "True", reason: "Ready", message: "Certificate is up to date and has not expired" },
      { type: "Issuing", status: "False", reason: "Failed", message: "The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate" },
    ],
    notBefore: iso(-80),
    notAfter: iso(10),
    renewalTime: iso(-20),
    revision: 3,
    lastFailureTime: iso(-0.1),
    failedIssuanceAttempts: 3,
  },
};

const ingress = (ns: string, name: string, host: string, service: string, opts: { secret?: string; created?: string } = {}): Ingress => ({
  metadata: { name, namespace: ns, creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z", annotations: { "nginx.ingress.kubernetes.io/ssl-redirect": "true" } },
  spec: {
    ...(opts.secret ? { tls: [{ hosts: [host], secretName: opts.secret }] } : {}),
    rules: [{ host, http: { paths: [{ path: `/${service}`, backend: { service: { name: service } } }] } }],
  },
});

const cronJob: CronJob = {
  metadata: { name: "sync-cert-secret", namespace: "argocd" },
  spec: { schedule: "*/15 * * * *" },
  status: { lastScheduleTime: iso(-5 / 1440), lastSuccessfulTime: iso(-5 / 1440) },
  mentions: ["home-tls", "bitnami-kubectl"],
};

const servedProbe = (host: string, notAfter: string, over: Partial<TlsProbe> = {}): TlsProbe => ({
  host,
  address: "127.0.0.1:8443",
  at: NOW - 1000,
  durationMs: 10,
  outcome: "ok",
  protocol: "TLSv1.3",
  certificate: { subject: `CN=${host}`, sans: [host], issuer: "CN=lab CA", notBefore: iso(-80), notAfter, serial: "10AB", fingerprint256: "x" },
  chainTrusted: true,
  nameMatches: true,
  ...over,
});

function input(over: Partial<CertViewInput> = {}): CertViewInput {
  const ingresses = [
    ingress("argocd", "argocd-server", "home.example", "argocd-server", { secret: "home-tls", created: "2025-12-01T00:00:00Z" }),
    ingress("media", "sonarr-ingress", "home.example", "sonarr", { secret: "home-tls" }),
    ingress("media", "jellyseerr-ingress", "jellyseerr.home.example", "jellyseerr", { secret: "home-tls" }),
    ingress("homepage", "expired", "expired.home.example", "homepage", { secret: "lab-expired" }),
    ingress("homepage", "plain", "plain.home.example", "homepage"),
  ];
  const probes = new Map<string, TlsProbe>([
    ["home.example", servedProbe("home.example", iso(10))],
    ["jellyseerr.home.example", servedProbe("jellyseerr.home.example", iso(10))],
    ["expired.home.example", servedProbe("expired.home.example", iso(-30), { chainTrusted: false, chainError: "CERT_HAS_EXPIRED" })],
    ["plain.home.example", servedProbe("plain.home.example", iso(300), { nameMatches: false, chainTrusted: false, chainError: "DEPTH_ZERO_SELF_SIGNED_CERT", certificate: { subject: "CN=Kubernetes Ingress Controller Fake Certificate", sans: ["ingress.local"], issuer: "CN=Kubernetes Ingress Controller Fake Certificate", notBefore: iso(-1), notAfter: iso(300), serial: "1", fingerprint256: "y" } })],
  ]);
  const ok = (ingress: string, host: string, path: string): HttpsCheck => ({ ingress, host, path, at: NOW, http: { status: 308, location: `https://${host}${path}` }, https: { status: 200, hsts: "max-age=31536000" } });
  const checks = new Map<string, HttpsCheck>(
    [
      ok("argocd/argocd-server", "home.example", "/argocd-server"),
      ok("media/sonarr-ingress", "home.example", "/sonarr"),
      ok("media/jellyseerr-ingress", "jellyseerr.home.example", "/jellyseerr"),
      ok("homepage/expired", "expired.home.example", "/homepage"),
      { ingress: "homepage/plain", host: "plain.home.example", path: "/homepage", at: NOW, http: { status: 200 }, https: { status: 200, hsts: "max-age=31536000" } },
    ].map((c) => [checkKey(c.ingress, c.host), c]),
  );
  return {
    now: NOW,
    thresholds: { warnDays: 30, criticalDays: 7 },
    snapshot: {
      ingresses,
      certificates: [certificate],
      certificaterequests: [],
      issuers: [],
      clusterissuers: [{ metadata: { name: "letsencrypt-dns" }, spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", solvers: [{ dns01: { route53: {} } }] } }, status: { conditions: [{ type: "Ready", status: "True" }] } }],
      cronjobs: [cronJob],
    },
    services: [
      { id: "media/sonarr", namespace: "media", displayName: "Sonarr", service: { name: "sonarr", ports: [] }, ingressUrls: ["https://home.example/sonarr"] },
      { id: "media/jellyseerr", namespace: "media", displayName: "Jellyseerr", service: { name: "jellyseerr", ports: [] }, ingressUrls: ["https://jellyseerr.home.example/"] },
      { id: "argocd/argocd-server", namespace: "argocd", displayName: "Argo CD", service: { name: "argocd-server", ports: [] }, ingressUrls: ["https://home.example/argocd"] },
      { id: "homepage/homepage", namespace: "homepage", displayName: "Homepage", service: { name: "homepage", ports: [] }, ingressUrls: ["https://expired.home.example/", "http://plain.home.example/"] },
    ],
    probes,
    checks,
    source: { connected: true, message: "Connected", problems: [] },
    ...over,
  };
}

describe("the certificate view", () => {
  it("the certificate close to expiry: a warning with days left, its failing renewal, every Ingress and service that uses it", () => {
    const view = buildCertificatesView(input());
    const row = view.certificates[0]!;
    expect(row.cert.id).toBe("argocd/home-dns");
    expect(row.state).toBe("warning");
    expect(Math.floor(row.daysLeft ?? 0)).toBe(10);
    expect(row.signals.map((s) => s.message)).toEqual([
      "Expires in 10 days (2026-06-11)",
      "Renewal failing: Failed: The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate (3 failed attempts, last 2 hours ago)",
    ]);
    expect(row.usedBy).toEqual([
      { ingress: "argocd/argocd-server", hosts: ["home.example"], secret: "argocd/home-tls", copy: false },
      { ingress: "media/jellyseerr-ingress", hosts: ["jellyseerr.home.example"], secret: "media/home-tls", copy: true },
      { ingress: "media/sonarr-ingress", hosts: ["home.example"], secret: "media/home-tls", copy: true },
    ]);
    expect(row.services.map((s) => s.id)).toEqual(["argocd/argocd-server", "media/jellyseerr", "media/sonarr"]);
    expect(row.copiedBy.map((j) => `${j.namespace}/${j.name}: ${j.lastRun}`)).toEqual(['argocd/sync-cert-secret: last run 5 minutes ago, succeeded (schedule "*/15 * * * *")']);
    expect(row.issuer?.solvers).toEqual(["dns01 (route53)"]);
  });

  it("the expired and plain hosts say their problem in words; the plain one is HTTP only", () => {
    const view = buildCertificatesView(input());
    const host = (h: string) => view.hosts.find((x) => x.host === h)!;
    expect(host("expired.home.example").signals[0]?.message).toBe("Serves a certificate that expired 30 days ago (2026-05-02)");
    expect(host("plain.home.example").signals.map((s) => s.kind)).toEqual(["wrong_name", "untrusted"]);
    const plain = view.httpsOnly.find((r) => r.host === "plain.home.example")!;
    expect(plain.signals.map((s) => s.kind)).toEqual(["plain_http_only", "no_tls_block"]);
    expect(plain.fixable).toBe(true);
    expect(view.httpsOnly.find((r) => r.ingress === "media/sonarr-ingress")?.state).toBe("ok");
    expect(view.summary.state).toBe("critical");
  });

  it("a copy serving an older certificate than cert-manager issued is stale, with the CronJob that copies it", () => {
    const base = input();
    const probes = new Map(base.probes);
    probes.set("jellyseerr.home.example", servedProbe("jellyseerr.home.example", iso(-1)));
    const view = buildCertificatesView({ ...base, probes });
    expect(view.staleCopies).toHaveLength(1);
    const stale = view.staleCopies[0]!;
    expect(stale).toMatchObject({ host: "jellyseerr.home.example", secret: "media/home-tls", certificate: "argocd/home-dns" });
    expect(stale.cronJobs.map((j) => j.name)).toEqual(["sync-cert-secret"]);
    expect(stale.message).toContain("Stale copy: the Secret media/home-tls holds the certificate ending 2026-05-31, cert-manager issued argocd/home-dns ending 2026-06-11");
    expect(view.certificates[0]?.signals.map((s) => s.kind)).toContain("stale_copy");
    const host = view.hosts.find((h) => h.host === "jellyseerr.home.example")!;
    expect(host.certificate).toMatchObject({ id: "argocd/home-dns", match: "older", copy: true });
    // home.example is served from the oldest Ingress (argocd's, the source Secret): not a copy.
    expect(view.hosts.find((h) => h.host === "home.example")?.certificate).toMatchObject({ match: "issued", copy: false });
  });

  it("service signals: every service behind the certificate's Ingresses gets its worst", () => {
    const signals = serviceCertificateSignals(buildCertificatesView(input()));
    expect(signals.get("media/sonarr")).toMatchObject({ state: "warning", subject: "Certificate home-dns", message: "Expires in 10 days (2026-06-11)" });
    expect(signals.get("homepage/homepage")?.state).toBe("critical");
  });

  it("a CronJob whose last run did not succeed says so", () => {
    expect(cronJobRun({ namespace: "a", name: "b", suspend: false, active: 0, mentions: [], lastScheduleTime: iso(-0.01), lastSuccessfulTime: iso(-3) }, NOW)).toEqual({
      lastRun: "last run 14 minutes ago did not succeed; last success 3 days ago",
      healthy: false,
    });
    expect(cronJobRun({ namespace: "a", name: "b", suspend: true, active: 0, mentions: [] }, NOW).healthy).toBe(false);
  });

  it("without probes the hosts are unknown, and the source's problems are passed on", () => {
    const view = buildCertificatesView(input({ probes: new Map(), checks: new Map(), source: { connected: true, message: "ok", problems: ["clusterissuers: forbidden"] } }));
    expect(view.hosts.every((h) => h.state === "unknown")).toBe(true);
    expect(view.source.problems).toEqual(["clusterissuers: forbidden"]);
    expect(view.lastProbeAt).toBeNull();
  });
});
