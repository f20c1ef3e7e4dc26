import { IntentLink } from "@/components/ui/intent-link";
import { formatLatency, formatVersion } from "@/lib/health-format";
import type { ServiceCardData } from "@/lib/overview";
import { HealthBadge, SyncBadge } from "../argocd/argo-badges";
import { Sparkline } from "./sparkline";
import { StatusBadge } from "./status-badge";

/** One service on the Overview: status, version, latency sparkline and the first reason; links to its page. */
export function ServiceCard({ card }: { card: ServiceCardData }) {
  const first = card.reasons[0];
  return (
    <li
      data-testid="service-card"
      data-service={card.id}
      data-status={card.status}
      className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <IntentLink href={`/services/${card.namespace}/${card.name}`} className="block focus:outline-none">
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <p className="truncate font-medium" data-testid="service-name">
              {card.displayName}
            </p>
            <p className="truncate text-xs text-slate-500" data-testid="service-namespace">
              {card.namespace} · {card.appKind}
              {card.version ? <span data-testid="service-version"> · {formatVersion(card.version)}</span> : null}
            </p>
          </div>
          <StatusBadge status={card.status} />
        </div>
        <div className="mt-2">
          <Sparkline points={card.latency} label={`Latency of ${card.displayName}`} />
        </div>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="service-reason">
          {first
            ? first.message
            : `ready ${card.ready}/${card.desired}${card.latencyMs !== undefined ? ` · ${formatLatency(card.latencyMs)}` : ""}`}
        </p>
      </IntentLink>
      {card.certificate && (
        <IntentLink
          href="/certificates"
          data-testid="service-cert"
          data-state={card.certificate.state}
          className={`mt-1 block text-xs ${card.certificate.state === "critical" ? "text-red-700 dark:text-red-400" : "text-amber-800 dark:text-amber-300"}`}
        >
          {card.certificate.subject}: {card.certificate.message}
        </IntentLink>
      )}
      {card.argoState && (
        <div className="mt-1 flex flex-wrap items-center gap-1 text-xs" data-testid="service-argocd" data-argocd-app={card.argoState.name} data-severity={card.argoState.severity}>
          <span className="text-slate-500">Argo CD</span>
          <SyncBadge status={card.argoState.syncStatus} />
          <HealthBadge status={card.argoState.health} />
          {card.argoState.revision && <span className="font-mono text-slate-500">{card.argoState.revision}</span>}
          {card.argoState.operating && <span className="text-sky-700 dark:text-sky-400">syncing</span>}
          {card.argoState.severity >= 2 && (
            <span className="block w-full text-slate-600 dark:text-slate-400" data-testid="service-argocd-message">
              {card.argoState.summary}
            </span>
          )}
        </div>
      )}
      {card.ingressUrl && (
        <a href={card.ingressUrl} className="mt-1 block truncate text-xs text-sky-700 underline dark:text-sky-400" data-testid="service-url" rel="noreferrer" target="_blank">
          {card.ingressUrl}
        </a>
      )}
    </li>
  );
}
