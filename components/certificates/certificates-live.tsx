"use client";

import { useQuery } from "@tanstack/react-query";
import { IntentLink } from "@/components/ui/intent-link";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { durationWords, formatDate, relativeTime, wholeDays } from "@/lib/certs/signals";
import type { CertificateRow, CertificatesView, HostRow, HttpsOnlyRow, ServiceRef } from "@/lib/certs/view";
import type { ChangeRequest } from "@/lib/gitops/change-kinds";
import type { ChangePreview, ProposeOutcome } from "@/lib/gitops/proposal";
import { ChangeProposer } from "../changes/change-proposer";
import { POLL_WITHOUT_EVENTS_MS, useLiveUpdates } from "../health/use-live-updates";
import { Alert } from "../ui/alert";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { CertStateBadge } from "./cert-state-badge";
import { RenewButton, type RenewResult } from "./renew-button";
import { SignalList } from "./signal-list";

async function fetchView(): Promise<CertificatesView> {
  const response = await fetch("/api/certificates", { headers: { accept: "application/json" } });
  if (response.status === 401) throw new Error("Your session has ended. Reload the page to sign in again.");
  if (!response.ok) throw new Error(`The panel answered ${response.status}.`);
  return (await response.json()) as CertificatesView;
}

/** What the page may do for the signed-in person (admins get the actions). */
export interface CertificateActions {
  renew?: (input: { namespace: string; name: string; confirmed: true }) => Promise<ActionResult<RenewResult>>;
  probe: (input: { hosts?: string[] }) => Promise<ActionResult<{ hosts: number; checks: number; durationMs: number }>>;
  preview?: (request: ChangeRequest) => Promise<ActionResult<ChangePreview>>;
  propose?: (input: { request: ChangeRequest; fingerprint?: string }) => Promise<ActionResult<ProposeOutcome>>;
}

function Services({ services }: { services: readonly ServiceRef[] }) {
  if (services.length === 0) return <span className="text-slate-500">no service found</span>;
  return (
    <span data-testid="services">
      {services.map((s, i) => {
        const [ns, name] = s.id.split("/");
        return (
          <span key={s.id}>
            {i > 0 ? ", " : ""}
            <IntentLink href={`/services/${ns}/${name}`} className="text-sky-700 underline dark:text-sky-400" data-testid="service-link" data-service={s.id}>
              {s.displayName}
            </IntentLink>
          </span>
        );
      })}
    </span>
  );
}

function CertificateCard({ row, now, actions }: { row: CertificateRow; now: number; actions: CertificateActions }) {
  const c = row.cert;
  const days = row.daysLeft !== undefined ? wholeDays(row.daysLeft) : undefined;
  const issuerName = `${c.issuerRef.kind} ${c.issuerRef.name}`;
  return (
    <li id={`cert-${c.namespace}-${c.name}`} data-testid="cert-row" data-cert={c.id} data-state={row.state} data-phase={row.phase} className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      <div className="flex flex-wrap items-center gap-2">
        <CertStateBadge state={row.state} />
        <span className="font-medium">
          {c.namespace}/{c.name}
        </span>
        <span className="text-sm" data-testid="cert-phase">
          {row.phase}
          {row.phase === "Issuing" && c.issuing?.since ? ` since ${relativeTime(c.issuing.since, now)}` : ""}
        </span>
        {days !== undefined && (
          <span className="ml-auto text-sm" data-testid="cert-days-left" data-days={days}>
            {days >= 0 ? `${days} day${days === 1 ? "" : "s"} left` : `expired ${-days} day${days === -1 ? "" : "s"} ago`}
          </span>
        )}
      </div>
      <div className="mt-2">
        <SignalList signals={row.signals} testId="cert-signals" />
      </div>
      <dl className="mt-2 grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
        <dt className="text-slate-500">Valid</dt>
        <dd data-testid="cert-validity">
          {c.notBefore ? formatDate(c.notBefore) : "?"} → <span data-testid="cert-not-after">{c.notAfter ?? "never issued"}</span>
          {c.renewalTime ? ` · renewal due ${formatDate(c.renewalTime)} (${relativeTime(c.renewalTime, now)})` : ""}
          {c.revision !== undefined ? ` · revision ${c.revision}` : ""}
        </dd>
        <dt className="text-slate-500">Ready</dt>
        <dd data-testid="cert-ready">
          {c.ready ? `${c.ready.status}${c.ready.reason ? ` (${c.ready.reason})` : ""}${c.ready.message ? `: ${c.ready.message}` : ""}` : "not reported"}
        </dd>
        {c.issuing && (
          <>
            <dt className="text-slate-500">Issuing</dt>
            <dd data-testid="cert-issuing">
              {c.issuing.status}
              {c.issuing.reason ? ` (${c.issuing.reason})` : ""}
              {c.issuing.message ? `: ${c.issuing.message}` : ""}
            </dd>
          </>
        )}
        {c.lastFailureTime && (
          <>
            <dt className="text-slate-500">Last failure</dt>
            <dd data-testid="cert-last-failure">
              {relativeTime(c.lastFailureTime, now)} ({c.lastFailureTime}){c.failedIssuanceAttempts !== undefined ? ` · ${c.failedIssuanceAttempts} failed attempt(s)` : ""}
            </dd>
          </>
        )}
        {row.latestRequest && (
          <>
            <dt className="text-slate-500">Last request</dt>
            <dd data-testid="cert-request">
              {row.latestRequest.name}
              {row.latestRequest.revision !== undefined ? ` (revision ${row.latestRequest.revision})` : ""}: {row.latestRequest.ready?.status === "True" ? "issued" : row.latestRequest.ready ? `${row.latestRequest.ready.reason ?? row.latestRequest.ready.status}${row.latestRequest.ready.message ? `: ${row.latestRequest.ready.message}` : ""}` : "pending"}
            </dd>
          </>
        )}
        <dt className="text-slate-500">Issuer</dt>
        <dd data-testid="cert-issuer">
          {issuerName}
          {row.issuer ? ` (${row.issuer.type}${row.issuer.solvers.length ? `, ${row.issuer.solvers.join(", ")}` : ""}) ${row.issuer.ready?.status === "True" ? "ready" : `not ready${row.issuer.ready?.message ? `: ${row.issuer.ready.message}` : ""}`}` : " (not found)"}
        </dd>
        <dt className="text-slate-500">Names</dt>
        <dd>{c.dnsNames.join(", ") || c.commonName || "—"}</dd>
        <dt className="text-slate-500">Secret</dt>
        <dd>
          {c.namespace}/{c.secretName} <span className="text-xs text-slate-500">(never read by the panel)</span>
        </dd>
        <dt className="text-slate-500">Used by</dt>
        <dd data-testid="cert-used-by">
          {row.usedBy.length === 0 ? (
            "no Ingress in the watched namespaces names its Secret"
          ) : (
            <ul>
              {row.usedBy.map((u) => (
                <li key={u.ingress} data-testid="cert-ingress" data-ingress={u.ingress}>
                  Ingress {u.ingress} ({u.hosts.join(", ")}){u.copy ? ` · Secret ${u.secret} is a copy` : ""}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt className="text-slate-500">Services</dt>
        <dd data-testid="cert-services">
          <Services services={row.services} />
        </dd>
        {row.copiedBy.length > 0 && (
          <>
            <dt className="text-slate-500">Copied by</dt>
            <dd data-testid="cert-copied-by">
              {row.copiedBy.map((j) => (
                <span key={`${j.namespace}/${j.name}`} className="block">
                  CronJob {j.namespace}/{j.name}: {j.lastRun}
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {actions.renew && (
        <div className="mt-3">
          <RenewButton namespace={c.namespace} name={c.name} issuer={issuerName} renew={actions.renew} />
        </div>
      )}
    </li>
  );
}

function HostTableRow({ row, now }: { row: HostRow; now: number }) {
  const p = row.probe;
  const cert = p?.certificate;
  return (
    <tr id={`host-${row.host}`} data-testid="host-row" data-host={row.host} data-state={row.state} className="border-t border-slate-200 align-top dark:border-slate-800">
      <td className="py-2 pr-3">
        <CertStateBadge state={row.state} testId="host-state" />
        <div className="font-mono text-xs">{row.host}</div>
        {p && <div className="text-xs text-slate-500">via {p.address}</div>}
      </td>
      <td className="py-2 pr-3 text-sm">
        {row.signals.length > 0 ? <SignalList signals={row.signals} testId="host-signals" /> : p ? <span data-testid="host-fine">fine</span> : <span className="text-slate-500">not probed yet</span>}
      </td>
      <td className="py-2 pr-3 text-xs" data-testid="host-served">
        {cert ? (
          <>
            <div>{cert.sans.join(", ") || cert.subject}</div>
            <div>
              until {formatDate(cert.notAfter)} · serial {cert.serial}
            </div>
            <div>issuer {cert.issuer}</div>
            <div>
              {p?.protocol ?? "?"} · chain {p?.chainTrusted ? "trusted" : `not trusted (${p?.chainError ?? "?"})`} · name {p?.nameMatches ? "matches" : "does not match"}
            </div>
          </>
        ) : (
          (p?.error ?? "—")
        )}
      </td>
      <td className="py-2 pr-3 text-xs" data-testid="host-issued">
        {row.certificate ? (
          <>
            {row.certificate.id}
            {row.certificate.match === "issued" ? " · the certificate cert-manager issued" : row.certificate.match === "older" ? " · older than cert-manager's" : row.certificate.match === "newer" ? " · not cert-manager's" : ""}
            {row.certificate.servedRevision !== undefined ? ` (revision ${row.certificate.servedRevision})` : ""}
            {row.servedFrom ? <div>from {row.servedFrom.secret}{row.certificate.copy ? " (a copy)" : ""}</div> : null}
          </>
        ) : row.servedFrom ? (
          <>not managed by cert-manager · from {row.servedFrom.secret}</>
        ) : (
          "no tls block names it"
        )}
      </td>
      <td className="py-2 text-xs">
        <Services services={row.services} />
        {p && <div className="text-slate-500">probed {relativeTime(p.at, now)}</div>}
        {row.history.length > 1 && (
          <details className="mt-1">
            <summary>history</summary>
            <ul data-testid="host-history">
              {row.history.map((h) => (
                <li key={h.at}>
                  {new Date(h.at).toISOString().replace("T", " ").slice(0, 16)} {h.state}: {h.summary}
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
    </tr>
  );
}

function HttpsRow({ row, actions }: { row: HttpsOnlyRow; actions: CertificateActions }) {
  const [fixing, setFixing] = useState(false);
  const c = row.check;
  const request: ChangeRequest = { kind: "https-only", ingress: row.ingress };
  return (
    <tr id={`https-${row.namespace}-${row.name}-${row.host}`} data-testid="https-row" data-ingress={row.ingress} data-host={row.host} data-state={row.state} className="border-t border-slate-200 align-top dark:border-slate-800">
      <td className="py-2 pr-3">
        <CertStateBadge state={row.state} testId="https-state" />
        <div className="font-mono text-xs">
          {row.host}
          {row.path}
        </div>
        <div className="text-xs text-slate-500">Ingress {row.ingress}</div>
      </td>
      <td className="py-2 pr-3 text-xs" data-testid="https-http">
        {c ? (c.http.error ? `error: ${c.http.error}` : `${c.http.status ?? "?"}${c.http.location ? ` → ${c.http.location}` : ""}`) : "not checked yet"}
      </td>
      <td className="py-2 pr-3 text-xs" data-testid="https-hsts">
        {!row.tls ? "no tls block" : c?.https.error ? `HTTPS: ${c.https.error}` : c?.https.hsts ? `${row.hstsMaxAge !== undefined ? durationWords(row.hstsMaxAge) : "?"} (${c.https.hsts})` : c ? "none" : "—"}
      </td>
      <td className="py-2 text-sm">
        {row.signals.length > 0 ? <SignalList signals={row.signals} testId="https-signals" /> : c ? <span data-testid="https-fine">HTTPS only</span> : null}
        {row.fixable && actions.preview && actions.propose && (
          <div className="mt-2">
            {!fixing ? (
              <button type="button" onClick={() => setFixing(true)} data-testid="https-fix" className="rounded-md border border-sky-700 px-2 py-1 text-xs font-medium text-sky-800 dark:border-sky-400 dark:text-sky-300">
                Propose a fix (pull request)
              </button>
            ) : (
              <ChangeProposer
                suggestions={[{ request, label: `Preview: serve ${row.ingress} over HTTPS only`, detail: "tls block and ssl-redirect" }]}
                preview={actions.preview}
                propose={actions.propose}
                workloadForm={false}
              />
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

function ProbeNow({ probe }: { probe: CertificateActions["probe"] }) {
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<string | null>(null);
  return (
    <span className="flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        data-testid="probe-now"
        onClick={() =>
          startTransition(async () => {
            try {
              const r = await probe({});
              setResult(r.ok ? `Probed ${r.data.hosts} host(s) and ${r.data.checks} Ingress host(s) in ${(r.data.durationMs / 1000).toFixed(1)} s.` : r.message);
            } catch {
              setResult("The panel did not answer.");
            }
          })
        }
        className="rounded-md border border-slate-300 px-3 py-1.5 text-sm disabled:opacity-60 dark:border-slate-700"
      >
        {pending ? "Probing…" : "Probe now"}
      </button>
      {result && (
        <span className="text-xs text-slate-600 dark:text-slate-400" data-testid="probe-result">
          {result}
        </span>
      )}
    </span>
  );
}

/** The Certificates page's live part, refreshed by the `certificates` live events. */
export function CertificatesLive({ initial, actions }: { initial: CertificatesView; actions: CertificateActions }) {
  const live = useLiveUpdates([{ queryKey: ["certificates"], shows: (change) => change.hosts !== undefined }]);
  const query = useQuery({ queryKey: ["certificates"], queryFn: fetchView, initialData: initial, refetchInterval: live ? false : POLL_WITHOUT_EVENTS_MS });
  const view = query.data;
  const now = view.generatedAt;
  return (
    <div className="space-y-6">
      <section data-testid="cert-summary" data-state={view.summary.state} className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <div className="flex flex-wrap items-center gap-2">
          <CertStateBadge state={view.summary.state} testId="cert-summary-state" />
          <p className="font-medium" data-testid="cert-summary-text">
            {view.summary.headline}
          </p>
          <span className="ml-auto flex items-center gap-3 text-xs text-slate-500">
            <span>
              warning under {view.thresholds.warnDays} days, critical under {view.thresholds.criticalDays}
              {view.lastProbeAt !== null ? ` · last probe ${relativeTime(view.lastProbeAt, now)}` : ""}
            </span>
            <span data-testid="live-indicator">{live ? "live" : "reconnecting…"}</span>
            <ProbeNow probe={actions.probe} />
          </span>
        </div>
        {view.summary.problems.length > 0 && (
          <ul className="mt-2 space-y-1 text-sm" data-testid="cert-problems">
            {view.summary.problems.slice(0, 8).map((p, i) => (
              <li key={`${p.anchor}-${i}`}>
                <a href={`#${p.anchor}`} className="font-medium underline">
                  {p.subject}
                </a>
                : {p.signal.message}
              </li>
            ))}
            {view.summary.problems.length > 8 && <li className="text-slate-500">and {view.summary.problems.length - 8} more below</li>}
          </ul>
        )}
      </section>
      {!view.source.connected && (
        <Alert title="The cluster is not reachable" testId="cert-source-alert">
          {view.source.message} The states below are the last ones seen.
        </Alert>
      )}
      {view.source.problems.length > 0 && (
        <Alert tone="info" title="Some of cert-manager's objects cannot be read" testId="cert-source-problems">
          {view.source.problems.join("; ")}
        </Alert>
      )}
      {query.isError && <Alert testId="cert-error">{(query.error as Error).message}</Alert>}

      <Card title="cert-manager certificates" testId="cert-list">
        {view.certificates.length === 0 ? (
          <EmptyState title="No cert-manager Certificates">Certificates in the watched namespaces appear here, with their expiry, renewal and the Ingresses that use them.</EmptyState>
        ) : (
          <ul className="space-y-3">
            {view.certificates.map((row) => (
              <CertificateCard key={row.cert.id} row={row} now={now} actions={actions} />
            ))}
          </ul>
        )}
      </Card>

      {view.staleCopies.length > 0 && (
        <Card title="Stale copies" testId="stale-copies">
          <ul className="space-y-2 text-sm">
            {view.staleCopies.map((s) => (
              <li key={`${s.host}-${s.secret}`} data-testid="stale-copy" data-host={s.host} data-secret={s.secret}>
                <span className="font-mono">{s.host}</span> serves the copy <span className="font-mono">{s.secret}</span> (ending {formatDate(s.servedNotAfter)}
                {s.servedRevision !== undefined ? `, revision ${s.servedRevision}` : ""}); cert-manager issued {s.certificate} ending {formatDate(s.issuedNotAfter)}
                {s.issuedRevision !== undefined ? ` (revision ${s.issuedRevision})` : ""}.
                <span className="block" data-testid="stale-cronjobs">
                  {s.cronJobs.length === 0
                    ? "No CronJob in the watched namespaces mentions this Secret."
                    : s.cronJobs.map((j) => (
                        <span key={`${j.namespace}/${j.name}`} className="block" data-testid="stale-cronjob" data-cronjob={`${j.namespace}/${j.name}`}>
                          Copied by CronJob {j.namespace}/{j.name}: {j.lastRun}
                        </span>
                      ))}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}

      <Card title="What each host serves (live TLS)" testId="host-list">
        {view.hosts.length === 0 ? (
          <EmptyState title="No Ingress hosts">Hosts of the Ingresses in the watched namespaces are probed here.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="pr-3">Host</th>
                  <th className="pr-3">Problems</th>
                  <th className="pr-3">Served certificate</th>
                  <th className="pr-3">cert-manager</th>
                  <th>Services</th>
                </tr>
              </thead>
              <tbody>
                {view.hosts.map((h) => (
                  <HostTableRow key={h.host} row={h} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title="HTTPS only" testId="https-list">
        <p className="mb-2 text-xs text-slate-500">Each Ingress host: plain HTTP on the same host and path must redirect (301/308) to HTTPS, and the HTTPS answer must carry HSTS.</p>
        {view.httpsOnly.length === 0 ? (
          <EmptyState title="No Ingress hosts">Nothing to check.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="pr-3">Ingress host</th>
                  <th className="pr-3">Plain HTTP</th>
                  <th className="pr-3">HSTS</th>
                  <th>What failed</th>
                </tr>
              </thead>
              <tbody>
                {view.httpsOnly.map((r) => (
                  <HttpsRow key={`${r.ingress}|${r.host}`} row={r} actions={actions} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {view.issuers.length > 0 && (
        <Card title="Issuers" testId="issuer-list">
          <ul className="space-y-1 text-sm">
            {view.issuers.map((i) => (
              <li key={`${i.kind}/${i.namespace ?? ""}/${i.name}`} data-testid="issuer" data-ready={i.ready?.status ?? "Unknown"}>
                {i.kind} {i.namespace ? `${i.namespace}/` : ""}
                {i.name}: {i.type}
                {i.acmeServer ? ` (${i.acmeServer})` : ""}
                {i.solvers.length > 0 ? `, ${i.solvers.join(", ")}` : ""} · {i.ready?.status === "True" ? "ready" : `not ready${i.ready?.message ? `: ${i.ready.message}` : ""}`}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}
