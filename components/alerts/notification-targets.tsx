"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import type { TargetStatus } from "@/lib/alerts/notifications";
import type { TestOutcome } from "@/lib/alerts/page-data";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";

function when(ms: number | null): string {
  return ms === null ? "never" : new Date(ms).toLocaleString();
}

/**
 * The notification targets with their queue and last error, and "Send test notification" (admins).
 * Refreshes every 10 s while a target has messages waiting, so a retry that got through shows.
 */
export function NotificationTargets({ targets, admin, sendTest }: { targets: TargetStatus[]; admin: boolean; sendTest: (i: { target?: string }) => Promise<ActionResult<TestOutcome[]>> }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<TestOutcome[]> | null>(null);
  const waiting = targets.some((t) => t.pending > 0);
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => router.refresh(), 5_000);
    return () => clearInterval(timer);
  }, [waiting, router]);
  if (targets.length === 0) {
    return (
      <p className="text-sm" data-testid="notifications-none">
        No notification target is configured. Add <code>notifications.targets</code> to the configuration: ntfy (<code>type: ntfy</code>, <code>url</code>, <code>topic</code> or <code>topicEnv</code>, optional <code>tokenEnv</code>) or a JSON webhook (<code>type: webhook</code>, <code>url</code> or <code>urlEnv</code>).
      </p>
    );
  }
  return (
    <div className="space-y-3">
      <ul className="space-y-2 text-sm">
        {targets.map((t) => (
          <li key={t.name} data-testid="notification-target" data-target={t.name} data-pending={t.pending} className="border-t border-slate-200 pt-2 first:border-t-0 dark:border-slate-800">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{t.name}</span>
              <Badge tone="neutral">{t.type}</Badge>
              {t.configProblem ? <Badge tone="bad">cannot send</Badge> : t.lastError ? <Badge tone="bad">failing</Badge> : <Badge tone="ok">ok</Badge>}
              <span className="text-xs text-slate-500">{t.destination}, from {t.minSeverity}</span>
            </div>
            {t.configProblem && <p className="text-xs text-red-700 dark:text-red-300">{t.configProblem}</p>}
            {t.lastError && (
              <p className="text-xs text-red-700 dark:text-red-300" data-testid="target-error">
                Last attempt failed ({when(t.lastErrorAt)}): {t.lastError}
              </p>
            )}
            <p className="text-xs" data-testid="target-queue">
              {t.pending > 0
                ? `${t.pending} message${t.pending === 1 ? "" : "s"} waiting since ${when(t.oldestPendingAt)}; next attempt ${when(t.nextAttemptAt)}. Nothing is lost: they are sent in order once the target answers.`
                : "Nothing waiting."}{" "}
              Last delivered: {when(t.lastSentAt)}.
            </p>
            {admin && (
              <button
                type="button"
                disabled={pending}
                data-testid="send-test-notification"
                className="mt-1 rounded-md border border-sky-700 px-2 py-1 text-xs font-medium text-sky-800 disabled:opacity-60 dark:border-sky-400 dark:text-sky-300"
                onClick={() =>
                  start(async () => {
                    try {
                      setResult(await sendTest({ target: t.name }));
                    } catch {
                      setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Try again." });
                    }
                    router.refresh();
                  })
                }
              >
                {pending ? "Sending…" : "Send test notification"}
              </button>
            )}
          </li>
        ))}
      </ul>
      {result && !result.ok && <Alert>{result.message}</Alert>}
      {result?.ok &&
        result.data.map((o) => (
          <Alert key={o.target} tone={o.status === "sent" ? "success" : "error"} testId="test-notification-result">
            {o.status === "sent"
              ? `${o.target}: delivered.`
              : `${o.target}: not delivered${o.error ? ` (${o.error})` : ""}. It waits in the panel and is retried${o.nextAttemptAt ? ` at ${new Date(o.nextAttemptAt).toLocaleTimeString()}` : ""}.`}
          </Alert>
        ))}
    </div>
  );
}
