"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { Alert } from "../ui/alert";

/** What "Renew now" answers. */
export interface RenewResult {
  outcome: "requested" | "already_issuing";
  message: string;
}

const NO_ANSWER = { ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." } as const;

/**
 * "Renew now" with its confirmation: the first click says what will happen, the second asks
 * cert-manager for a new certificate. Admins only (the page renders it for them; the action checks).
 */
export function RenewButton({
  namespace,
  name,
  issuer,
  renew,
}: {
  namespace: string;
  name: string;
  issuer: string;
  renew: (input: { namespace: string; name: string; confirmed: true }) => Promise<ActionResult<RenewResult>>;
}) {
  const [asking, setAsking] = useState(false);
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<ActionResult<RenewResult> | null>(null);
  const confirm = () =>
    startTransition(async () => {
      try {
        setResult(await renew({ namespace, name, confirmed: true }));
      } catch {
        setResult(NO_ANSWER);
      }
      setAsking(false);
    });
  return (
    <div className="space-y-2">
      {!asking ? (
        <button
          type="button"
          onClick={() => {
            setAsking(true);
            setResult(null);
          }}
          disabled={pending}
          data-testid="cert-renew"
          className="rounded-md border border-sky-700 px-3 py-1.5 text-sm font-medium text-sky-800 hover:bg-sky-50 disabled:opacity-60 dark:border-sky-400 dark:text-sky-300 dark:hover:bg-sky-950"
        >
          Renew now
        </button>
      ) : (
        <div role="dialog" aria-label={`Renew ${name}`} className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950" data-testid="cert-renew-dialog">
          <p>
            Renew <span className="font-mono">{namespace}/{name}</span> now? cert-manager issues a new certificate from {issuer} and writes it into its Secret; the
            ingresses serve it once they pick the Secret up (copies made by a CronJob follow on its next run).
          </p>
          <div className="flex gap-2">
            <button type="button" onClick={confirm} disabled={pending} data-testid="cert-renew-confirm" className="rounded-md bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800 disabled:opacity-60">
              {pending ? "Requesting…" : "Renew the certificate"}
            </button>
            <button type="button" onClick={() => setAsking(false)} disabled={pending} className="rounded-md border border-slate-300 px-3 py-1.5 dark:border-slate-700">
              Cancel
            </button>
          </div>
        </div>
      )}
      {result && (
        <Alert tone={result.ok ? (result.data.outcome === "requested" ? "success" : "info") : "error"} testId="cert-renew-result">
          {result.ok ? result.data.message : result.message}
        </Alert>
      )}
    </div>
  );
}
