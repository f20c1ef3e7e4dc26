import type { Metadata } from "next";
import { ChangeList } from "@/components/changes/change-list";
import { ChangeProposer } from "@/components/changes/change-proposer";
import { ChangeReverter } from "@/components/changes/change-reverter";
import { ChangesRefresher } from "@/components/changes/changes-refresher";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { toAppError } from "@/lib/errors";
import type { ChangeSuggestion } from "@/lib/gitops/proposal";
import { redactRepoUrl } from "@/lib/gitops/repo-url";
import { previewChange, previewRevert, proposeChange, proposeRevert, refreshChanges } from "@/server/actions/changes";
import { requirePageUser } from "@/server/auth/session";
import { getConfig } from "@/server/config/load";
import { getGitopsService, withDeadline } from "@/server/git";
import { listFollowedChanges } from "@/server/health/changes";

export const metadata: Metadata = { title: "Changes" };

type Params = Record<string, string | string[] | undefined>;

/** Every change proposed through Git, followed from pull request to live; admins propose new ones. */
export default async function ChangesPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePageUser("viewer", "/changes");
  const params = await searchParams;
  const branch = typeof params.branch === "string" ? params.branch : undefined;
  const header = <PageHeader title="Changes" description="Every configuration change the panel proposed as a pull request, followed until it is live." />;
  const svc = getGitopsService();
  const gitops = getConfig().gitops;
  if (!svc || !gitops) {
    return (
      <>
        {header}
        <EmptyState title="Changes through Git are off" testId="changes-off">
          Add a <code>gitops</code> section (repoUrl, forge, tokenEnv) to the panel&apos;s configuration: every change then becomes a branch and a pull request
          on your GitOps repository, listed here until Argo CD has applied it.
        </EmptyState>
      </>
    );
  }
  // Following the changes talks to the forge and the cluster: never let a slow one hold the page.
  await withDeadline(svc.refresh(), 8_000, "following the changes").catch(() => undefined);
  // A live change is followed until the services it touched are healthy by the panel's own verdict.
  const { changes, moving } = await listFollowedChanges(svc);
  let suggestions: ChangeSuggestion[] = [];
  let suggestionError: string | undefined;
  if (user.role === "admin") {
    try {
      suggestions = await withDeadline(svc.suggestions(), 10_000, "The GitOps repository is slow to answer; reload the page in a moment.");
    } catch (error) {
      suggestionError = toAppError(error).message;
    }
  }
  return (
    <>
      {header}
      <div className="mb-4 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600 dark:text-slate-400">
        <span data-testid="gitops-repo">
          {redactRepoUrl(gitops.repoUrl)} · {gitops.forge === "none" ? "no forge (branches and compare links)" : gitops.forge} · base{" "}
          {gitops.baseBranch ?? "from Argo CD"}
        </span>
        <ChangesRefresher seconds={gitops.pollSeconds} active={moving} refreshNow={user.role === "admin" ? refreshChanges : undefined} />
      </div>
      {user.role === "admin" && (
        <div className="mb-6">
          <Card title="Propose a change" testId="propose-card">
            {suggestionError ? (
              <Alert testId="suggestions-error" title="The repository cannot be read">
                {suggestionError}
              </Alert>
            ) : suggestions.length === 0 ? (
              <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Nothing to suggest: every workload the panel knows has its probes.</p>
            ) : (
              <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Each change is previewed as a diff first; confirming opens a pull request. Nothing is applied to the cluster directly.</p>
            )}
            <ChangeProposer suggestions={suggestions} preview={previewChange} propose={proposeChange} />
          </Card>
        </div>
      )}
      {changes.length === 0 ? (
        <EmptyState title="No changes proposed yet">Changes are made through Git: each becomes a branch and a pull request on the GitOps repository, listed here with its state.</EmptyState>
      ) : (
        <ChangeList
          changes={changes}
          highlightBranch={branch}
          actions={user.role === "admin" ? (c) => (c.pullState === "merged" ? <ChangeReverter changeId={c.id} preview={previewRevert} propose={proposeRevert} /> : null) : undefined}
        />
      )}
    </>
  );
}
