import type { Metadata } from "next";
import { IntentLink } from "@/components/ui/intent-link";
import { BackupNowButton } from "@/components/backups/backup-now";
import { RestoreButton, VerifyButton } from "@/components/backups/restore";
import { VeleroSection } from "@/components/backups/velero";
import { ChangeProposer } from "@/components/changes/change-proposer";
import { Alert } from "@/components/ui/alert";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { sizeText } from "@/lib/backups/format";
import { protectionCounts, protectionNextStep } from "@/lib/backups/protection";
import type { BackupSource, ProtectionState } from "@/lib/backups/types";
import { toAppError } from "@/lib/errors";
import type { ChangeSuggestion } from "@/lib/gitops/proposal";
import { backupNowAction, previewRestoreAction, restoreAction, verifyBackupAction } from "@/server/actions/backups";
import { previewChange, proposeChange } from "@/server/actions/changes";
import { requirePageUser } from "@/server/auth/session";
import { historyCursorText, parseHistoryCursor } from "@/server/backups/history";
import { backupsView, HISTORY_PAGE, type BackupsView } from "@/server/backups/service";
import { getConfig } from "@/server/config/load";
import { getGitopsService } from "@/server/git";

export const metadata: Metadata = { title: "Backups" };
export const dynamic = "force-dynamic";

const STATE: Record<ProtectionState, { tone: BadgeTone; text: string }> = {
  fresh: { tone: "ok", text: "protected" },
  stale: { tone: "warn", text: "stale" },
  never: { tone: "warn", text: "no good backup yet" },
  unprotected: { tone: "bad", text: "unprotected" },
  "not-needed": { tone: "neutral", text: "nothing to back up" },
};

const SOURCE: Record<BackupSource, string> = { volume: "volume backup", app: "the app's own", velero: "Velero" };

const when = (ms: number | null | undefined): string => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "");

/**
 * Every service's protection, "enable backups" and "back up now", and the history of every backup,
 * a page at a time (`?older=<cursor>` for the rows older than a page's last).
 */
export default async function BackupsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePageUser("viewer", "/backups");
  const olderParam = (await searchParams).older;
  const before = parseHistoryCursor(typeof olderParam === "string" ? olderParam : undefined);
  const header = <PageHeader title="Backups" description="Whether every service's configuration is protected, its backups, and backing up now." />;
  let view: BackupsView;
  try {
    view = await backupsView(undefined, before ? { before } : {});
  } catch (error) {
    return (
      <>
        {header}
        <Alert testId="backups-error" title="The backups cannot be read">
          {toAppError(error).message}
        </Alert>
      </>
    );
  }
  const admin = user.role === "admin";
  const counts = protectionCounts(view.services);
  const claim = getConfig().backups.claim;
  const offered = view.services.filter((s) => s.enable.offered);
  const suggestions: ChangeSuggestion[] = offered.map((s) => ({
    request: { kind: "enable-backups", target: s.serviceId, backupClaim: claim },
    label: `Enable backups of ${s.name}`,
    detail: `A daily CronJob archiving ${s.serviceId}'s configuration volume to the claim ${claim}, and the restore init container.`,
  }));
  const gitopsOn = getGitopsService() !== null;
  const nextStep = (s: (typeof view.services)[number]) => protectionNextStep(s, { admin, gitops: gitopsOn });
  const shown = view.services.filter((s) => s.state !== "not-needed");
  const restorable = new Set(view.services.filter((s) => s.backupNow === "volume").map((s) => s.serviceId));
  const appRestorable = new Set(view.appRestorable);
  return (
    <>
      {header}
      <p className="mb-4 text-sm" data-testid="backups-counts">
        {counts.protected} of {counts.total} services protected and fresh · {counts.unprotected} without backups · {counts.stale} stale or never backed up
      </p>
      {view.errors.length > 0 && (
        <div className="mb-4">
          <Alert testId="backups-partial" title="Some backups could not be read">
            {view.errors.join("; ")}
          </Alert>
        </div>
      )}
      <div className="mb-6 overflow-x-auto">
        <table className="w-full text-left text-sm" data-testid="protection-table">
          <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
            <tr>
              <th className="py-2 pr-3">Service</th>
              <th className="py-2 pr-3">Protection</th>
              <th className="py-2 pr-3">Details</th>
              <th className="py-2">{admin ? "Action" : ""}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => {
              const slug = s.serviceId.replace("/", "-");
              const running = view.running[s.serviceId];
              return (
                <tr key={s.serviceId} className="border-t border-slate-200 align-top dark:border-slate-800" data-testid={`protection-${slug}`} data-state={s.state}>
                  <td className="py-2 pr-3">
                    <span className="font-medium">{s.displayName}</span>
                    <span className="block font-mono text-xs text-slate-600 dark:text-slate-400">{s.serviceId}</span>
                  </td>
                  <td className="py-2 pr-3">
                    <Badge tone={STATE[s.state].tone}>{STATE[s.state].text}</Badge>
                  </td>
                  <td className="py-2 pr-3" data-testid={`protection-summary-${slug}`}>
                    {s.summary}
                    {s.methods.map((m) => (m.kind === "volume" ? <span key={m.cronJob} className="block text-xs text-slate-600 dark:text-slate-400">CronJob {m.cronJob} ({m.schedule}) → claim {m.backupClaim ?? "?"}</span> : null))}
                    {nextStep(s) && (
                      <span className="block text-xs text-slate-600 dark:text-slate-400" data-testid={`protection-next-${slug}`}>
                        {nextStep(s)}
                      </span>
                    )}
                  </td>
                  <td className="py-2">{admin && s.backupNow === "volume" && <BackupNowButton serviceId={s.serviceId} {...(running ? { running } : {})} start={backupNowAction} />}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {admin && offered.length > 0 && (
        <div className="mb-6" id="enable-backups">
          <Card title="Enable backups" testId="enable-backups-card">
            {gitopsOn ? (
              <>
                <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
                  Each proposal is a pull request (previewed as a diff first): a daily CronJob writing archives to the claim <span className="font-mono">{claim}</span> in the service&apos;s
                  namespace, and the init container restores need. After the merge, Argo CD creates the CronJob.
                </p>
                <ChangeProposer suggestions={suggestions} preview={previewChange} propose={proposeChange} workloadForm={false} />
              </>
            ) : (
              <p className="text-sm">Changes through Git are off: add a gitops section to the panel&apos;s configuration to enable backups through a pull request.</p>
            )}
          </Card>
        </div>
      )}
      <VeleroSection view={view.velero} />
      <h2 className="mb-2 text-lg font-semibold">History</h2>
      <p className="mb-2 text-xs text-slate-600 dark:text-slate-400" data-testid="backup-history-page">
        {before ? `Older backups, ${HISTORY_PAGE} per page, started before ${when(before.startedAt)}. ` : `The newest ${HISTORY_PAGE} backups. `}
        {before && (
          <IntentLink href="/backups" className="underline" data-testid="backup-history-newest">
            Newest
          </IntentLink>
        )}
      </p>
      {view.backups.length === 0 ? (
        <EmptyState title="No backups recorded">Backup runs of the services&apos; configuration volumes appear here, kept after their Jobs are gone.</EmptyState>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="backup-history">
            <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
              <tr>
                <th className="py-2 pr-3">Service</th>
                <th className="py-2 pr-3">Started</th>
                <th className="py-2 pr-3">Kind</th>
                <th className="py-2 pr-3">Result</th>
                <th className="py-2 pr-3">Archive</th>
                <th className="py-2 pr-3">Size</th>
                <th className="py-2 pr-3">SHA-256</th>
                <th className="py-2">{admin ? "Drill, restore" : ""}</th>
              </tr>
            </thead>
            <tbody>
              {view.backups.map((b) => (
                <tr key={b.id} className="border-t border-slate-200 align-top dark:border-slate-800" data-testid="backup-row" data-id={b.id} data-service={b.serviceId} data-result={b.result} data-job={b.jobName}>
                  <td className="py-2 pr-3 font-mono text-xs">{b.serviceId}</td>
                  <td className="py-2 pr-3">{when(b.startedAt)}</td>
                  <td className="py-2 pr-3" data-testid="backup-source" data-source={b.source}>
                    {b.trigger}
                    <span className="block text-xs text-slate-600 dark:text-slate-400">{SOURCE[b.source]}</span>
                  </td>
                  <td className="py-2 pr-3">
                    <Badge tone={b.result === "succeeded" ? "ok" : b.result === "failed" ? "bad" : "neutral"}>{b.result}</Badge>
                    {b.reason && <span className="block text-xs">{b.reason}</span>}
                  </td>
                  <td className="py-2 pr-3 font-mono text-xs" data-testid="backup-location">{b.location ?? ""}</td>
                  <td className="py-2 pr-3" data-testid="backup-size">{sizeText(b.sizeBytes)}</td>
                  <td className="py-2 font-mono text-xs" data-testid="backup-sha256" title={b.sha256}>
                    {b.sha256 ? `${b.sha256.slice(0, 16)}…` : ""}
                    {b.verification !== "unverified" && (
                      <span className="block" data-testid="backup-verification" data-verification={b.verification}>
                        {b.verification === "verified" ? "verified" : `verification failed${b.verifyDetail ? `: ${b.verifyDetail}` : ""}`}
                      </span>
                    )}
                  </td>
                  <td className="py-2">
                    {admin && b.result === "succeeded" && b.archive && b.source === "app" && appRestorable.has(b.serviceId) && (
                      <RestoreButton serviceId={b.serviceId} backupId={b.id} preview={previewRestoreAction} restore={restoreAction} />
                    )}
                    {admin && b.result === "succeeded" && b.archive && b.source === "volume" && restorable.has(b.serviceId) && (
                      <div className="flex flex-wrap items-start gap-2">
                        <VerifyButton serviceId={b.serviceId} backupId={b.id} verify={verifyBackupAction} />
                        <RestoreButton serviceId={b.serviceId} backupId={b.id} preview={previewRestoreAction} restore={restoreAction} />
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {view.older && (
            <p className="mt-2 text-sm">
              <IntentLink href={`/backups?older=${historyCursorText(view.older)}`} className="underline" data-testid="backup-history-older">
                Older backups
              </IntentLink>
            </p>
          )}
        </div>
      )}
    </>
  );
}
