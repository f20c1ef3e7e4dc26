"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import type { ProposeOutcome, RevertPreview } from "@/lib/gitops/proposal";
import { Alert } from "../ui/alert";
import { DiffView } from "./diff-view";

const NO_ANSWER = { ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." } as const;

/**
 * Revert a merged change: preview (`git revert -m 1` of its merge commit on the tip of its base
 * branch: the diff, or the conflict when its files changed again since) -> confirm -> pull request.
 */
export function ChangeReverter({
  changeId,
  preview,
  propose,
}: {
  changeId: number;
  preview: (input: { id: number }) => Promise<ActionResult<RevertPreview>>;
  propose: (input: { id: number; fingerprint: string }) => Promise<ActionResult<ProposeOutcome>>;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [previewed, setPreviewed] = useState<ActionResult<RevertPreview> | null>(null);
  const [proposed, setProposed] = useState<ActionResult<ProposeOutcome> | null>(null);

  const ask = () => {
    setPreviewed(null);
    setProposed(null);
    startTransition(async () => {
      try {
        setPreviewed(await preview({ id: changeId }));
      } catch {
        setPreviewed(NO_ANSWER);
      }
    });
  };
  const confirm = () => {
    if (!previewed?.ok) return;
    const fingerprint = previewed.data.fingerprint;
    startTransition(async () => {
      try {
        const result = await propose({ id: changeId, fingerprint });
        setProposed(result);
        if (result.ok) router.refresh();
      } catch {
        setProposed(NO_ANSWER);
      }
    });
  };
  const p = previewed?.ok ? previewed.data : null;
  return (
    <div className="mt-3 space-y-2" data-testid="change-revert">
      {!p && (
        <button
          type="button"
          onClick={ask}
          disabled={pending}
          data-testid="change-revert-preview"
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          {pending ? "Reverting in a work tree…" : "Revert…"}
        </button>
      )}
      {previewed && !previewed.ok && (
        <Alert testId="change-revert-error" title="The revert cannot be previewed">
          {previewed.message}
        </Alert>
      )}
      {p && (
        <section className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-800" data-testid="revert-preview" data-outcome={p.outcome}>
          <h3 className="font-semibold">{p.title}</h3>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            <span className="font-mono">git revert -m 1 {p.commit.slice(0, 7)}</span> on <span className="font-mono">{p.baseBranch}</span> at {p.baseSha.slice(0, 7)}
          </p>
          {p.message && (
            <Alert tone={p.outcome === "conflict" ? undefined : "info"} testId="revert-message" title={p.outcome === "conflict" ? "The files changed again since: nothing was pushed" : undefined}>
              {p.message}
            </Alert>
          )}
          {p.outcome === "conflict" ? (
            <pre className="max-h-96 overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-950" data-testid="revert-conflict">
              {p.conflictDiff}
            </pre>
          ) : (
            p.diff && <DiffView diff={p.diff} testId="revert-preview-diff" />
          )}
          {p.outcome === "preview" && !proposed?.ok && (
            <div className="flex flex-wrap gap-2">
              <button type="button" onClick={confirm} disabled={pending} data-testid="revert-confirm" className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60">
                {pending ? "Opening the pull request…" : "Open the revert pull request"}
              </button>
              <button type="button" onClick={() => setPreviewed(null)} disabled={pending} className="rounded-md border border-slate-300 px-3 py-2 text-sm dark:border-slate-700">
                Cancel
              </button>
            </div>
          )}
        </section>
      )}
      {proposed && !proposed.ok && (
        <Alert testId="revert-propose-error" title="No pull request was opened">
          {proposed.message}
        </Alert>
      )}
      {proposed?.ok && (
        <Alert tone="success" testId="revert-result">
          <span data-testid="revert-result-outcome" data-outcome={proposed.data.outcome}>
            {proposed.data.outcome === "already_open" ? "Already open: " : "Pull request opened: "}
          </span>
          {proposed.data.prUrl && (
            <a href={proposed.data.prUrl} className="font-medium underline" target="_blank" rel="noreferrer" data-testid="revert-pr-link">
              {proposed.data.prUrl}
            </a>
          )}
        </Alert>
      )}
    </div>
  );
}
