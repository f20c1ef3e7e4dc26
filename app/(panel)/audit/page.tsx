import type { Metadata } from "next";
import { IntentLink } from "@/components/ui/intent-link";
import { AuditTable } from "@/components/audit-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import type { AuditFilter } from "@/lib/audit";
import { requirePageUser } from "@/server/auth/session";
import { readAuditPage } from "@/server/audit/events";

export const metadata: Metadata = { title: "Audit" };

type Params = Record<string, string | string[] | undefined>;

function one(params: Params, key: string): string | undefined {
  const value = params[key];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() ? text.trim().slice(0, 200) : undefined;
}

const fieldClass =
  "mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-950";

/** Everything done through the panel, newest first, filterable and paged. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requirePageUser("viewer", "/audit");
  const params = await searchParams;
  const result = one(params, "result");
  const filter: AuditFilter = {
    actor: one(params, "actor"),
    action: one(params, "action"),
    q: one(params, "q"),
    result: result === "ok" || result === "error" || result === "refused" ? result : undefined,
  };
  const page = Number.parseInt(one(params, "page") ?? "1", 10);
  const data = readAuditPage(filter, page);
  const actions = data.actions;
  const linkTo = (p: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    q.set("page", String(p));
    return `/audit?${q.toString()}`;
  };
  return (
    <>
      <PageHeader title="Audit" description="Who did what through the panel, and with which result. Secrets are never recorded." />
      <form method="get" className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-5" data-testid="audit-filter">
        <label className="text-sm">
          Search
          <input name="q" defaultValue={filter.q} className={fieldClass} />
        </label>
        <label className="text-sm">
          User
          <input name="actor" defaultValue={filter.actor} className={fieldClass} />
        </label>
        <label className="text-sm">
          Action
          <select name="action" defaultValue={filter.action ?? ""} className={fieldClass}>
            <option value="">Any</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Result
          <select name="result" defaultValue={filter.result ?? ""} className={fieldClass}>
            <option value="">Any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="refused">refused</option>
          </select>
        </label>
        <div className="flex items-end gap-2">
          <button type="submit" className="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800">
            Filter
          </button>
          <IntentLink href="/audit" className="rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
            Clear
          </IntentLink>
        </div>
      </form>
      {data.events.length === 0 ? (
        <EmptyState title={data.total === 0 && !Object.values(filter).some(Boolean) ? "No events yet" : "No events match these filters"}>
          Sign-ins and every action taken through the panel are recorded here.
        </EmptyState>
      ) : (
        <>
          <AuditTable events={data.events} />
          <nav aria-label="Pages" className="mt-3 flex items-center justify-between text-sm">
            <span data-testid="audit-total">
              {data.total} event{data.total === 1 ? "" : "s"} · page {data.page} of {data.pageCount}
            </span>
            <span className="flex gap-2">
              {data.page > 1 && (
                <IntentLink className="rounded-md border border-slate-300 px-3 py-1 dark:border-slate-700" href={linkTo(data.page - 1)}>
                  Newer
                </IntentLink>
              )}
              {data.page < data.pageCount && (
                <IntentLink className="rounded-md border border-slate-300 px-3 py-1 dark:border-slate-700" href={linkTo(data.page + 1)} data-testid="audit-older">
                  Older
                </IntentLink>
              )}
            </span>
          </nav>
        </>
      )}
    </>
  );
}
