"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";

/**
 * Keeps the Changes page current while a change is still moving (open, merged, not yet live): the
 * page is re-rendered every `seconds`, which re-reads the forge and Argo CD on the server. Admins
 * also get a button that does it at once.
 */
export function ChangesRefresher({
  seconds,
  active,
  refreshNow,
}: {
  seconds: number;
  active: boolean;
  refreshNow?: (input: Record<string, never>) => Promise<ActionResult<{ count: number }>>;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => router.refresh(), seconds * 1000);
    return () => clearInterval(timer);
  }, [active, seconds, router]);
  if (!refreshNow) return null;
  return (
    <span className="flex items-center gap-2 text-sm">
      <button
        type="button"
        disabled={pending}
        data-testid="changes-refresh"
        onClick={() =>
          startTransition(async () => {
            try {
              const result = await refreshNow({});
              setError(result.ok ? null : result.message);
              router.refresh();
            } catch {
              setError("The panel did not answer.");
            }
          })
        }
        className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800"
      >
        {pending ? "Checking…" : "Check now"}
      </button>
      {error && <span className="text-red-700 dark:text-red-400">{error}</span>}
    </span>
  );
}
