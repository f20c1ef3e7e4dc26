import "server-only";
import { Gauge, type Registry } from "prom-client";
import { daysUntil } from "@/lib/certs/signals";
import type { CertificatesView } from "@/lib/certs/view";
import type { CertState } from "@/lib/certs/types";

/**
 * The certificate series, read from the latest view at scrape time (a scrape probes nothing):
 *
 * - `panel_certificate_expiry_days{namespace,certificate}`: days until the notAfter cert-manager reports;
 * - `panel_certificate_state{namespace,certificate,state}`: 1 for the certificate's state (ok, warning, critical, unknown);
 * - `panel_certificate_problem{namespace,certificate,problem}`: 1 per problem (expires_soon, renewal_failing, stale_copy...);
 * - `panel_tls_host_expiry_days{host}`: days until the notAfter of the certificate the host serves;
 * - `panel_tls_host_state{host,state}`, `panel_tls_host_problem{host,problem}`: the same for each probed host;
 * - `panel_https_only_problem{ingress,host,problem}`: 1 per HTTPS-only problem of an Ingress host;
 * - `panel_tls_last_probe_timestamp_seconds`.
 */

const STATES: readonly CertState[] = ["ok", "warning", "critical", "unknown"];

export function registerCertificateMetrics(registry: Registry, view: () => Promise<CertificatesView>): void {
  if (registry.getSingleMetric("panel_certificate_expiry_days")) return;
  // One view per scrape, shared by the gauges' collect().
  let current: { at: number; value: Promise<CertificatesView> } | undefined;
  const read = (): Promise<CertificatesView> => {
    if (!current || Date.now() - current.at > 1_000) current = { at: Date.now(), value: view() };
    return current.value;
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, v: CertificatesView, now: number) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        let v: CertificatesView;
        try {
          v = await read();
        } catch {
          return;
        }
        fill(this, v, Date.now());
      },
    });
  gauge("panel_certificate_expiry_days", "Days until the certificate's notAfter as cert-manager reports it (negative once expired).", ["namespace", "certificate"], (g, v, now) => {
    for (const r of v.certificates) {
      const days = daysUntil(r.cert.notAfter, now);
      if (days !== undefined) g.set({ namespace: r.cert.namespace, certificate: r.cert.name }, Math.round(days * 100) / 100);
    }
  });
  gauge("panel_certificate_state", "1 for the certificate's state (ok, warning, critical, unknown), with the thresholds of certificates.*Days.", ["namespace", "certificate", "state"], (g, v) => {
    for (const r of v.certificates) for (const st of STATES) g.set({ namespace: r.cert.namespace, certificate: r.cert.name, state: st }, r.state === st ? 1 : 0);
  });
  gauge("panel_certificate_problem", "1 for each problem of a certificate (expired, expires_soon, renewal_failing, stale_copy...).", ["namespace", "certificate", "problem"], (g, v) => {
    for (const r of v.certificates) for (const s of r.signals) g.set({ namespace: r.cert.namespace, certificate: r.cert.name, problem: s.kind }, 1);
  });
  gauge("panel_tls_host_expiry_days", "Days until the notAfter of the certificate the host served in the last probe.", ["host"], (g, v, now) => {
    for (const h of v.hosts) {
      const days = daysUntil(h.probe?.certificate?.notAfter, now);
      if (days !== undefined) g.set({ host: h.host }, Math.round(days * 100) / 100);
    }
  });
  gauge("panel_tls_host_state", "1 for the probed host's state (ok, warning, critical, unknown).", ["host", "state"], (g, v) => {
    for (const h of v.hosts) for (const st of STATES) g.set({ host: h.host, state: st }, h.state === st ? 1 : 0);
  });
  gauge("panel_tls_host_problem", "1 for each problem of a probed host (expired, wrong_name, untrusted, stale_copy, no_tls_answer...).", ["host", "problem"], (g, v) => {
    for (const h of v.hosts) for (const s of h.signals) g.set({ host: h.host, problem: s.kind }, 1);
  });
  gauge("panel_https_only_problem", "1 for each HTTPS-only problem of an Ingress host (plain_http_only, no_redirect, no_hsts, no_tls_block).", ["ingress", "host", "problem"], (g, v) => {
    for (const r of v.httpsOnly) for (const s of r.signals) g.set({ ingress: r.ingress, host: r.host, problem: s.kind }, 1);
  });
  gauge("panel_tls_last_probe_timestamp_seconds", "Time of the newest TLS probe.", [], (g, v) => {
    if (v.lastProbeAt !== null) g.set(Math.floor(v.lastProbeAt / 1000));
  });
}
