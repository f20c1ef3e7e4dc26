import Link from "next/link";
import { formatUptime } from "@/lib/health-format";
import type { ServiceSummary } from "@/lib/services";
import { StatusBadge } from "./status-badge";

/** Every service as a table: the Services page. */
export function ServicesTable({ services }: { services: ServiceSummary[] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-sm" data-testid="services-table">
        <thead className="bg-slate-100 text-xs uppercase text-slate-600 dark:bg-slate-900 dark:text-slate-400">
          <tr>
            <th scope="col" className="px-3 py-2">Service</th>
            <th scope="col" className="px-3 py-2">Status</th>
            <th scope="col" className="hidden px-3 py-2 sm:table-cell">App</th>
            <th scope="col" className="hidden px-3 py-2 md:table-cell">Version</th>
            <th scope="col" className="px-3 py-2">Ready</th>
            <th scope="col" className="hidden px-3 py-2 md:table-cell">Uptime 24 h</th>
            <th scope="col" className="hidden px-3 py-2 lg:table-cell">URL</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.service.id} className="border-t border-slate-200 dark:border-slate-800" data-testid="service-row" data-service={s.service.id}>
              <td className="px-3 py-2">
                <Link href={`/services/${s.service.namespace}/${s.service.name}`} className="font-medium text-sky-700 underline dark:text-sky-400">
                  {s.service.displayName}
                </Link>
                <span className="block text-xs text-slate-500">{s.service.namespace}</span>
              </td>
              <td className="px-3 py-2">
                <StatusBadge status={s.verdict.status} />
                {s.verdict.reasons[0] && <span className="block text-xs text-slate-600 dark:text-slate-400">{s.verdict.reasons[0].message}</span>}
              </td>
              <td className="hidden px-3 py-2 sm:table-cell">{s.service.appKind}</td>
              <td className="hidden px-3 py-2 md:table-cell">{s.app?.version ?? "—"}</td>
              <td className="px-3 py-2">
                {s.service.kube.ready}/{s.service.kube.desired}
              </td>
              <td className="hidden px-3 py-2 md:table-cell">{formatUptime(s.uptime.day)}</td>
              <td className="hidden max-w-xs truncate px-3 py-2 lg:table-cell">
                {s.service.ingressUrls[0] ? (
                  <a href={s.service.ingressUrls[0]} className="text-sky-700 underline dark:text-sky-400" target="_blank" rel="noreferrer">
                    {s.service.ingressUrls[0]}
                  </a>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
