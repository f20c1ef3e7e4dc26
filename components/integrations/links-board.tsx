"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { isFixable, planFromReadings } from "@/lib/integrations/plan";
import { groupByTarget, matrixOf, mergeReadings, summarize } from "@/lib/integrations/state";
import type { IntegrationPlan, LinkReading } from "@/lib/integrations/types";
import { Alert } from "../ui/alert";
import { DiffTable } from "./diff-table";
import { FixDialog, type ApplyFixes } from "./fix-dialog";
import { LinkStateBadge } from "./link-state-badge";

function anchorOf(key: string): string {
  return `link-${key.replace(/[^a-zA-Z0-9]+/g, "-")}`;
}

/** One link: its state, the app's own words, the diff, and (for an admin) its fix. */
function LinkItem({ link, onFix }: { link: LinkReading; onFix?: (key: string) => void }) {
  return (
    <li id={anchorOf(link.key)} data-testid="link" data-link-id={link.id} data-link-key={link.key} data-state={link.state} className="py-3">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium">
            {link.fromName} <span aria-hidden="true">→</span>
            <span className="sr-only">to</span> {link.toName}
          </p>
          <p className="text-xs text-slate-500">{link.title}</p>
        </div>
        <div className="flex items-center gap-2">
          <LinkStateBadge state={link.state} />
          {onFix && isFixable(link) && (
            <button
              type="button"
              onClick={() => onFix(link.key)}
              data-testid="link-fix"
              className="rounded-md border border-sky-700 px-2 py-1 text-xs font-medium text-sky-800 hover:bg-sky-50 dark:text-sky-300 dark:hover:bg-sky-950"
            >
              Fix
            </button>
          )}
        </div>
      </div>
      {link.message && (
        <p className="mt-1 text-sm text-slate-700 dark:text-slate-300" data-testid="link-message">
          {link.message}
        </p>
      )}
      {link.appMessages && link.appMessages.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs text-red-800 dark:text-red-300" data-testid="link-app-messages">
          {link.appMessages.map((m) => (
            <li key={m}>
              {link.fromName} says: {m}
            </li>
          ))}
        </ul>
      )}
      <DiffTable diff={link.diff} />
      {link.blocked && link.state !== "needs_git" && (
        <p className="mt-1 text-xs text-amber-800 dark:text-amber-300" data-testid="link-blocked">
          Not fixed automatically: {link.blocked}
        </p>
      )}
      {link.helpHref && (
        <a href={link.helpHref} className="mt-1 inline-block text-xs text-sky-800 underline dark:text-sky-300" data-testid="link-help">
          Prepare the Git change
        </a>
      )}
      {link.facts && link.facts.length > 0 && <p className="mt-1 text-xs text-slate-500">{link.facts.join(" · ")}</p>}
    </li>
  );
}

/**
 * The links of the stack: a summary, a matrix (apps that hold a setting as rows, what they point to
 * as columns) on wider screens, and the links grouped by target with their messages, diffs and fixes.
 * Admins get "Fix" per link and "Fix everything", both through the preview dialog; viewers see the
 * same without any button.
 */
export function LinksBoard({
  links: initial,
  notices,
  apply,
  aside,
}: {
  links: LinkReading[];
  notices: string[];
  apply?: ApplyFixes;
  /** Panels shown beside the list on wide screens (VPN, keys). */
  aside?: React.ReactNode;
}) {
  const router = useRouter();
  const [links, setLinks] = useState(initial);
  const [shown, setShown] = useState(initial);
  const [plan, setPlan] = useState<IntegrationPlan | null>(null);
  // Fresh readings from the server replace the local ones, but never under an open dialog.
  if (initial !== shown && !plan) {
    setShown(initial);
    setLinks(initial);
  }
  const summary = useMemo(() => summarize(links), [links]);
  const groups = useMemo(() => groupByTarget(links), [links]);
  const matrix = useMemo(() => matrixOf(links), [links]);
  const onFix = apply ? (key: string) => setPlan(planFromReadings(links, [key])) : undefined;

  return (
    <div className="min-w-0 space-y-4 break-words">
      {notices.map((n) => (
        <Alert key={n} tone="info">
          {n}
        </Alert>
      ))}
      <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
        <p className="text-sm" data-testid="links-summary" data-worst={summary.worst}>
          {summary.sentence}
        </p>
        {apply && (
          <button
            type="button"
            onClick={() => setPlan(planFromReadings(links))}
            data-testid="fix-everything"
            className="rounded-md bg-sky-700 px-3 py-2 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-60"
          >
            Fix everything{summary.fixable > 0 ? ` (${summary.fixable})` : ""}
          </button>
        )}
      </div>

      {links.length > 0 && (
        <div className="hidden overflow-x-auto md:block" data-testid="links-matrix">
          <table className="min-w-full text-left text-xs">
            <thead>
              <tr>
                <th className="p-2 font-medium text-slate-500">From ↓ · to →</th>
                {matrix.cols.map((c) => (
                  <th key={c} className="p-2 font-medium">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.rows.map((r) => (
                <tr key={r} className="border-t border-slate-200 dark:border-slate-800">
                  <th className="p-2 font-medium">{r}</th>
                  {matrix.cols.map((c) => (
                    <td key={c} className="p-2">
                      {matrix.cell(r, c).map((l) => (
                        <a key={l.key} href={`#${anchorOf(l.key)}`} title={`${l.title}: ${l.state}`} className="mr-1 inline-block" data-testid="matrix-cell" data-link-id={l.id}>
                          <LinkStateBadge state={l.state} />
                        </a>
                      ))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div className="grid gap-4 xl:grid-cols-3">
        <div className="min-w-0 space-y-4 xl:col-span-2">
          {groups.map((g) => (
            <section key={`${g.to}-${g.toName}`} className="rounded-lg border border-slate-200 bg-white px-4 dark:border-slate-800 dark:bg-slate-900" data-testid="link-group">
              <div className="flex flex-wrap items-center justify-between gap-2 pt-3">
                <h2 className="text-base font-semibold">To {g.toName}</h2>
                {onFix && g.links.filter(isFixable).length > 1 && (
                  <button
                    type="button"
                    onClick={() => setPlan(planFromReadings(links, g.links.filter(isFixable).map((l) => l.key)))}
                    data-testid="group-fix"
                    className="rounded-md border border-sky-700 px-2 py-1 text-xs font-medium text-sky-800 hover:bg-sky-50 dark:text-sky-300 dark:hover:bg-sky-950"
                  >
                    Fix all {g.links.filter(isFixable).length} links to {g.toName}
                  </button>
                )}
              </div>
              <ul className="divide-y divide-slate-200 dark:divide-slate-800">
                {g.links.map((l) => (
                  <LinkItem key={l.key} link={l} {...(onFix ? { onFix } : {})} />
                ))}
              </ul>
            </section>
          ))}
        </div>
        {aside && <div className="min-w-0 space-y-4">{aside}</div>}
      </div>

      {plan && apply && (
        <FixDialog
          plan={plan}
          apply={apply}
          onClose={() => {
            setPlan(null);
            router.refresh();
          }}
          onApplied={(report) => setLinks((current) => mergeReadings(current, report))}
        />
      )}
    </div>
  );
}
