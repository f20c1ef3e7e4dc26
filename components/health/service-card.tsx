import Link from "next/link";
import { formatLatency, formatVersion } from "@/lib/health-format";
import type { ServiceSummary } from "@/lib/services";
import { Sparkline } from "./sparkline";
import { StatusBadge } from "./status-badge";

/** One service on the Overview: status, version, latency sparkline and the first reason; links to its page. */
export function ServiceCard({ summary }: { summary: ServiceSummary }) {
  const { service, app, verdict } = summary;
  const first = verdict.reasons[0];
  return (
    <li
      data-testid="service-card"
      data-service={service.id}
      data-status={verdict.status}
      className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <Link href={`/services/${service.namespace}/${service.name}`} className="block focus:outline-none">
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <p className="truncate font-medium" data-testid="service-name">
              {service.displayName}
            </p>
            <p className="truncate text-xs text-slate-500" data-testid="service-namespace">
              {service.namespace} · {service.appKind}
              {app?.version ? <span data-testid="service-version"> · {formatVersion(app.version)}</span> : null}
            </p>
          </div>
          <StatusBadge status={verdict.status} />
        </div>
        <div className="mt-2">
          <Sparkline points={summary.latency} label={`Latency of ${service.displayName}`} />
        </div>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="service-reason">
          {first ? first.message : `ready ${service.kube.ready}/${service.kube.desired}${app?.latencyMs !== undefined ? ` · ${formatLatency(app.latencyMs)}` : ""}`}
        </p>
      </Link>
      {service.ingressUrls[0] && (
        <a href={service.ingressUrls[0]} className="mt-1 block truncate text-xs text-sky-700 underline dark:text-sky-400" data-testid="service-url" rel="noreferrer" target="_blank">
          {service.ingressUrls[0]}
        </a>
      )}
    </li>
  );
}
