"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ActionResult } from "@/lib/action-result";
import { STEP_GROUPS, blockedBy, runSummary, type MakeReadyPreview, type PreviewedStep, type ReadinessFix, type StepGroup, type StepResult } from "@/lib/readiness/make-ready";
import { Alert } from "../ui/alert";
import { Badge, type BadgeTone } from "../ui/badge";

const NO_ANSWER = { ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." } as const;

type StepState = "pending" | "running" | StepResult["state"];

const TONE: Record<StepState, BadgeTone> = { pending: "neutral", running: "warn", done: "ok", failed: "bad", skipped: "neutral" };

/**
 * "Make everything ready": previews every fix the matrix offers (grouped, in the order they run,
 * each with what it changes), and after the person confirms runs them one by one through their
 * own actions, showing each step's state and result. A failed step does not stop the others; a
 * step that needs it is skipped and says so.
 */
export function MakeReady({
  preview,
  runStep,
}: {
  preview: (input: Record<string, never>) => Promise<ActionResult<MakeReadyPreview>>;
  runStep: (input: { fix: ReadinessFix; fingerprint?: string }) => Promise<ActionResult<StepResult>>;
}) {
  const router = useRouter();
  const [loading, setLoading] = useState(false);
  const [previewed, setPreviewed] = useState<ActionResult<MakeReadyPreview> | null>(null);
  const [running, setRunning] = useState(false);
  const [results, setResults] = useState<Map<string, StepResult>>(new Map());
  const [current, setCurrent] = useState<string | null>(null);
  const [summary, setSummary] = useState<string | null>(null);

  const open = async () => {
    setLoading(true);
    setPreviewed(null);
    setResults(new Map());
    setSummary(null);
    try {
      setPreviewed(await preview({}));
    } catch {
      setPreviewed(NO_ANSWER);
    } finally {
      setLoading(false);
    }
  };

  const run = async (steps: PreviewedStep[]) => {
    setRunning(true);
    const done = new Map<string, StepResult>();
    for (const step of steps) {
      const blocked = blockedBy(step, done, steps);
      let result: StepResult;
      if (blocked) {
        result = blocked;
      } else {
        setCurrent(step.id);
        try {
          const r = await runStep({ fix: step.fix, ...(step.fingerprint ? { fingerprint: step.fingerprint } : {}) });
          result = r.ok ? r.data : { state: "failed", message: r.message };
        } catch {
          result = { state: "failed", message: NO_ANSWER.message };
        }
      }
      done.set(step.id, result);
      setResults(new Map(done));
    }
    setCurrent(null);
    setSummary(runSummary([...done.values()]));
    setRunning(false);
    router.refresh();
  };

  const p = previewed?.ok ? previewed.data : null;
  const groups = p ? (Object.keys(STEP_GROUPS) as StepGroup[]).map((g) => ({ group: g, steps: p.steps.filter((s) => s.group === g) })).filter((g) => g.steps.length > 0) : [];
  const started = results.size > 0 || running;
  return (
    <section className="mb-4 space-y-3" data-testid="make-ready">
      <button
        type="button"
        onClick={open}
        disabled={loading || running}
        data-testid="make-ready-open"
        className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
      >
        {loading ? "Reading every fix…" : "Make everything ready…"}
      </button>
      {previewed && !previewed.ok && (
        <Alert testId="make-ready-error" title="The fixes cannot be previewed">
          {previewed.message}
        </Alert>
      )}
      {p && (
        <div className="space-y-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" data-testid="make-ready-preview" data-steps={p.steps.length}>
          {p.steps.length === 0 ? (
            <p data-testid="make-ready-nothing">Nothing the panel can fix by itself is failing.</p>
          ) : (
            <p>
              {p.steps.length} step{p.steps.length === 1 ? "" : "s"}, run in this order. Pull requests change nothing until they are merged and Argo CD syncs; what they enable
              (the first backup of a service, for instance) is offered the next time.
            </p>
          )}
          {groups.map(({ group, steps }) => (
            <div key={group} data-testid={`make-ready-group-${group}`}>
              <h3 className="font-semibold">{STEP_GROUPS[group]}</h3>
              <ol className="mt-1 space-y-2">
                {steps.map((s) => {
                  const r = results.get(s.id);
                  const state: StepState = r?.state ?? (current === s.id ? "running" : "pending");
                  return (
                    <li key={s.id} className="rounded border border-slate-200 p-2 dark:border-slate-800" data-testid="make-ready-step" data-step={s.id} data-kind={s.fix.kind} data-state={state}>
                      <div className="flex flex-wrap items-center gap-2">
                        {started && <Badge tone={TONE[state]}>{state}</Badge>}
                        <span className="font-medium" data-testid="step-title">
                          {s.title}
                        </span>
                      </div>
                      <p className="text-xs text-slate-600 dark:text-slate-400">{s.detail}</p>
                      <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="step-cells">
                        For: {s.cells.map((c) => `${c.service} (${c.requirement})`).join(", ")}
                        {s.dependsOn.length > 0 ? ` · after ${s.dependsOn.join(", ")}` : ""}
                      </p>
                      {s.changes.length > 0 && (
                        <ul className="list-disc pl-5 text-xs" data-testid="step-changes">
                          {s.changes.map((c) => (
                            <li key={c}>{c}</li>
                          ))}
                        </ul>
                      )}
                      {s.note && <p className="text-xs">{s.note}</p>}
                      {r && (
                        <p className="mt-1 text-xs" data-testid="step-result">
                          {r.message}
                          {r.links?.map((l) => (
                            <a key={l.href} href={l.href} className="ml-2 underline" data-testid="step-link" target={l.href.startsWith("http") ? "_blank" : undefined} rel="noreferrer">
                              {l.label}
                            </a>
                          ))}
                        </p>
                      )}
                    </li>
                  );
                })}
              </ol>
            </div>
          ))}
          {p.manual.length > 0 && (
            <details data-testid="make-ready-manual">
              <summary className="cursor-pointer">{p.manual.length} failing cell{p.manual.length === 1 ? "" : "s"} no step fixes (open their pages)</summary>
              <ul className="mt-1 list-disc pl-5 text-xs">
                {p.manual.map((m) => (
                  <li key={`${m.service}|${m.requirement}`}>
                    {m.service} ({m.requirement}): {m.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {p.steps.length > 0 && !started && (
            <div className="flex flex-wrap gap-2">
              <button type="button" onClick={() => run(p.steps)} data-testid="make-ready-confirm" className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800">
                Run these {p.steps.length} steps
              </button>
              <button type="button" onClick={() => setPreviewed(null)} className="rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700">
                Cancel
              </button>
            </div>
          )}
          {running && (
            <p data-testid="make-ready-progress">
              Running step {results.size + 1} of {p.steps.length}…
            </p>
          )}
          {summary && (
            <p className="font-medium" data-testid="make-ready-summary">
              {summary}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
