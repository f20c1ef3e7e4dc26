/**
 * Argo CD's state of its Applications and ApplicationSets as the panel shows it, and what the views
 * derive from it (severity, problems, summary). Free of the parsing code (argo-status.ts), so the
 * browser's bundle of a page showing Applications does not carry the schema library.
 */

/** A resource of an Application that is not Synced or not Healthy. */
export interface ArgoResourceProblem {
  kind: string;
  namespace?: string;
  name: string;
  /** `Synced`, `OutOfSync`, `Unknown`. */
  status: string;
  health?: string;
  message?: string;
  /** True when Git no longer has it and Argo CD would prune it. */
  requiresPruning: boolean;
}

/** The last sync operation (or the one in progress). */
export interface ArgoOperation {
  /** `Running`, `Succeeded`, `Failed`, `Error`, `Terminating`. */
  phase: string;
  message: string;
  revision?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** An Application as the cards, pages and the Applications view show it. */
export interface ArgoAppState {
  namespace: string;
  name: string;
  project: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  /** `Synced`, `OutOfSync`, `Unknown`. */
  syncStatus: string;
  /** The commit compared or synced (`status.sync.revision`). */
  revision?: string;
  /** `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`. */
  health: string;
  healthMessage?: string;
  /** The last sync operation, or the one in progress (`status.operationState`). */
  operation?: ArgoOperation;
  /** True while a sync runs (an operation requested, or the last one still Running). */
  operating: boolean;
  /** Conditions Argo CD reports (`ComparisonError`, `SyncError`, `SharedResourceWarning`...). */
  conditions: Array<{ type: string; message: string }>;
  /** Resources that are not Synced or not Healthy. */
  problems: ArgoResourceProblem[];
  resourceCount: number;
  automated: boolean;
  /** The ApplicationSet that generated it (owner reference), when one did. */
  applicationSet?: string;
  reconciledAt?: string;
}

/** An ApplicationSet and the Applications it generated. */
export interface ArgoAppSetState {
  namespace: string;
  name: string;
  /** Generator kinds (`list`, `git`, `clusters`...). */
  generators: string[];
  /** Names of the Applications it generated (`status.resources`, else the owner references). */
  generated: string[];
  /** Conditions that are errors (`ErrorOccurred` true, `ResourcesUpToDate` false...). */
  errors: string[];
}

/** One problem the Overview banner names. */
export interface ArgoProblem {
  namespace: string;
  name: string;
  /** What is wrong: `ComparisonError`, `SyncError`, `OutOfSync`, `Degraded`, `Missing`. */
  kind: string;
  message: string;
}

/** Severity of an Application for sorting (worst first) and for the banner. */
export function argoSeverity(app: ArgoAppState): number {
  if (app.conditions.some((c) => c.type.endsWith("Error"))) return 3;
  if (app.health === "Degraded" || app.health === "Missing") return 3;
  if (app.syncStatus === "OutOfSync") return 2;
  if (app.health === "Progressing" || app.syncStatus === "Unknown" || app.health === "Unknown") return 1;
  return 0;
}

/** What the Overview banner names for one Application: errors, OutOfSync, Degraded (empty when it is fine). */
export function argoProblemsOf(app: ArgoAppState): ArgoProblem[] {
  const out: ArgoProblem[] = [];
  const base = { namespace: app.namespace, name: app.name };
  for (const c of app.conditions) if (c.type.endsWith("Error")) out.push({ ...base, kind: c.type, message: c.message });
  // The resource that makes it so names the reason best (Argo CD's own health message, when set, may be another resource's).
  if (app.health === "Degraded" || app.health === "Missing") out.push({ ...base, kind: app.health, message: firstProblemText(app, app.health) ?? app.healthMessage ?? `health ${app.health}` });
  if (app.syncStatus === "OutOfSync") out.push({ ...base, kind: "OutOfSync", message: firstOutOfSync(app) ?? "the cluster differs from Git" });
  return out;
}

function firstProblemText(app: ArgoAppState, health: string): string | undefined {
  const p = app.problems.find((r) => r.health === health);
  return p ? `${p.kind} ${p.name}: ${p.health}${p.message ? ` (${p.message})` : ""}` : undefined;
}

function firstOutOfSync(app: ArgoAppState): string | undefined {
  const out = app.problems.filter((r) => r.status === "OutOfSync");
  if (out.length === 0) return undefined;
  const first = out[0] as ArgoResourceProblem;
  return `${first.kind} ${first.name}${out.length > 1 ? ` and ${out.length - 1} more` : ""} ${out.length > 1 ? "differ" : "differs"} from Git`;
}

/** A one-line summary of an Application: "OutOfSync · Degraded: message". */
export function argoSummary(app: ArgoAppState): string {
  const error = app.conditions.find((c) => c.type.endsWith("Error"));
  if (error) return `${error.type}: ${error.message}`;
  const parts = [app.syncStatus, app.health];
  const problem = argoProblemsOf(app)[0];
  return problem ? `${parts.join(" · ")}: ${problem.message}` : parts.join(" · ");
}

/** The short form of a revision (a commit's first 7 characters; a branch or tag as is). */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return "";
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** What the Applications view shows. */
export interface ApplicationsData {
  applications: ArgoAppState[];
  applicationSets: ArgoAppSetState[];
  problems: ArgoProblem[];
  /** `namespace/name` of an Application -> the services it deploys. */
  servicesByApp: Record<string, Array<{ id: string; displayName: string }>>;
  /** False until the panel has read Argo CD's namespace. */
  synced: boolean;
  /** Why the list may be incomplete (RBAC refusal, the cluster unreachable). */
  message?: string;
  argocdNamespace: string;
  generatedAt: number;
}
