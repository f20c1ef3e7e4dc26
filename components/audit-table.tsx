import type { AuditEvent } from "@/lib/audit";
import { isSafeLink } from "@/lib/safe-url";
import { Badge } from "./ui/badge";

const RESULT_TONE = { ok: "ok", error: "bad", refused: "warn" } as const;

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function summary(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** Audit events as a table on wide screens and stacked rows on phones. */
export function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
      <table className="w-full text-left text-sm" data-testid="audit-table">
        <thead className="bg-slate-100 text-xs uppercase text-slate-600 dark:bg-slate-900 dark:text-slate-400">
          <tr>
            <th scope="col" className="px-3 py-2">Time</th>
            <th scope="col" className="px-3 py-2">Who</th>
            <th scope="col" className="px-3 py-2">Action</th>
            <th scope="col" className="px-3 py-2">Target</th>
            <th scope="col" className="px-3 py-2">Result</th>
            <th scope="col" className="hidden px-3 py-2 lg:table-cell">Input</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-testid="audit-row" className="border-t border-slate-200 align-top dark:border-slate-800">
              <td className="whitespace-nowrap px-3 py-2 text-xs text-slate-600 dark:text-slate-400">{formatTime(e.at)}</td>
              <td className="px-3 py-2">
                {e.actor} <span className="text-xs text-slate-500">({e.role})</span>
              </td>
              <td className="px-3 py-2 font-mono text-xs" data-testid="audit-action">{e.action}</td>
              <td className="px-3 py-2">
                {e.target}
                {e.links.filter((l) => isSafeLink(l.href)).map((l) => (
                  <a key={l.href} href={l.href} className="ml-2 text-sky-700 underline dark:text-sky-400" rel="noreferrer">
                    {l.label}
                  </a>
                ))}
              </td>
              <td className="px-3 py-2" data-testid="audit-result">
                <Badge tone={RESULT_TONE[e.result]}>{e.result}</Badge>
                {e.repeatCount > 1 && (
                  <span className="ml-2 text-xs text-slate-600 dark:text-slate-400" data-testid="audit-repeat">
                    ×{e.repeatCount} since {formatTime(e.firstAt ?? e.at)}
                  </span>
                )}
                {e.errorMessage && <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{e.errorMessage}</p>}
              </td>
              <td className="hidden max-w-xs break-all px-3 py-2 font-mono text-xs text-slate-600 lg:table-cell dark:text-slate-400">
                {summary(e.inputSummary)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
