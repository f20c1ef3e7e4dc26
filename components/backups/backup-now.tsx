"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { sizeText } from "@/lib/backups/format";
import type { BackupRecord } from "@/lib/backups/types";
import { Alert } from "../ui/alert";

interface Progress {
  state: "running" | "succeeded" | "failed";
  reason?: string;
  log: string;
  pod?: string;
  backup?: BackupRecord;
}

/** A backup Job's progress and its log, live (polled every second until it ends). */
export function JobProgress({ namespace, job, testId }: { namespace: string; job: string; testId?: string }) {
  const router = useRouter();
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch(`/api/backups/jobs/${encodeURIComponent(namespace)}/${encodeURIComponent(job)}`, { cache: "no-store" });
        const body = (await res.json()) as Progress & { error?: { message: string } };
        if (stopped) return;
        if (!res.ok) setError(body.error?.message ?? `HTTP ${res.status}`);
        else {
          setError(null);
          setProgress(body);
          if (body.state !== "running") {
            router.refresh();
            return;
          }
        }
      } catch {
        if (!stopped) setError("The panel did not answer; retrying.");
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [namespace, job, router]);
  const state = progress?.state ?? "running";
  return (
    <section className="space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" data-testid={testId ?? "backup-progress"} data-state={state} data-job={job}>
      <p>
        Job <span className="font-mono">{namespace}/{job}</span>:{" "}
        <strong data-testid="backup-progress-state">{state === "running" ? "running…" : state === "succeeded" ? "archive written and checked" : "failed"}</strong>
        {progress?.pod ? <span className="text-slate-600 dark:text-slate-400"> (pod {progress.pod})</span> : null}
      </p>
      {progress?.backup?.archive && (
        <p data-testid="backup-progress-archive">
          {progress.backup.location} · {sizeText(progress.backup.sizeBytes)} · {progress.backup.files} files · SHA-256 <span className="font-mono">{progress.backup.sha256}</span>
        </p>
      )}
      {state === "failed" && (
        <Alert testId="backup-progress-error" title="The backup failed">
          {progress?.reason ?? "The Job failed."} Nothing on the service&apos;s volume was changed.
        </Alert>
      )}
      {error && <p className="text-amber-800 dark:text-amber-300">{error}</p>}
      <pre className="max-h-64 overflow-auto rounded bg-slate-950 p-2 text-xs text-slate-100" data-testid="backup-log">
        {progress?.log || "(waiting for the pod&apos;s log)"}
      </pre>
    </section>
  );
}

/** "Back up now": starts a Job from the service's backup CronJob and follows it. */
export function BackupNowButton({
  serviceId,
  running,
  start,
}: {
  serviceId: string;
  running?: { namespace: string; job: string };
  start: (input: { serviceId: string }) => Promise<ActionResult<{ namespace: string; job: string; cronJob: string }>>;
}) {
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<ActionResult<{ namespace: string; job: string; cronJob: string }> | null>(null);
  const job = result?.ok ? result.data : running;
  const slug = serviceId.replace("/", "-");
  return (
    <div className="space-y-2">
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            try {
              setResult(await start({ serviceId }));
            } catch {
              setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." });
            }
          })
        }
        data-testid={`backup-now-${slug}`}
        className="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
      >
        {pending ? "Starting…" : "Back up now"}
      </button>
      {result && !result.ok && (
        <Alert testId={`backup-now-error-${slug}`} title="No backup was started">
          {result.message}
        </Alert>
      )}
      {job && <JobProgress namespace={job.namespace} job={job.job} testId={`backup-progress-${slug}`} />}
    </div>
  );
}
