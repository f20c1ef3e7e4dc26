import { IntentLink } from "@/components/ui/intent-link";
import { formatUptime } from "@/lib/health-format";
import type { ServiceCardData } from "@/lib/overview";
import { StatusBadge } from "./status-badge";

/** Every service as a table: the Services page. */
export function ServicesTable({ services }: { services: ServiceCardData[] }) {
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
            <tr key={s.id} className="border-t border-slate-200 dark:border-slate-800" data-testid="service-row" data-service={s.id}>
              <td className="px-3 py-2">
                <IntentLink href={`/services/${s.namespace}/${s.name}`} className="font-medium text-sky-700 underline dark:text-sky-400">
                  {s.displayName}
                </IntentLink>
                <span className="block text-xs text-slate-500">{s.namespace}</span>
              </td>
              <td className="px-3 py-2">
                <StatusBadge status={s.status} />
                {s.reasons[0] && <span className="block text-xs text-slate-600 dark:text-slate-400">{s.reasons[0].message}</span>}
              </td>
              <td className="hidden px-3 py-2 sm:table-cell">{s.appKind}</td>
              <td className="hidden px-3 py-2 md:table-cell">{s.version ?? "—"}</td>
              <td className="px-3 py-2">
                {s.ready}/{s.desired}
              </td>
              <td className="hidden px-3 py-2 md:table-cell">{formatUptime(s.uptimeDay)}</td>
              <td className="hidden max-w-xs truncate px-3 py-2 lg:table-cell">
                {s.ingressUrl ? (
                  <a href={s.ingressUrl} className="text-sky-700 underline dark:text-sky-400" target="_blank" rel="noreferrer">
                    {s.ingressUrl}
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
