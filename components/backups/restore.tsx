"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { sizeText } from "@/lib/backups/format";
import type { OperationView, RestorePreview } from "@/lib/backups/types";
import { Alert } from "../ui/alert";

type PreviewFn = (input: { serviceId: string; backupId: number }) => Promise<ActionResult<RestorePreview>>;
type RestoreFn = (input: { serviceId: string; backupId: number; confirm: string; undoOf?: number }) => Promise<ActionResult<OperationView>>;

const NO_ANSWER = { ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." } as const;

/** A restore's steps, outcome and live log (polled every second until it ends); undo once it succeeded. */
function OperationProgress({ initial, preview, restore }: { initial: OperationView; preview: PreviewFn; restore: RestoreFn }) {
  const router = useRouter();
  const [op, setOp] = useState<OperationView>(initial);
  const [undo, setUndo] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch(`/api/backups/operations/${initial.id}`, { cache: "no-store" });
        if (res.ok) {
          const next = (await res.json()) as OperationView;
          if (stopped) return;
          setOp(next);
          if (next.state !== "running") {
            router.refresh();
            return;
          }
        }
      } catch {
        // Retried below.
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    timer = setTimeout(poll, 500);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [initial.id, router]);
  return (
    <section className="space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" data-testid="restore-progress" data-state={op.state}>
      <ol className="space-y-1">
        {op.steps.map((s) => (
          <li key={s.name} data-testid="restore-step" data-state={s.state}>
            <span className="inline-block w-20 text-xs text-slate-600 uppercase dark:text-slate-400">{s.state}</span> {s.name}
            {s.detail ? <span className="block pl-20 text-xs text-slate-600 dark:text-slate-400">{s.detail}</span> : null}
          </li>
        ))}
      </ol>
      {op.message && (
        <Alert tone={op.state === "succeeded" ? "success" : "error"} testId="restore-message" title={op.state === "succeeded" ? "Restored" : "The restore did not complete"}>
          {op.message}
        </Alert>
      )}
      {op.logSource && <p className="text-xs text-slate-600 dark:text-slate-400">Log of {op.logSource}</p>}
      <pre className="max-h-64 overflow-auto rounded bg-slate-950 p-2 text-xs text-slate-100" data-testid="restore-log">
        {op.log || "(waiting for the first Job's log)"}
      </pre>
      {op.state === "succeeded" && op.undoBackupId !== undefined && !undo && (
        <button type="button" onClick={() => setUndo(true)} data-testid="restore-undo" className="rounded-md border border-slate-300 px-3 py-1.5 dark:border-slate-700">
          Undo (restore the pre-restore backup)
        </button>
      )}
      {undo && op.undoBackupId !== undefined && (
        <RestorePanel serviceId={op.serviceId} backupId={op.undoBackupId} {...(op.restoreId !== undefined ? { undoOf: op.restoreId } : {})} preview={preview} restore={restore} />
      )}
    </section>
  );
}

/** Preview -> typed confirmation -> restore, followed live. */
function RestorePanel({ serviceId, backupId, undoOf, preview, restore }: { serviceId: string; backupId: number; undoOf?: number; preview: PreviewFn; restore: RestoreFn }) {
  const [pending, startTransition] = useTransition();
  const [previewed, setPreviewed] = useState<ActionResult<RestorePreview> | null>(null);
  const [confirm, setConfirm] = useState("");
  const [started, setStarted] = useState<ActionResult<OperationView> | null>(null);
  // One preview per backup opened: a page refresh hands down a new action function, which must not
  // start a second preview Job (the first holds the service until it ends).
  const previewFn = useRef(preview);
  useEffect(() => {
    previewFn.current = preview;
  });
  useEffect(() => {
    let current = true;
    startTransition(async () => {
      try {
        const result = await previewFn.current({ serviceId, backupId });
        if (current) setPreviewed(result);
      } catch {
        if (current) setPreviewed(NO_ANSWER);
      }
    });
    return () => {
      current = false;
    };
  }, [serviceId, backupId]);
  if (started?.ok) return <OperationProgress initial={started.data} preview={preview} restore={restore} />;
  const p = previewed?.ok ? previewed.data : null;
  return (
    <section className="space-y-3 rounded-md border border-amber-300 p-3 text-sm dark:border-amber-700" data-testid="restore-panel" data-backup={backupId}>
      {pending && !previewed && <p>Preparing the preview (a preview Job compares a volume archive with the volume)…</p>}
      {previewed && !previewed.ok && (
        <Alert testId="restore-preview-error" title="The restore cannot be previewed">
          {previewed.message}
        </Alert>
      )}
      {p && (
        <>
          {p.method === "volume" ? (
            <p data-testid="restore-preview-counts">
              Restoring <span className="font-mono">{p.backup.archive}</span> changes {p.counts.changed} files, adds {p.counts.added}, removes {p.counts.removed} ({p.counts.unchanged} unchanged).
            </p>
          ) : (
            <p data-testid="restore-preview-app">
              Restoring <span className="font-mono">{p.backup.location ?? p.backup.archive}</span> through the app&apos;s own API.
            </p>
          )}
          {p.files.length > 0 && (
            <table className="w-full text-left text-xs" data-testid="restore-preview">
              <thead>
                <tr>
                  <th className="pr-2">File</th>
                  <th className="pr-2">Change</th>
                  <th className="pr-2">Now</th>
                  <th>In the backup</th>
                </tr>
              </thead>
              <tbody>
                {p.files.map((f) => (
                  <tr key={f.path} data-testid="restore-preview-file" data-change={f.change}>
                    <td className="pr-2 font-mono">{f.path}</td>
                    <td className="pr-2">{f.change}</td>
                    <td className="pr-2">{f.currentSize === null ? "" : sizeText(f.currentSize)}</td>
                    <td>{f.size === null ? "" : sizeText(f.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {p.notes.map((n) => (
            <p key={n} className="text-xs text-slate-600 dark:text-slate-400">
              {n}
            </p>
          ))}
          <p>
            First the archive&apos;s checksums are checked and a backup of the current state is taken and checked; then the service restarts with the archive applied. If it does not come back
            healthy, the current state is put back.
          </p>
          <form
            className="flex flex-wrap items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              startTransition(async () => {
                try {
                  setStarted(await restore({ serviceId, backupId, confirm, ...(undoOf !== undefined ? { undoOf } : {}) }));
                } catch {
                  setStarted(NO_ANSWER);
                }
              });
            }}
          >
            <label className="grid gap-1">
              <span>
                Type <strong className="font-mono">{p.confirmText}</strong> to confirm
              </span>
              <input
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                data-testid="restore-confirm-input"
                autoComplete="off"
                className="w-56 rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-950"
              />
            </label>
            <button type="submit" disabled={pending} data-testid="restore-confirm" className="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-800 disabled:opacity-60">
              {pending ? "Starting…" : "Restore"}
            </button>
          </form>
        </>
      )}
      {started && !started.ok && (
        <Alert testId="restore-error" title="The restore was not started">
          {started.message}
        </Alert>
      )}
    </section>
  );
}

/** "Restore…" on a backup of the history: opens the guarded restore. */
export function RestoreButton({ serviceId, backupId, preview, restore }: { serviceId: string; backupId: number; preview: PreviewFn; restore: RestoreFn }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="space-y-2">
      {!open && (
        <button type="button" onClick={() => setOpen(true)} data-testid="restore-open" className="rounded-md border border-slate-300 px-2 py-1 text-xs dark:border-slate-700">
          Restore…
        </button>
      )}
      {open && <RestorePanel serviceId={serviceId} backupId={backupId} preview={preview} restore={restore} />}
    </div>
  );
}

/** "Verify" (the restore drill, now) on a backup of the history. */
export function VerifyButton({
  serviceId,
  backupId,
  verify,
}: {
  serviceId: string;
  backupId: number;
  verify: (input: { serviceId: string; backupId: number }) => Promise<ActionResult<{ ok: boolean; detail: string }>>;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<ActionResult<{ ok: boolean; detail: string }> | null>(null);
  return (
    <div className="space-y-1">
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            try {
              const r = await verify({ serviceId, backupId });
              setResult(r);
              router.refresh();
            } catch {
              setResult(NO_ANSWER);
            }
          })
        }
        data-testid="verify-now"
        className="rounded-md border border-slate-300 px-2 py-1 text-xs disabled:opacity-60 dark:border-slate-700"
      >
        {pending ? "Verifying…" : "Verify"}
      </button>
      {result && (
        <span className="block text-xs" data-testid="verify-result" data-ok={result.ok ? String(result.data.ok) : "false"}>
          {result.ok ? (result.data.ok ? `Verified: ${result.data.detail}` : `Verification failed: ${result.data.detail}`) : result.message}
        </span>
      )}
    </div>
  );
}
