import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { VeleroBackupView, VeleroView } from "@/lib/backups/velero";

const TONE: Record<VeleroBackupView["result"], BadgeTone> = { succeeded: "ok", partial: "warn", failed: "bad", running: "neutral" };

const when = (ms: number | undefined): string => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "");

function ServiceList({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <span className="text-xs text-slate-600 dark:text-slate-400">no service the panel knows</span>;
  return <span className="block font-mono text-xs text-slate-600 dark:text-slate-400">{ids.join(", ")}</span>;
}

/**
 * Velero's Schedules and Backups, read-only (the panel neither starts nor restores them): their
 * phase, times, errors and warnings, expiry, and the services whose namespace they cover. Renders
 * nothing when Velero has neither (or is not installed).
 */
export function VeleroSection({ view }: { view: VeleroView }) {
  if (view.backups.length === 0 && view.schedules.length === 0) return null;
  return (
    <section className="mb-6" data-testid="velero">
      <h2 className="mb-2 text-lg font-semibold">Velero</h2>
      <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">Read-only: Velero makes, keeps and restores these (the velero CLI); the panel shows them beside the services they cover.</p>
      {view.schedules.length > 0 && (
        <div className="mb-3 overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="velero-schedules">
            <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
              <tr>
                <th className="py-2 pr-3">Schedule</th>
                <th className="py-2 pr-3">When</th>
                <th className="py-2 pr-3">Last backup</th>
                <th className="py-2">Covers</th>
              </tr>
            </thead>
            <tbody>
              {view.schedules.map((s) => (
                <tr key={s.name} className="border-t border-slate-200 align-top dark:border-slate-800" data-testid="velero-schedule" data-name={s.name}>
                  <td className="py-2 pr-3 font-mono text-xs">{s.name}</td>
                  <td className="py-2 pr-3">
                    <span className="font-mono text-xs">{s.schedule}</span>
                    {s.paused && <Badge tone="warn">paused</Badge>}
                    {s.phase && s.phase !== "Enabled" && <span className="block text-xs">{s.phase}</span>}
                  </td>
                  <td className="py-2 pr-3">{when(s.lastBackupAt) || "none yet"}</td>
                  <td className="py-2">
                    {s.covers}
                    <ServiceList ids={s.services} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {view.backups.length > 0 && (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="velero-backups">
            <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
              <tr>
                <th className="py-2 pr-3">Backup</th>
                <th className="py-2 pr-3">Started, completed</th>
                <th className="py-2 pr-3">Phase</th>
                <th className="py-2 pr-3">Expires</th>
                <th className="py-2">Covers</th>
              </tr>
            </thead>
            <tbody>
              {view.backups.map((b) => (
                <tr key={b.name} className="border-t border-slate-200 align-top dark:border-slate-800" data-testid="velero-backup" data-name={b.name} data-phase={b.phase}>
                  <td className="py-2 pr-3 font-mono text-xs">
                    {b.name}
                    {b.schedule && <span className="block">schedule {b.schedule}</span>}
                  </td>
                  <td className="py-2 pr-3">
                    {when(b.startedAt)}
                    {b.completedAt && <span className="block text-xs">{when(b.completedAt)}</span>}
                  </td>
                  <td className="py-2 pr-3" data-testid="velero-backup-phase">
                    <Badge tone={TONE[b.result]}>{b.phase}</Badge>
                    {(b.errors > 0 || b.warnings > 0) && (
                      <span className="block text-xs">
                        {b.errors} error{b.errors === 1 ? "" : "s"}, {b.warnings} warning{b.warnings === 1 ? "" : "s"}
                      </span>
                    )}
                    {b.reason && <span className="block text-xs">{b.reason}</span>}
                  </td>
                  <td className="py-2 pr-3">{when(b.expiresAt)}</td>
                  <td className="py-2" data-testid="velero-backup-covers">
                    {b.covers}
                    <ServiceList ids={b.services} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
