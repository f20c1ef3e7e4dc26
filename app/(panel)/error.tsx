"use client";

import { Alert } from "@/components/ui/alert";

/** Shown when a page fails to render: a plain message, never a stack trace. */
export default function PanelError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="space-y-4">
      <Alert title="This page could not be shown">
        <p>
          The server could not finish this page. Try again; if it keeps failing, the panel&apos;s log has the details
          {error.digest ? ` (reference ${error.digest})` : ""}.
        </p>
      </Alert>
      <button type="button" onClick={reset} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
        Try again
      </button>
    </div>
  );
}
