"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import type { ChangeRequest } from "@/lib/gitops/change-kinds";
import type { ChangePreview, ChangeSuggestion, ProposeOutcome } from "@/lib/gitops/proposal";
import { Alert } from "../ui/alert";
import { DiffView } from "./diff-view";

const BASE_TEXT = { config: "set in the configuration", argocd: "the branch Argo CD deploys from", default: "the repository's default branch" } as const;

function requestId(request: ChangeRequest): string {
  if (request.kind === "health-probes") return `${request.kind}-${request.target.replace("/", "-")}`;
  if (request.kind === "resources") return `${request.kind}-${request.target.replace("/", "-")}`;
  if (request.kind === "https-only") return `${request.kind}-${request.ingress.replace("/", "-")}`;
  if (request.kind === "enable-backups") return `${request.kind}-${request.target.replace("/", "-")}`;
  return request.kind;
}

const NO_ANSWER = { ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." } as const;

/**
 * Preview -> confirm -> pull request. The preview is read-only (the diff against the base branch);
 * confirming sends the preview's fingerprint, so a base that moved in between is refused.
 */
export function ChangeProposer({
  suggestions,
  preview,
  propose,
  workloadForm = true,
}: {
  suggestions: ChangeSuggestion[];
  preview: (request: ChangeRequest) => Promise<ActionResult<ChangePreview>>;
  propose: (input: { request: ChangeRequest; fingerprint?: string }) => Promise<ActionResult<ProposeOutcome>>;
  /** Offer the health-probe form for any workload (the Changes page); off where one change is offered. */
  workloadForm?: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [request, setRequest] = useState<ChangeRequest | null>(null);
  const [previewed, setPreviewed] = useState<ActionResult<ChangePreview> | null>(null);
  const [proposed, setProposed] = useState<ActionResult<ProposeOutcome> | null>(null);
  const [workload, setWorkload] = useState("");
  const [customRules, setCustomRules] = useState("");

  const ask = (next: ChangeRequest) => {
    setRequest(next);
    setPreviewed(null);
    setProposed(null);
    startTransition(async () => {
      try {
        setPreviewed(await preview(next));
      } catch {
        setPreviewed(NO_ANSWER);
      }
    });
  };

  const confirm = () => {
    if (!request || !previewed?.ok) return;
    const fingerprint = previewed.data.fingerprint;
    startTransition(async () => {
      try {
        const result = await propose({ request, fingerprint });
        setProposed(result);
        if (result.ok) router.refresh();
      } catch {
        setProposed(NO_ANSWER);
      }
    });
  };

  const p = previewed?.ok ? previewed.data : null;
  return (
    <div className="space-y-4" data-testid="change-proposer">
      <div className="flex flex-wrap gap-2">
        {suggestions.map((s) => (
          <button
            key={requestId(s.request)}
            type="button"
            disabled={pending}
            onClick={() => ask(s.request)}
            title={s.detail}
            data-testid={`propose-${requestId(s.request)}`}
            className="rounded-md border border-sky-700 px-3 py-1.5 text-sm font-medium text-sky-800 hover:bg-sky-50 disabled:opacity-60 dark:border-sky-400 dark:text-sky-300 dark:hover:bg-sky-950"
          >
            {s.label}
          </button>
        ))}
      </div>
      {workloadForm && (
      <form
        className="flex flex-wrap items-end gap-2 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          if (workload.trim()) ask({ kind: "health-probes", target: workload.trim() });
        }}
      >
        <label className="grid gap-1">
          <span>Health probes for another workload</span>
          <input
            value={workload}
            onChange={(e) => setWorkload(e.target.value)}
            placeholder="namespace/name"
            data-testid="probe-target"
            className="w-56 rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-950"
          />
        </label>
        <button type="submit" disabled={pending || !workload.trim()} className="rounded-md border border-slate-300 px-3 py-1.5 disabled:opacity-60 dark:border-slate-700">
          Preview
        </button>
      </form>
      )}
      {workloadForm && (
        <details className="text-sm" data-testid="custom-rules-form">
          <summary className="cursor-pointer">The panel&apos;s alert rules with rules of your own</summary>
          <form
            className="mt-2 grid gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              ask({ kind: "alert-rules", customRules });
            }}
          >
            <label className="grid gap-1">
              <span>
                Your alerting rules, YAML: a list of <span className="font-mono">{"{ alert, expr, for, labels, annotations }"}</span>. They are checked (the
                file&apos;s shape, promtool where the panel has it, your Prometheus&apos; parser) before any pull request.
              </span>
              <textarea
                value={customRules}
                onChange={(e) => setCustomRules(e.target.value)}
                rows={8}
                spellCheck={false}
                placeholder={"- alert: DiskAlmostFull\n  expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1\n  for: 10m\n  labels: { severity: warning }"}
                data-testid="custom-rules"
                className="rounded-md border border-slate-300 bg-white px-2 py-1.5 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
              />
            </label>
            <div>
              <button type="submit" disabled={pending} data-testid="custom-rules-preview" className="rounded-md border border-slate-300 px-3 py-1.5 disabled:opacity-60 dark:border-slate-700">
                Preview the alert rules
              </button>
            </div>
          </form>
        </details>
      )}

      {pending && !previewed && <p className="text-sm text-slate-600 dark:text-slate-400">Reading the repository…</p>}
      {previewed && !previewed.ok && (
        <Alert testId="change-preview-error" title="The change cannot be previewed">
          {previewed.message}
          {previewed.fieldErrors && <span className="block">{Object.values(previewed.fieldErrors).flat().join(" ")}</span>}
        </Alert>
      )}
      {p && (
        <section className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-800" data-testid="change-preview" data-outcome={p.outcome}>
          <header>
            <h3 className="font-semibold">{p.title}</h3>
            <p className="text-xs text-slate-600 dark:text-slate-400">
              Into <span className="font-mono">{p.baseBranch}</span> ({BASE_TEXT[p.baseSource]}
              {p.applications.length > 0 ? `: ${p.applications.join(", ")}` : ""}) at {p.baseSha.slice(0, 7)}
            </p>
          </header>
          {p.outcome === "already_so" && (
            <Alert tone="info" testId="change-already-so">
              {p.message}
            </Alert>
          )}
          {p.outcome === "already_open" && p.existing && (
            <Alert tone="info" testId="change-already-open">
              A pull request for this change is already open:{" "}
              <a href={p.existing.prUrl} className="underline" target="_blank" rel="noreferrer">
                {p.existing.prUrl}
              </a>
            </Alert>
          )}
          {p.summary.length > 0 && (
            <ul className="list-disc pl-5 text-sm">
              {p.summary.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          )}
          {p.outcome !== "already_so" && <p className="text-sm">{p.why}</p>}
          {p.notes.length > 0 && (
            <ul className="list-disc pl-5 text-xs text-slate-600 dark:text-slate-400">
              {p.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          {p.diff && <DiffView diff={p.diff} testId="change-preview-diff" />}
          {p.outcome === "preview" && !proposed?.ok && (
            <div className="flex flex-wrap gap-2">
              <button
                type="button"
                onClick={confirm}
                disabled={pending}
                data-testid="change-confirm"
                className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
              >
                {pending ? "Opening the pull request…" : "Open pull request"}
              </button>
              <button type="button" onClick={() => setPreviewed(null)} disabled={pending} className="rounded-md border border-slate-300 px-3 py-2 text-sm dark:border-slate-700">
                Cancel
              </button>
            </div>
          )}
        </section>
      )}
      {proposed && !proposed.ok && (
        <Alert testId="change-propose-error" title="No pull request was opened">
          {proposed.message}
        </Alert>
      )}
      {proposed?.ok && (
        <Alert tone={proposed.data.outcome === "opened" || proposed.data.outcome === "pushed" ? "success" : "info"} testId="change-result">
          <span data-testid="change-result-outcome" data-outcome={proposed.data.outcome}>
            {proposed.data.outcome === "opened" ? "Pull request opened: " : proposed.data.outcome === "pushed" ? "Branch pushed. Open the pull request here: " : ""}
          </span>
          {proposed.data.prUrl ? (
            <a href={proposed.data.prUrl} className="font-medium underline" target="_blank" rel="noreferrer" data-testid="change-pr-link">
              {proposed.data.outcome === "already_open" ? `already open: ${proposed.data.prUrl}` : proposed.data.prUrl}
            </a>
          ) : (
            proposed.data.message
          )}
          {proposed.data.warnings.map((w) => (
            <span key={w} className="block text-xs" data-testid="change-warning">
              {w}
            </span>
          ))}
        </Alert>
      )}
    </div>
  );
}
