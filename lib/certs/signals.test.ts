import { describe, expect, it } from "vitest";
import { hostMatches, ingressHosts, servingIngress } from "./ingress-hosts";
import {
  certificateSignals,
  compareWithIssued,
  DAY_MS,
  expirySignal,
  hstsMaxAge,
  httpsOnlySignals,
  probeSignals,
  redirectsToHttps,
  relativeTime,
  worstState,
} from "./signals";
import type { CertificateInfo, HttpsCheck, IssuerInfo, TlsProbe } from "./types";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const T = { warnDays: 30, criticalDays: 7 };
const inDays = (d: number) => new Date(NOW + d * DAY_MS).toISOString();

const cert = (over: Partial<CertificateInfo> = {}): CertificateInfo => ({
  id: "argocd/home",
  namespace: "argocd",
  name: "home",
  secretName: "home-tls",
  dnsNames: ["home.example"],
  issuerRef: { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" },
  ready: { status: "True", reason: "Ready", message: "Certificate is up to date and has not expired" },
  notBefore: inDays(-20),
  notAfter: inDays(70),
  revision: 1,
  ...over,
});
const issuer: IssuerInfo = { kind: "ClusterIssuer", name: "letsencrypt", type: "acme", solvers: ["dns01 (route53)"], ready: { status: "True" } };

describe("expiry thresholds", () => {
  it("nothing far out; a warning under 30 days; critical under 7; expired in the past", () => {
    expect(expirySignal(inDays(40), NOW, T)).toBeUndefined();
    expect(expirySignal(inDays(10.5), NOW, T)).toEqual({ kind: "expires_soon", state: "warning", message: "Expires in 10 days (2026-06-12)" });
    expect(expirySignal(inDays(3), NOW, T)).toMatchObject({ kind: "expires_critical", state: "critical", message: "Expires in 3 days (2026-06-04)" });
    expect(expirySignal(inDays(-400), NOW, T)).toMatchObject({ kind: "expired", state: "critical", message: "Expired 400 days ago (2025-04-27)" });
  });

  it("follows configured thresholds", () => {
    expect(expirySignal(inDays(40), NOW, { warnDays: 45, criticalDays: 10 })?.kind).toBe("expires_soon");
    expect(expirySignal(inDays(9), NOW, { warnDays: 45, criticalDays: 10 })?.kind).toBe("expires_critical");
  });

  it("words times both ways", () => {
    expect(relativeTime(NOW + 3 * 3_600_000, NOW)).toBe("in 3 hours");
    expect(relativeTime(NOW - 5 * 60_000, NOW)).toBe("5 minutes ago");
    expect(relativeTime(NOW - DAY_MS * 1.5, NOW)).toBe("36 hours ago");
    expect(relativeTime(NOW, NOW)).toBe("just now");
  });
});

describe("a Certificate as cert-manager reports it", () => {
  it("is fine when Ready, far from expiry, with a ready issuer", () => {
    expect(certificateSignals(cert(), issuer, undefined, NOW, T)).toEqual([]);
  });

  it("close to expiry with a failing renewal: the days left and cert-manager's reason, with attempts and time", () => {
    const c = cert({
      notAfter: inDays(10),
      issuing: { status: "False", reason: "Failed", message: "The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate" },
      lastFailureTime: new Date(NOW - 2 * 3_600_000).toISOString(),
      failedIssuanceAttempts: 3,
    });
    const signals = certificateSignals(c, issuer, undefined, NOW, T);
    expect(signals.map((s) => s.kind)).toEqual(["expires_soon", "renewal_failing"]);
    expect(signals[1]?.message).toBe(
      "Renewal failing: Failed: The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate (3 failed attempts, last 2 hours ago)",
    );
    expect(signals[1]?.state).toBe("warning");
    // The same failure a few days from the end is critical.
    expect(certificateSignals({ ...c, notAfter: inDays(2) }, issuer, undefined, NOW, T).find((s) => s.kind === "renewal_failing")?.state).toBe("critical");
  });

  it("Issuing=True is no failure; a missing or unready issuer is said", () => {
    expect(certificateSignals(cert({ issuing: { status: "True", reason: "ManuallyTriggered" }, failedIssuanceAttempts: 2, lastFailureTime: inDays(-1) }), issuer, undefined, NOW, T)).toEqual([]);
    expect(certificateSignals(cert(), undefined, undefined, NOW, T)[0]?.message).toBe("Its ClusterIssuer letsencrypt does not exist (or the panel may not read it)");
    expect(certificateSignals(cert(), { ...issuer, ready: { status: "False", message: "ACME account not registered" } }, undefined, NOW, T)[0]?.message).toBe(
      "Its ClusterIssuer letsencrypt is not ready: ACME account not registered",
    );
  });

  it("never issued is critical", () => {
    expect(certificateSignals(cert({ notAfter: undefined, notBefore: undefined, ready: { status: "False", reason: "DoesNotExist", message: "Issuing certificate as Secret does not exist" } }), issuer, undefined, NOW, T)[0]).toMatchObject({
      kind: "not_ready",
      state: "critical",
    });
  });
});

const served = (over: Partial<NonNullable<TlsProbe["certificate"]>> = {}) => ({
  subject: "CN=home.example",
  commonName: "home.example",
  sans: ["home.example"],
  issuer: "CN=k8s-nas lab CA",
  notBefore: inDays(-20),
  notAfter: inDays(70),
  serial: "1001",
  fingerprint256: "AA",
  ...over,
});
const probe = (over: Partial<TlsProbe> = {}): TlsProbe => ({
  host: "home.example",
  address: "127.0.0.1:8443",
  at: NOW,
  durationMs: 12,
  outcome: "ok",
  protocol: "TLSv1.3",
  certificate: served(),
  chainTrusted: true,
  nameMatches: true,
  ...over,
});

describe("what a host serves", () => {
  it("a trusted certificate for the host, far from expiry: nothing to say", () => {
    expect(probeSignals(probe(), NOW, T)).toEqual([]);
  });

  it("expired, wrong name and untrusted each in words", () => {
    expect(probeSignals(probe({ certificate: served({ notAfter: inDays(-30) }), chainTrusted: false, chainError: "CERT_HAS_EXPIRED" }), NOW, T)).toEqual([
      { kind: "expired", state: "critical", message: "Serves a certificate that expired 30 days ago (2026-05-02)" },
    ]);
    expect(probeSignals(probe({ nameMatches: false, certificate: served({ sans: ["other.example"] }) }), NOW, T)[0]?.message).toBe("Serves a certificate for other.example, not for home.example");
    expect(probeSignals(probe({ chainTrusted: false, chainError: "DEPTH_ZERO_SELF_SIGNED_CERT" }), NOW, T)[0]?.message).toBe("Not trusted: it is self-signed (issuer CN=k8s-nas lab CA)");
  });

  it("no handshake: why", () => {
    expect(probeSignals(probe({ outcome: "timeout", certificate: undefined, error: "no handshake within 5000 ms" }), NOW, T)[0]?.message).toBe(
      "No TLS answer from 127.0.0.1:8443: no handshake within the timeout (no handshake within 5000 ms)",
    );
    expect(probeSignals(probe({ outcome: "refused", certificate: undefined, error: "connection refused" }), NOW, T)[0]?.message).toBe("No TLS answer from 127.0.0.1:8443: connection refused");
  });

  it("compares with what cert-manager issued, to the second", () => {
    const c = cert();
    expect(compareWithIssued({ notBefore: "x", notAfter: c.notAfter as string }, c)).toBe("issued");
    expect(compareWithIssued({ notBefore: "x", notAfter: inDays(10) }, c)).toBe("older");
    expect(compareWithIssued({ notBefore: "x", notAfter: inDays(90) }, c)).toBe("newer");
    expect(compareWithIssued({ notBefore: "x", notAfter: inDays(1) }, cert({ notAfter: undefined }))).toBeUndefined();
  });
});

const check = (over: Partial<HttpsCheck> = {}): HttpsCheck => ({
  ingress: "media/sonarr-ingress",
  host: "home.example",
  path: "/sonarr",
  at: NOW,
  http: { status: 308, location: "https://home.example/sonarr" },
  https: { status: 200, hsts: "max-age=31536000; includeSubDomains" },
  ...over,
});
const ingressHost = (tls: boolean, annotations: Record<string, string> = {}) =>
  ingressHosts([
    {
      metadata: { name: "sonarr-ingress", namespace: "media", annotations },
      spec: { ...(tls ? { tls: [{ hosts: ["home.example"], secretName: "home-tls" }] } : {}), rules: [{ host: "home.example", http: { paths: [{ path: "/sonarr", backend: { service: { name: "sonarr" } } }] } }] },
    },
  ])[0]!;

describe("HTTPS only", () => {
  it("a redirect to HTTPS and HSTS: nothing to say", () => {
    expect(redirectsToHttps(check())).toBe(true);
    expect(hstsMaxAge("max-age=31536000; includeSubDomains")).toBe(31536000);
    expect(httpsOnlySignals(ingressHost(true), check())).toEqual([]);
  });

  it("plain HTTP answering 200 with TLS present: no redirect (and says ssl-redirect is off)", () => {
    const s = httpsOnlySignals(ingressHost(true, { "nginx.ingress.kubernetes.io/ssl-redirect": "false" }), check({ http: { status: 200 } }));
    expect(s).toEqual([{ kind: "no_redirect", state: "critical", message: 'Plain HTTP answers 200 instead of redirecting to HTTPS (ssl-redirect is "false")' }]);
  });

  it("no tls block and plain HTTP answering: served on plain HTTP only", () => {
    const s = httpsOnlySignals(ingressHost(false), check({ http: { status: 200 }, https: { status: 404 } }));
    expect(s.map((x) => x.kind)).toEqual(["plain_http_only", "no_tls_block"]);
    expect(s[0]?.message).toBe("Served on plain HTTP only: plain HTTP answers 200 instead of redirecting to HTTPS");
  });

  it("a redirect to another scheme or host does not count; HSTS missing or max-age=0 is a warning", () => {
    expect(redirectsToHttps(check({ http: { status: 301, location: "http://home.example/sonarr" } }))).toBe(false);
    expect(redirectsToHttps(check({ http: { status: 308, location: "https://elsewhere.example/" } }))).toBe(false);
    expect(httpsOnlySignals(ingressHost(true), check({ https: { status: 200 } }))[0]?.kind).toBe("no_hsts");
    expect(httpsOnlySignals(ingressHost(true), check({ https: { status: 200, hsts: "max-age=0" } }))[0]?.message).toContain("max-age 0");
  });

  it("the worst state of a list", () => {
    expect(worstState([])).toBe("ok");
    expect(worstState([{ state: "warning" }, { state: "critical" }])).toBe("critical");
  });
});

describe("Ingress hosts", () => {
  it("wildcards cover one label only", () => {
    expect(hostMatches("*.home.example", "app.home.example")).toBe(true);
    expect(hostMatches("*.home.example", "a.b.home.example")).toBe(false);
    expect(hostMatches("*.home.example", "home.example")).toBe(false);
    expect(hostMatches("Home.Example", "home.example")).toBe(true);
  });

  it("the oldest Ingress naming a host in tls is the one served (then namespace/name), as ingress-nginx does", () => {
    const ing = (ns: string, created: string, secret: string) => ({
      metadata: { name: "x", namespace: ns, creationTimestamp: created },
      spec: { tls: [{ hosts: ["home.example"], secretName: secret }], rules: [{ host: "home.example" }] },
    });
    const hosts = ingressHosts([ing("media", "2026-01-02T00:00:00Z", "a"), ing("argocd", "2026-01-02T00:00:00Z", "b"), ing("homepage", "2026-01-01T00:00:00Z", "c")]);
    expect(servingIngress(hosts, "home.example")?.ingress).toBe("homepage/x");
    expect(servingIngress(hosts.filter((h) => h.namespace !== "homepage"), "home.example")?.ingress).toBe("argocd/x");
  });
});
