"use client";

import { useQuery } from "@tanstack/react-query";
import { IntentLink } from "@/components/ui/intent-link";
import { argoProblemsOf, shortRevision, type ApplicationsData, type ArgoAppState } from "@/lib/gitops/argo-view";
import { Alert } from "../ui/alert";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { POLL_WITHOUT_EVENTS_MS, useLiveUpdates } from "../health/use-live-updates";
import { HealthBadge, SyncBadge } from "./argo-badges";
import { ResourceProblems } from "./resource-problems";

async function fetchApplications(): Promise<ApplicationsData> {
  const response = await fetch("/api/applications", { headers: { accept: "application/json" } });
  if (response.status === 401) throw new Error("Your session has ended. Reload the page to sign in again.");
  if (!response.ok) throw new Error(`The panel answered ${response.status}.`);
  return (await response.json()) as ApplicationsData;
}

function LastSync({ app }: { app: ArgoAppState }) {
  if (app.operating) return <span className="text-sky-700 dark:text-sky-400">sync in progress{app.operation?.message ? `: ${app.operation.message}` : ""}</span>;
  if (!app.operation) return <span className="text-slate-500">none</span>;
  return (
    <span data-phase={app.operation.phase}>
      <span className="font-medium">{app.operation.phase}</span>
      {app.operation.message ? `: ${app.operation.message}` : ""}
    </span>
  );
}

function ApplicationRow({ app, services }: { app: ArgoAppState; services: Array<{ id: string; displayName: string }> }) {
  const problems = argoProblemsOf(app);
  return (
    <tr data-testid="application-row" data-app={app.name} data-sync={app.syncStatus} data-health={app.health} className="border-t border-slate-200 align-top dark:border-slate-800">
      <td className="py-2 pr-3">
        <p className="font-medium">{app.name}</p>
        <p className="text-xs text-slate-500">
          {app.project}
          {app.applicationSet ? ` · from ApplicationSet ${app.applicationSet}` : ""}
        </p>
        {services.length > 0 && (
          <p className="text-xs">
            {services.map((s, i) => (
              <span key={s.id}>
                {i > 0 ? ", " : ""}
                <IntentLink href={`/services/${s.id}`} className="text-sky-700 underline dark:text-sky-400">
                  {s.displayName}
                </IntentLink>
              </span>
            ))}
          </p>
        )}
      </td>
      <td className="py-2 pr-3">
        <SyncBadge status={app.syncStatus} />
        <p className="mt-1 font-mono text-xs" title={app.revision}>
          {shortRevision(app.revision)}
        </p>
        <p className="text-xs text-slate-500">{app.targetRevision}</p>
      </td>
      <td className="py-2 pr-3">
        <HealthBadge status={app.health} />
      </td>
      <td className="py-2 pr-3 text-xs" data-testid="application-last-sync">
        <LastSync app={app} />
      </td>
      <td className="py-2 text-xs" data-testid="application-problems">
        {problems.map((p, i) => (
          <p key={i} data-problem={p.kind}>
            <span className="font-medium">{p.kind}</span>: {p.message}
          </p>
        ))}
        <ResourceProblems problems={app.problems} />
        {problems.length === 0 && app.problems.length === 0 && <span className="text-slate-500">{app.resourceCount} resources, all Synced and Healthy</span>}
      </td>
    </tr>
  );
}

/** The Applications view's live part: refreshed when Argo CD's objects change (polling only while the events are not live). */
export function ApplicationsLive({ initial }: { initial: ApplicationsData }) {
  const live = useLiveUpdates([{ queryKey: ["applications"], shows: (change) => change.applications === true || change.services.length > 0 }]);
  const query = useQuery({ queryKey: ["applications"], queryFn: fetchApplications, initialData: initial, refetchInterval: live ? false : POLL_WITHOUT_EVENTS_MS });
  const data = query.data;
  const synced = data.applications.filter((a) => a.syncStatus === "Synced" && a.health === "Healthy").length;
  return (
    <div className="space-y-4">
      <p className="text-sm" data-testid="applications-summary">
        {data.applications.length} Applications in {data.argocdNamespace}: {synced} Synced and Healthy
        {data.problems.length > 0 ? `, ${new Set(data.problems.map((p) => p.name)).size} with problems` : ""}.
        <span className="ml-2 text-xs text-slate-500" data-testid="live-indicator">
          {live ? "live" : "reconnecting…"}
        </span>
      </p>
      {data.message && <Alert testId="applications-error">{data.message}</Alert>}
      {query.isError && <Alert testId="applications-fetch-error">{(query.error as Error).message}</Alert>}
      {data.applications.length === 0 ? (
        <EmptyState title="No Argo CD Applications" testId="applications-empty">
          The panel found no Application in <code>{data.argocdNamespace}</code> (<code>discovery.argocdNamespace</code>). Argo CD&apos;s CRDs may not be installed, or
          the panel may not be allowed to read them there.
        </EmptyState>
      ) : (
        <Card testId="applications">
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="pb-2 pr-3 font-medium">Application</th>
                  <th className="pb-2 pr-3 font-medium">Sync</th>
                  <th className="pb-2 pr-3 font-medium">Health</th>
                  <th className="pb-2 pr-3 font-medium">Last sync</th>
                  <th className="pb-2 font-medium">Not Synced or not Healthy</th>
                </tr>
              </thead>
              <tbody>
                {data.applications.map((a) => (
                  <ApplicationRow key={`${a.namespace}/${a.name}`} app={a} services={data.servicesByApp[`${a.namespace}/${a.name}`] ?? []} />
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
      {data.applicationSets.length > 0 && (
        <Card title="ApplicationSets" testId="applicationsets">
          <ul className="space-y-2 text-sm">
            {data.applicationSets.map((s) => (
              <li key={`${s.namespace}/${s.name}`} data-testid="applicationset-row" data-appset={s.name}>
                <p>
                  <span className="font-medium">{s.name}</span>
                  <span className="text-xs text-slate-500"> · generators: {s.generators.join(", ") || "none"}</span>
                </p>
                <p className="text-xs" data-testid="applicationset-generated">
                  Generated: {s.generated.length > 0 ? s.generated.join(", ") : "nothing"}
                </p>
                {s.errors.map((e) => (
                  <p key={e} className="text-xs text-red-700 dark:text-red-400">
                    {e}
                  </p>
                ))}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}
