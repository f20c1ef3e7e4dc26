import { allHealthy, STATUS_TEXT, type AfterSync, type ChangeStatus, type FollowedChange } from "@/lib/gitops/change-state";
import { Badge, type BadgeTone } from "../ui/badge";
import { DiffView } from "./diff-view";

const STATUS_TONE: Record<ChangeStatus, BadgeTone> = { open: "warn", pushed: "warn", merged: "neutral", live: "ok", closed: "neutral" };

function formatTime(ms: number | null): string {
  return ms === null ? "—" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : "—");

function healthTone(health: string | undefined): BadgeTone {
  if (health === "Healthy") return "ok";
  if (health === "Degraded" || health === "Missing") return "bad";
  return "warn";
}

type ListedChange = FollowedChange;

const AFTER_TONE: Record<AfterSync["state"], BadgeTone> = { checking: "neutral", healthy: "ok", down: "bad" };

/** One proposed change: where it stands, its pull request, its Argo CD Applications, and its diff. */
function ChangeCard({ change, highlighted, children }: { change: ListedChange; highlighted: boolean; children?: React.ReactNode }) {
  return (
    <li
      id={`change-${change.id}`}
      data-testid="change"
      data-branch={change.branch}
      data-status={change.status}
      className={`rounded-lg border bg-white p-4 shadow-sm dark:bg-slate-900 ${highlighted ? "border-sky-500 ring-2 ring-sky-300 dark:ring-sky-800" : "border-slate-200 dark:border-slate-800"}`}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="font-semibold" data-testid="change-title">
            {change.title}
          </h2>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            {change.author} · {formatTime(change.createdAt)} · <span className="font-mono">{change.branch}</span> → <span className="font-mono">{change.baseBranch}</span>
            {change.baseSource === "argocd" ? " (from Argo CD)" : change.baseSource === "config" ? " (configured)" : " (default branch)"}
          </p>
        </div>
        <span data-testid="change-status" className="flex items-center gap-2">
          <Badge tone={STATUS_TONE[change.status]}>{STATUS_TEXT[change.status]}</Badge>
          {change.status === "live" && change.apps.length > 0 && !allHealthy(change.apps) && <Badge tone="bad">not healthy</Badge>}
        </span>
      </div>
      <p className="mt-2 text-sm">
        <a href={change.prUrl} className="text-sky-700 underline dark:text-sky-400" rel="noreferrer" target="_blank" data-testid="change-pr-url">
          {change.prNumber !== null ? `Pull request #${change.prNumber}` : "Open the pull request (compare page)"}
        </a>
        {change.mergeable === false && change.pullState === "open" && (
          <span className="ml-2 text-red-700 dark:text-red-400" data-testid="change-conflict">
            conflicts with {change.baseBranch}: resolve it on the forge, or close it and propose the change again
          </span>
        )}
        {change.mergeSha && <span className="ml-2 text-xs text-slate-600 dark:text-slate-400">merge commit {short(change.mergeSha)}</span>}
      </p>
      {change.summary.length > 0 && (
        <ul className="mt-2 list-disc pl-5 text-sm">
          {change.summary.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      )}
      <div className="mt-3 grid gap-1 text-sm">
        <p>
          <span className="font-medium">Services:</span> {change.services.join(", ")}
        </p>
        {change.apps.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-400">No Argo CD Application is known to deploy these files: the change is done once merged.</p>
        ) : (
          <ul data-testid="change-apps" className="grid gap-1">
            {change.apps.map((a) => (
              <li key={`${a.namespace}/${a.name}`} className="flex flex-wrap items-center gap-2" data-testid="change-app">
                <span className="font-mono text-xs">
                  {a.namespace}/{a.name}
                </span>
                <Badge tone={a.syncStatus === "Synced" && a.includesChange ? "ok" : "neutral"}>
                  {a.syncStatus}
                  {a.revision ? ` at ${short(a.revision)}` : ""}
                  {change.pullState === "merged" ? (a.includesChange ? " (includes the change)" : " (not yet at the merge)") : ""}
                </Badge>
                {a.health && <Badge tone={healthTone(a.health)}>{a.health}</Badge>}
                {a.healthMessage && <span className="text-xs text-slate-600 dark:text-slate-400">{a.healthMessage}</span>}
              </li>
            ))}
          </ul>
        )}
        {change.liveAt !== null && <p className="text-xs text-slate-600 dark:text-slate-400">Live since {formatTime(change.liveAt)}.</p>}
        {change.afterSync && (
          <p data-testid="change-after-sync" data-state={change.afterSync.state} className="flex flex-wrap items-center gap-2">
            <Badge tone={AFTER_TONE[change.afterSync.state]}>{change.afterSync.state === "healthy" ? "healthy" : change.afterSync.state === "down" ? "down" : "checking"}</Badge>
            <span>{change.afterSync.text}</span>
          </p>
        )}
        {change.lastError && (
          <p className="text-xs text-red-700 dark:text-red-400" data-testid="change-error">
            Last check: {change.lastError}
          </p>
        )}
      </div>
      {children}
      <details className="mt-3">
        <summary className="cursor-pointer text-sm font-medium" data-testid="change-diff-toggle">
          Diff ({change.files.length} file{change.files.length === 1 ? "" : "s"}: {change.files.join(", ")})
        </summary>
        <div className="mt-2">
          <DiffView diff={change.diff} testId={`change-diff-${change.id}`} />
        </div>
      </details>
    </li>
  );
}

/** Every change the panel proposed, newest first. */
export function ChangeList({ changes, highlightBranch, actions }: { changes: ListedChange[]; highlightBranch?: string; actions?: (change: ListedChange) => React.ReactNode }) {
  return (
    <ul className="grid gap-4" data-testid="change-list">
      {changes.map((c) => (
        <ChangeCard key={c.id} change={c} highlighted={c.branch === highlightBranch}>
          {actions?.(c)}
        </ChangeCard>
      ))}
    </ul>
  );
}
