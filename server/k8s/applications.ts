import "server-only";
import { argoProblemsOf, argoSeverity, toArgoAppSetState, toArgoAppState, type ArgoAppSetState, type ArgoAppState, type ArgoProblem } from "@/lib/gitops/argo-status";
import type { InformerSet } from "./informers";

/** What the Applications view and the Overview banner read: Argo CD's objects from the informers' caches. */
export interface ApplicationsView {
  /** Every Application, worst first, then by name. */
  applications: ArgoAppState[];
  applicationSets: ArgoAppSetState[];
  /** What the banner names: ComparisonError/SyncError, Degraded/Missing, OutOfSync. */
  problems: ArgoProblem[];
  /** False until the caches listed Argo CD's namespace; `error` while they cannot (RBAC, a cluster down). */
  synced: boolean;
  error?: string;
}

/** Reshapes the cached Applications and ApplicationSets of an informer set. Reads caches only. */
export function readApplications(informers: InformerSet): ApplicationsView {
  const snapshot = informers.snapshot();
  const applications = (snapshot.applications ?? [])
    .map((a) => toArgoAppState(a))
    .filter((a): a is ArgoAppState => a !== undefined)
    .sort((a, b) => argoSeverity(b) - argoSeverity(a) || a.name.localeCompare(b.name));
  const applicationSets = (snapshot.applicationsets ?? [])
    .map((s) => toArgoAppSetState(s, applications))
    .filter((s): s is ArgoAppSetState => s !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  const kinds = informers.state().kinds;
  const error = [kinds.applications?.error, kinds.applicationsets?.error].filter(Boolean).join("; ");
  return {
    applications,
    applicationSets,
    problems: applications.flatMap(argoProblemsOf),
    synced: (kinds.applications?.synced ?? false) && (kinds.applicationsets?.synced ?? false),
    ...(error ? { error } : {}),
  };
}
