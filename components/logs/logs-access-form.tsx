"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { Alert } from "../ui/alert";

/** The admin's switch that opens the service pages' logs to viewers (or closes them again). */
export function LogsAccessForm({
  initial,
  save,
}: {
  initial: boolean;
  save: (input: { viewers: boolean }) => Promise<ActionResult<{ viewers: boolean }>>;
}) {
  const [viewers, setViewers] = useState(initial);
  const [result, setResult] = useState<ActionResult<{ viewers: boolean }> | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      data-testid="logs-access-form"
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(async () => {
          try {
            setResult(await save({ viewers }));
          } catch {
            setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." });
          }
        });
      }}
    >
      {result?.ok && <Alert tone="success" testId="logs-access-saved">Saved: logs are {result.data.viewers ? "open to viewers too" : "for admins only"}.</Alert>}
      {result && !result.ok && <Alert testId="logs-access-error">{result.message}</Alert>}
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" name="viewers" data-testid="logs-viewers" checked={viewers} onChange={(e) => setViewers(e.target.checked)} className="mt-1" />
        <span>
          Viewers may read the apps&apos; logs on the service pages. Logs can show paths, names and addresses; known secrets are masked either way.
        </span>
      </label>
      <button type="submit" disabled={pending} className="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50">
        {pending ? "Saving…" : "Save"}
      </button>
    </form>
  );
}
