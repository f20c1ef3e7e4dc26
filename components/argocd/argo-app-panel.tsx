import type { ArgoAppState } from "@/lib/gitops/argo-view";
import { argoProblemsOf, shortRevision } from "@/lib/gitops/argo-view";
import { Card } from "../ui/card";
import { HealthBadge, SyncBadge } from "./argo-badges";
import { ResourceProblems } from "./resource-problems";

/** A service's Argo CD Application on its page: sync and revision, health, the last sync, problems. */
export function ArgoAppPanel({ app, missing }: { app?: ArgoAppState; missing?: { namespace: string; name: string } }) {
  if (!app) {
    return (
      <Card title="Argo CD" testId="argocd-app">
        <p className="text-sm text-slate-500" data-testid="argocd-unknown">
          {missing
            ? `Managed by the Application ${missing.namespace}/${missing.name}, which the panel cannot read (not in Argo CD's namespace, or not visible to the panel).`
            : "No Argo CD Application manages this service."}
        </p>
      </Card>
    );
  }
  const problems = argoProblemsOf(app);
  return (
    <Card title={`Argo CD: ${app.name}`} testId="argocd-app">
      <div className="flex flex-wrap items-center gap-2 text-sm" data-argocd-app={`${app.namespace}/${app.name}`}>
        <SyncBadge status={app.syncStatus} />
        <HealthBadge status={app.health} />
        {app.revision && (
          <span className="font-mono text-xs" data-testid="argocd-revision" title={app.revision}>
            {shortRevision(app.revision)}
          </span>
        )}
        <span className="text-xs text-slate-500">
          {app.repoURL}
          {app.path ? ` · ${app.path}` : ""} · {app.targetRevision} · {app.automated ? "automated sync" : "manual sync"}
        </span>
        {app.operating && (
          <span className="text-xs font-medium text-sky-700 dark:text-sky-400" data-testid="argocd-operating">
            sync in progress
          </span>
        )}
      </div>
      {problems.length > 0 && (
        <ul className="mt-2 space-y-1 text-sm" data-testid="argocd-problems">
          {problems.map((p, i) => (
            <li key={i} data-problem={p.kind}>
              <span className="font-medium">{p.kind}</span>: {p.message}
            </li>
          ))}
        </ul>
      )}
      {app.healthMessage && !problems.some((p) => p.message === app.healthMessage) && (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400" data-testid="argocd-health-message">
          {app.healthMessage}
        </p>
      )}
      {app.operation && (
        <p className="mt-2 text-sm" data-testid="argocd-last-sync" data-phase={app.operation.phase}>
          Last sync: <span className="font-medium">{app.operation.phase}</span>
          {app.operation.revision ? ` at ${shortRevision(app.operation.revision)}` : ""}
          {app.operation.message ? `: ${app.operation.message}` : ""}
          {app.operation.finishedAt ? ` (${app.operation.finishedAt})` : ""}
        </p>
      )}
      <ResourceProblems problems={app.problems} />
    </Card>
  );
}
