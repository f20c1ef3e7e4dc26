"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";
import { Alert } from "./ui/alert";

export interface SettingsValues {
  stackName: string;
  runbookBaseUrl: string;
}

/** The editable panel settings (admins only; viewers get a read-only list instead). */
export function SettingsForm({
  initial,
  save,
}: {
  initial: SettingsValues;
  save: (input: SettingsValues) => Promise<ActionResult<SettingsValues>>;
}) {
  const [values, setValues] = useState(initial);
  const [result, setResult] = useState<ActionResult<SettingsValues> | null>(null);
  const [pending, startTransition] = useTransition();
  const fieldErrors = result && !result.ok ? (result.fieldErrors ?? {}) : {};
  const input =
    "mt-1 w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-950";
  return (
    <form
      data-testid="settings-form"
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(async () => {
          try {
            setResult(await save(values));
          } catch {
            setResult({ ok: false, code: "unreachable", message: "The panel did not answer. Check your connection and try again." });
          }
        });
      }}
    >
      {result?.ok && <Alert tone="success" testId="settings-saved">Settings saved.</Alert>}
      {result && !result.ok && <Alert testId="settings-error">{result.message}</Alert>}
      <div>
        <label htmlFor="stackName" className="block text-sm font-medium">
          Stack name
        </label>
        <input
          id="stackName"
          name="stackName"
          value={values.stackName}
          onChange={(e) => setValues({ ...values, stackName: e.target.value })}
          aria-invalid={Boolean(fieldErrors.stackName)}
          aria-describedby={fieldErrors.stackName ? "stackName-error" : undefined}
          className={input}
        />
        {fieldErrors.stackName && (
          <p id="stackName-error" className="mt-1 text-sm text-red-700 dark:text-red-400">
            {fieldErrors.stackName.join(" ")}
          </p>
        )}
      </div>
      <div>
        <label htmlFor="runbookBaseUrl" className="block text-sm font-medium">
          Runbook base URL <span className="font-normal text-slate-500">(optional)</span>
        </label>
        <input
          id="runbookBaseUrl"
          name="runbookBaseUrl"
          value={values.runbookBaseUrl}
          onChange={(e) => setValues({ ...values, runbookBaseUrl: e.target.value })}
          aria-invalid={Boolean(fieldErrors.runbookBaseUrl)}
          aria-describedby={fieldErrors.runbookBaseUrl ? "runbookBaseUrl-error" : undefined}
          className={input}
          placeholder="https://wiki.example.com/runbooks"
        />
        {fieldErrors.runbookBaseUrl && (
          <p id="runbookBaseUrl-error" className="mt-1 text-sm text-red-700 dark:text-red-400">
            {fieldErrors.runbookBaseUrl.join(" ")}
          </p>
        )}
      </div>
      <button
        type="submit"
        disabled={pending}
        data-testid="settings-save"
        className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
      >
        {pending ? "Saving…" : "Save settings"}
      </button>
    </form>
  );
}
