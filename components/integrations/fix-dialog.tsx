"use client";

import { useEffect, useRef, useState } from "react";
import type { ActionResult } from "@/lib/action-result";
import { planSentence } from "@/lib/integrations/plan";
import { reportSentence } from "@/lib/integrations/state";
import type { ApplyReport, IntegrationPlan } from "@/lib/integrations/types";
import { Alert } from "../ui/alert";
import { Badge, type BadgeTone } from "../ui/badge";
import { DiffTable } from "./diff-table";
import { LinkStateBadge } from "./link-state-badge";

export type ApplyFixes = (input: { keys?: string[]; choices?: Record<string, Record<string, string>> }) => Promise<ActionResult<ApplyReport>>;

const OUTCOME_TONE: Record<string, BadgeTone> = { created: "ok", updated: "ok", unchanged: "neutral", skipped: "warn", failed: "bad" };

/**
 * The preview of a fix: every change in words and as a field diff, the choices that can be changed
 * (Jellyseerr's quality profile and root folder), and nothing happens until "Apply" is pressed.
 * Afterwards it shows, per link, what was and was not changed.
 */
export function FixDialog({
  plan,
  apply,
  onClose,
  onApplied,
}: {
  plan: IntegrationPlan;
  apply: ApplyFixes;
  onClose: () => void;
  onApplied: (report: ApplyReport) => void;
}) {
  const [choices, setChoices] = useState<Record<string, Record<string, string>>>(() =>
    Object.fromEntries(plan.steps.filter((s) => s.options).map((s) => [s.key, Object.fromEntries((s.options ?? []).map((o) => [o.name, o.value]))])),
  );
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<ActionResult<ApplyReport> | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dialog.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !pending) onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose, pending]);

  const confirm = async () => {
    setPending(true);
    try {
      // Exactly the previewed links are sent; the server reads each again under its app's lock.
      const r = await apply({ keys: plan.steps.map((s) => s.key), choices });
      setResult(r);
      if (r.ok) onApplied(r.data);
    } catch {
      setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Check your connection; the links are read again when the page reloads." });
    } finally {
      setPending(false);
    }
  };

  return (
    <div className="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/50 p-0 sm:items-center sm:p-4" role="presentation">
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby="fix-dialog-title"
        tabIndex={-1}
        data-testid="fix-dialog"
        className="max-h-[92vh] w-full max-w-3xl overflow-y-auto rounded-t-lg bg-white p-4 shadow-xl outline-none sm:rounded-lg dark:bg-slate-900"
      >
        <header className="mb-3 flex items-start justify-between gap-2">
          <div>
            <h2 id="fix-dialog-title" className="text-lg font-semibold">
              {result?.ok ? "Result" : "Preview of the changes"}
            </h2>
            <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="plan-sentence">
              {result?.ok ? reportSentence(result.data) : planSentence(plan)}
            </p>
          </div>
          <button type="button" onClick={onClose} disabled={pending} className="rounded-md px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" data-testid="fix-close">
            Close
          </button>
        </header>

        {result && !result.ok && <Alert testId="fix-error">{result.message}</Alert>}

        {result?.ok ? (
          <ul className="space-y-2" data-testid="fix-report">
            {result.data.results
              .filter((r) => r.outcome !== "unchanged")
              .map((r) => (
                <li key={r.key} data-testid="fix-result" data-outcome={r.outcome} className="rounded-md border border-slate-200 p-2 text-sm dark:border-slate-800">
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <span className="font-medium">{r.title}</span>
                    <span className="flex items-center gap-2">
                      <Badge tone={OUTCOME_TONE[r.outcome] ?? "neutral"}>{r.outcome}</Badge>
                      {r.after && <LinkStateBadge state={r.after.state} />}
                    </span>
                  </div>
                  <p className="mt-1 text-slate-700 dark:text-slate-300">{r.message}</p>
                  {r.changed.length > 0 && <p className="text-xs text-slate-500">Fields written: {r.changed.join(", ")}</p>}
                  {r.appMessages && r.appMessages.length > 0 && (
                    <ul className="mt-1 list-disc pl-5 text-xs text-red-800 dark:text-red-300">
                      {r.appMessages.map((m) => (
                        <li key={m}>{m}</li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            {result.data.results.every((r) => r.outcome === "unchanged") && <li className="text-sm">Nothing to change: every link was already right.</li>}
          </ul>
        ) : (
          <>
            {plan.steps.length === 0 ? (
              <p className="text-sm" data-testid="plan-empty">
                Nothing to change.
              </p>
            ) : (
              <ol className="space-y-3" data-testid="plan-steps">
                {plan.steps.map((s) => (
                  <li key={s.key} data-testid="plan-step" data-link-id={s.id} className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
                    <div className="flex flex-wrap items-center justify-between gap-2">
                      <span className="font-medium">{s.title}</span>
                      <Badge tone={s.verb === "create" ? "ok" : "warn"}>{s.verb}</Badge>
                    </div>
                    <p className="mt-1 text-slate-700 dark:text-slate-300">{s.words}</p>
                    <DiffTable diff={s.diff} />
                    {s.options?.map((o) => (
                      <label key={o.name} className="mt-2 block text-xs font-medium">
                        {o.label}
                        <select
                          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
                          value={choices[s.key]?.[o.name] ?? o.value}
                          data-testid={`option-${o.name}`}
                          onChange={(e) => setChoices((c) => ({ ...c, [s.key]: { ...(c[s.key] ?? {}), [o.name]: e.target.value } }))}
                        >
                          {o.choices.map((c) => (
                            <option key={c.value} value={c.value}>
                              {c.label}
                            </option>
                          ))}
                        </select>
                      </label>
                    ))}
                  </li>
                ))}
              </ol>
            )}
            {plan.skipped.length > 0 && (
              <details className="mt-3 text-sm" data-testid="plan-skipped">
                <summary className="cursor-pointer">Not changed automatically ({plan.skipped.length})</summary>
                <ul className="mt-1 list-disc pl-5 text-slate-600 dark:text-slate-400">
                  {plan.skipped.map((s) => (
                    <li key={s.key}>
                      {s.title}: {s.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <footer className="mt-4 flex flex-wrap justify-end gap-2">
              <button type="button" onClick={onClose} disabled={pending} className="rounded-md border border-slate-300 px-3 py-2 text-sm dark:border-slate-700" data-testid="fix-cancel">
                Cancel
              </button>
              {plan.steps.length > 0 && (
                <button
                  type="button"
                  onClick={confirm}
                  disabled={pending}
                  data-testid="fix-confirm"
                  className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
                >
                  {pending ? "Applying… the apps test each link" : `Apply ${plan.steps.length} change${plan.steps.length === 1 ? "" : "s"}`}
                </button>
              )}
            </footer>
          </>
        )}
      </div>
    </div>
  );
}
