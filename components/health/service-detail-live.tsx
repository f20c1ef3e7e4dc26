"use client";

import { useQuery } from "@tanstack/react-query";
import { IntentLink } from "@/components/ui/intent-link";
import { useState } from "react";
import { formatLatency, formatUptime, formatVersion } from "@/lib/health-format";
import { HISTORY_WINDOWS, type HistoryWindow, type ServiceDetail } from "@/lib/overview";
import { isHttpUrl } from "@/lib/safe-url";
import type { DiscoveredService, ServiceAccess } from "@/lib/services";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";
import { ArgoAppPanel } from "../argocd/argo-app-panel";
import { ServiceLogs } from "../logs/service-logs";
import { ServiceMetricCharts } from "../metrics/service-charts";
import { HistoryCharts } from "./history-charts";
import { StatusBadge } from "./status-badge";
import { POLL_WITHOUT_EVENTS_MS, useLiveUpdates } from "./use-live-updates";

/** A path inside the panel (`/runbooks/apps/sonarr`), never a protocol-relative URL. */
function isPanelPath(href: string): boolean {
  return /^\/(?![/\\])/.test(href);
}

async function fetchDetail(namespace: string, name: string, window: HistoryWindow): Promise<ServiceDetail> {
  const response = await fetch(`/api/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?window=${window}`);
  if (response.status === 404) throw new Error("This service no longer exists in the cluster.");
  if (response.status === 401) throw new Error("Your session has ended. Reload the page to sign in again.");
  if (!response.ok) throw new Error(`The panel answered ${response.status}.`);
  return (await response.json()) as ServiceDetail;
}

/** Everything about one service, refreshed when the server says this service changed (polling only while the events are not live). */
export function ServiceDetailLive({ initial, logsAllowed = false }: { initial: ServiceDetail; logsAllowed?: boolean }) {
  const { id, namespace, name } = initial.summary.service;
  const [window, setWindow] = useState<HistoryWindow>(initial.history.window);
  const live = useLiveUpdates([{ queryKey: ["service", namespace, name], shows: (change) => change.services.includes(id) }]);
  const query = useQuery({
    queryKey: ["service", namespace, name, window],
    queryFn: () => fetchDetail(namespace, name, window),
    initialData: window === initial.history.window ? initial : undefined,
    refetchInterval: live ? false : POLL_WITHOUT_EVENTS_MS,
  });
  const detail = query.data ?? initial;
  const { service, app, verdict, uptime, access } = detail.summary;
  return (
    <div className="space-y-4">
      {query.isError && <Alert testId="detail-error">{(query.error as Error).message}</Alert>}
      <Card testId="service-header">
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={verdict.status} />
          <span className="text-sm text-slate-600 dark:text-slate-400">
            {service.workloadKind} {service.namespace}/{service.name} · {service.appKind}
            {app?.version && <span data-testid="detail-version"> · {formatVersion(app.version)}</span>}
            {app?.latencyMs !== undefined && <> · {formatLatency(app.latencyMs)}</>}
          </span>
          <span className="ml-auto flex flex-wrap gap-2 text-sm">
            {detail.links.filter((l) => isHttpUrl(l.href) || isPanelPath(l.href)).map((l) => (
              <a key={l.href} href={l.href} data-testid={l.testId} className="text-sky-700 underline dark:text-sky-400" {...(isPanelPath(l.href) ? {} : { target: "_blank", rel: "noreferrer" })}>
                {l.label}
              </a>
            ))}
          </span>
        </div>
        {verdict.reasons.length > 0 && (
          <ul className="mt-3 space-y-1 text-sm" data-testid="verdict-reasons">
            {verdict.reasons.map((r, i) => (
              <li key={i} className="flex gap-2">
                <Badge tone={r.severity === "error" ? "bad" : r.severity === "warning" ? "warn" : "neutral"}>{r.source}</Badge>
                <span>
                  {r.message}
                  {isHttpUrl(r.url) && (
                    <a href={r.url} className="ml-1 text-sky-700 underline dark:text-sky-400" target="_blank" rel="noreferrer">
                      more
                    </a>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Card>

      {detail.certificates && detail.certificates.length > 0 && (
        <Card title="Certificates and HTTPS" testId="service-certificates">
          <ul className="space-y-1 text-sm">
            {detail.certificates.map((c, i) => (
              <li key={i} className="flex gap-2" data-testid="service-cert-note" data-state={c.state}>
                <Badge tone={c.state === "critical" ? "bad" : "warn"}>{c.state}</Badge>
                <span>
                  {c.subject}: {c.message}
                </span>
              </li>
            ))}
          </ul>
          <IntentLink href="/certificates" className="mt-2 inline-block text-sm text-sky-700 underline dark:text-sky-400">
            All certificates
          </IntentLink>
        </Card>
      )}
      {service.argocdApp && <ArgoAppPanel {...(service.argoState ? { app: service.argoState } : { missing: service.argocdApp })} />}

      <Card title="Uptime" testId="uptime">
        <dl className="grid grid-cols-3 gap-2 text-center">
          {(
            [
              ["24 h", uptime.day],
              ["7 d", uptime.week],
              ["30 d", uptime.month],
            ] as const
          ).map(([label, ratio]) => (
            <div key={label}>
              <dt className="text-xs text-slate-500">{label}</dt>
              <dd className="text-lg font-semibold" data-testid={`uptime-${label.replace(" ", "")}`}>
                {formatUptime(ratio)}
              </dd>
              {ratio !== null && (
                <dd className="text-xs">{ratio * 100 >= detail.uptimeTargetPercent ? <Badge tone="ok">meets {detail.uptimeTargetPercent} %</Badge> : <Badge tone="bad">below {detail.uptimeTargetPercent} %</Badge>}</dd>
              )}
            </div>
          ))}
        </dl>
      </Card>

      <Card
        title="History"
        actions={
          <div role="group" aria-label="Window" className="flex gap-1">
            {HISTORY_WINDOWS.map((w) => (
              <button
                key={w}
                type="button"
                aria-pressed={w === window}
                onClick={() => setWindow(w)}
                className={`rounded px-2 py-1 text-xs ${w === window ? "bg-sky-700 text-white" : "border border-slate-300 dark:border-slate-700"}`}
              >
                {w}
              </button>
            ))}
          </div>
        }
      >
        <HistoryCharts history={detail.history} targetPercent={detail.uptimeTargetPercent} />
      </Card>

      <Card title="The app's own health" testId="app-checks">
        {!app ? (
          <p className="text-sm text-slate-500">
            {service.appKind === "other" ? "An app the panel does not know: Kubernetes health only." : "Not probed yet."}
          </p>
        ) : app.checks.length === 0 ? (
          <p className="text-sm">{app.detail ?? "No warnings or errors reported."}</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {app.checks.map((c, i) => (
              <li key={i} className="flex gap-2" data-testid="app-check">
                <StatusBadge status={c.status} />
                <span>
                  {c.message}
                  {isHttpUrl(c.url) && (
                    <a href={c.url} className="ml-1 text-sky-700 underline dark:text-sky-400" target="_blank" rel="noreferrer">
                      wiki
                    </a>
                  )}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title={`Pods (ready ${service.kube.ready}/${service.kube.desired})`} testId="pods">
        {service.kube.pods.length === 0 ? (
          <p className="text-sm text-slate-500">No pods.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-1 pr-3">Pod</th>
                  <th className="py-1 pr-3">Ready</th>
                  <th className="py-1 pr-3">Restarts (1 h)</th>
                  <th className="py-1 pr-3">Containers</th>
                </tr>
              </thead>
              <tbody>
                {service.kube.pods.map((p) => (
                  <tr key={p.name} className="border-t border-slate-200 align-top dark:border-slate-800" data-testid="pod-row">
                    <td className="py-1 pr-3 font-mono text-xs">{p.name}</td>
                    <td className="py-1 pr-3">{p.ready ? <Badge tone="ok">ready</Badge> : <Badge tone="bad">not ready</Badge>}</td>
                    <td className="py-1 pr-3">
                      {p.restarts} ({p.restartsLastHour})
                    </td>
                    <td className="py-1 pr-3">
                      {p.containers.map((c) => (
                        <div key={c.name} className="text-xs">
                          {c.name}
                          {c.sidecar ? " (sidecar)" : ""}: {c.ready ? "ready" : (c.reason ?? "not ready")}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <ServiceMetricCharts namespace={namespace} name={name} />

      <ServiceLogs namespace={namespace} name={name} allowed={logsAllowed} restarts={service.kube.pods.reduce((n, p) => n + p.restarts, 0)} />

      <Card title="Recent warnings" testId="events">
        {service.kube.warnings.length === 0 ? (
          <p className="text-sm text-slate-500">No Warning events.</p>
        ) : (
          <ul className="space-y-1 text-sm">
            {service.kube.warnings.map((e, i) => (
              <li key={i}>
                <span className="font-medium">{e.reason}</span> ({e.object}, ×{e.count}, {e.lastSeen}): {e.message}
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="Addresses and storage" testId="addresses">
        <ul className="space-y-1 text-sm">
          {service.ingressUrls.filter(isHttpUrl).map((u) => (
            <li key={u} data-testid="user-url">
              URL: <a href={u} className="text-sky-700 underline dark:text-sky-400">{u}</a>
            </li>
          ))}
          {(access?.inClusterUrl ?? service.inClusterUrl) && <li data-testid="in-cluster-url">In the cluster: {access?.inClusterUrl ?? service.inClusterUrl}</li>}
          {access && access.baseUrl !== access.inClusterUrl && <li data-testid="panel-url">The panel calls: {access.baseUrl}</li>}
          <UrlBaseLine access={access} service={service} />
          {access?.credentialSource && <li data-testid="credential-source">Credential: {access.credentialSource}</li>}
          {access?.credentialProblem && <li data-testid="credential-problem">Credential: {access.credentialProblem}</li>}
          {service.pvcs.map((p) => (
            <li key={p.name}>
              Volume claim {p.name}: {p.phase}
              {p.capacity ? `, ${p.capacity}` : ""}
            </li>
          ))}
        </ul>
        {access?.urlBase.wrongAnnotation && (
          <div className="mt-2">
            <Alert testId="url-base-wrong-annotation">{access.urlBase.wrongAnnotation}</Alert>
          </div>
        )}
      </Card>
    </div>
  );
}

const shownBase = (urlBase: string) => (urlBase === "" ? "/ (the root)" : urlBase);

const STATE_WORDS: Record<ServiceAccess["urlBase"]["state"], string> = {
  verified: "verified",
  unverified: "not verified",
  unchecked: "not checked",
};

/** The URL base the panel uses and why: verified against the app, or the best guess, with what was tried. */
function UrlBaseLine({ access, service }: { access: ServiceAccess | undefined; service: DiscoveredService }) {
  if (!access) {
    const first = service.urlBaseCandidates?.[0];
    return (
      <li data-testid="url-base">
        URL base: <span data-testid="url-base-value">{shownBase(service.urlBase)}</span>
        {first && <span className="text-slate-500"> (guessed from {first.reason}; not checked against the app)</span>}
      </li>
    );
  }
  const u = access.urlBase;
  const why =
    u.state === "verified"
      ? `the app answered as itself under it; from ${u.reason}`
      : u.state === "unchecked"
        ? `from ${u.reason}; the app has no identity endpoint to check it against`
        : `the best guess, from ${u.reason}: the app answered under none of the candidates`;
  return (
    <li data-testid="url-base">
      URL base: <span data-testid="url-base-value">{shownBase(u.urlBase)}</span>{" "}
      <Badge tone={u.state === "verified" ? "ok" : u.state === "unverified" ? "warn" : "neutral"}>
        <span data-testid="url-base-state">{STATE_WORDS[u.state]}</span>
      </Badge>{" "}
      <span className="text-slate-600 dark:text-slate-400" data-testid="url-base-reason">
        ({why})
      </span>
      {u.tried.length > 0 && (
        <ul className="ml-4 mt-1 list-disc text-xs text-slate-600 dark:text-slate-400">
          {u.tried.map((t) => (
            <li key={`${t.urlBase}|${t.source}`} data-testid="url-base-trial">
              {shownBase(t.urlBase)} ({t.reason}): {t.outcome}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
