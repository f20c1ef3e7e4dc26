"use client";

import { useQuery } from "@tanstack/react-query";
import { IntentLink } from "@/components/ui/intent-link";
import { stackSentence } from "@/lib/health-format";
import type { OverviewData } from "@/lib/overview";
import { STATUS_SEVERITY } from "@/lib/services";
import { Alert } from "../ui/alert";
import { EmptyState } from "../ui/empty-state";
import { ServiceCard } from "./service-card";
import { StatusBadge } from "./status-badge";
import { POLL_WITHOUT_EVENTS_MS, useLiveUpdates } from "./use-live-updates";

async function fetchOverview(): Promise<OverviewData> {
  const response = await fetch("/api/services", { headers: { accept: "application/json" } });
  if (response.status === 401) throw new Error("Your session has ended. Reload the page to sign in again.");
  if (!response.ok) throw new Error(`The panel answered ${response.status}.`);
  return (await response.json()) as OverviewData;
}

/** The Overview's live part: banner and cards, refreshed when the server says a service changed (polling only while the events are not live). */
export function OverviewLive({ initial }: { initial: OverviewData }) {
  const live = useLiveUpdates([{ queryKey: ["overview"] }]);
  const query = useQuery({ queryKey: ["overview"], queryFn: fetchOverview, initialData: initial, refetchInterval: live ? false : POLL_WITHOUT_EVENTS_MS });
  const data = query.data;
  const sorted = [...data.services].sort(
    (a, b) =>
      STATUS_SEVERITY[b.status] - STATUS_SEVERITY[a.status] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  const banner = stackSentence(data.services);
  const worst = sorted.filter((s) => s.status === "down" || s.status === "degraded").slice(0, 3);
  return (
    <div className="space-y-4">
      <section
        data-testid="summary-banner"
        data-status={banner.status}
        className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      >
        <div className="flex flex-wrap items-center gap-2">
          <StatusBadge status={banner.status} />
          <p className="font-medium" data-testid="summary-text">
            {banner.text}
          </p>
          <span className="ml-auto text-xs text-slate-500" data-testid="live-indicator">
            {live ? "live" : "reconnecting…"}
          </span>
        </div>
        {data.certificates && (
          <p className="mt-2 flex flex-wrap items-center gap-2 text-sm" data-testid="cert-banner" data-state={data.certificates.state}>
            <IntentLink href="/certificates" className="font-medium underline">
              Certificates
            </IntentLink>
            {data.certificates.worst ? (
              <span data-testid="cert-banner-text">
                {data.certificates.worst.subject}: {data.certificates.worst.message}
                {data.certificates.problems > 1 ? ` (and ${data.certificates.problems - 1} more)` : ""}
              </span>
            ) : (
              <span data-testid="cert-banner-text">{data.certificates.headline}</span>
            )}
          </p>
        )}
        {data.applications.problems.length > 0 && (
          <ul className="mt-2 space-y-1 text-sm" data-testid="summary-argocd">
            {data.applications.problems.map((p) => (
              <li key={`${p.namespace}/${p.name}/${p.kind}`} data-argocd-app={p.name} data-problem={p.kind}>
                <IntentLink href="/applications" className="font-medium underline">
                  Argo CD {p.name}
                </IntentLink>
                {` ${p.kind}: ${p.message}`}
              </li>
            ))}
          </ul>
        )}
        {worst.length > 0 && (
          <ul className="mt-2 space-y-1 text-sm">
            {worst.map((s) => (
              <li key={s.id}>
                <span className="font-medium">{s.displayName}</span>
                {": "}
                {s.reasons[0]?.message ?? s.status}
              </li>
            ))}
          </ul>
        )}
      </section>
      {!data.kubernetes.connected && (
        <Alert title={data.kubernetes.configured ? "The cluster is not reachable" : "Kubernetes is not configured"} testId="kube-alert">
          {data.kubernetes.message}
          {data.services.length > 0 ? " The states below are the last ones seen." : ""}
        </Alert>
      )}
      {query.isError && <Alert testId="overview-error">{(query.error as Error).message}</Alert>}
      {sorted.length === 0 ? (
        <EmptyState title="No services found">
          Workloads in the watched namespaces appear here. Check <code>kubernetes.namespaces</code> in the configuration.
        </EmptyState>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3" data-testid="service-grid">
          {sorted.map((s) => (
            <ServiceCard key={s.id} card={s} />
          ))}
        </ul>
      )}
    </div>
  );
}
