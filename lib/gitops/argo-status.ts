import { z } from "zod";
import type { KubeObject } from "../k8s/types";

/**
 * Argo CD's state of its Applications and ApplicationSets (argoproj.io/v1alpha1) as the panel shows
 * it: reshaped from the objects the informers cache, so components never see raw Argo CD status.
 * Field names follow Argo CD's `ApplicationStatus` and `ApplicationSetStatus`.
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

const sourceSchema = z.object({ repoURL: z.string().default(""), path: z.string().default(""), targetRevision: z.string().default("HEAD") }).partial();
const conditionSchema = z.object({ type: z.string(), message: z.string().default(""), status: z.string().optional() });
const resourceSchema = z.object({
  kind: z.string().default(""),
  namespace: z.string().optional(),
  name: z.string().default(""),
  status: z.string().optional(),
  health: z.object({ status: z.string().optional(), message: z.string().optional() }).partial().optional(),
  requiresPruning: z.boolean().optional(),
});
const ownerSchema = z.array(z.object({ kind: z.string().optional(), name: z.string().optional() }).partial()).optional();

const applicationSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().default("argocd"), ownerReferences: ownerSchema }),
  spec: z
    .object({
      project: z.string().optional(),
      source: sourceSchema.optional(),
      sources: z.array(sourceSchema).optional(),
      syncPolicy: z.object({ automated: z.object({ enabled: z.boolean().optional() }).partial().nullable().optional() }).partial().nullable().optional(),
    })
    .partial()
    .default({}),
  operation: z.unknown().optional(),
  status: z
    .object({
      sync: z.object({ status: z.string(), revision: z.string(), revisions: z.array(z.string()) }).partial(),
      health: z.object({ status: z.string(), message: z.string() }).partial(),
      conditions: z.array(conditionSchema).nullable(),
      resources: z.array(resourceSchema).nullable(),
      operationState: z
        .object({
          phase: z.string().default("Unknown"),
          message: z.string().default(""),
          startedAt: z.string().optional(),
          finishedAt: z.string().optional(),
          syncResult: z.object({ revision: z.string().optional() }).partial().optional(),
        })
        .nullable(),
      reconciledAt: z.string(),
    })
    .partial()
    .default({}),
});

const appSetSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().default("argocd") }),
  spec: z.object({ generators: z.array(z.record(z.string(), z.unknown())).default([]) }).partial().default({}),
  status: z
    .object({
      conditions: z.array(conditionSchema).nullable(),
      resources: z.array(z.object({ name: z.string() }).partial()).nullable(),
    })
    .partial()
    .default({}),
});

function operationOf(state: z.infer<typeof applicationSchema>["status"]["operationState"]): ArgoOperation | undefined {
  if (!state) return undefined;
  return {
    phase: state.phase,
    message: state.message,
    ...(state.syncResult?.revision ? { revision: state.syncResult.revision } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
  };
}

/** Reshapes one Application object; undefined for an object that does not look like one. */
export function toArgoAppState(raw: KubeObject | unknown): ArgoAppState | undefined {
  const parsed = applicationSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  const source = spec.source ?? spec.sources?.find((s) => s.path) ?? spec.sources?.[0] ?? {};
  const operation = operationOf(status.operationState);
  const resources = status.resources ?? [];
  const problems: ArgoResourceProblem[] = resources
    .filter((r) => (r.status ?? "Synced") !== "Synced" || (r.health?.status !== undefined && r.health.status !== "Healthy") || r.requiresPruning === true)
    .map((r) => ({
      kind: r.kind,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      name: r.name,
      status: r.status ?? "Unknown",
      ...(r.health?.status ? { health: r.health.status } : {}),
      ...(r.health?.message ? { message: r.health.message } : {}),
      requiresPruning: r.requiresPruning === true,
    }));
  const owner = metadata.ownerReferences?.find((o) => o.kind === "ApplicationSet")?.name;
  const automated = spec.syncPolicy?.automated != null && spec.syncPolicy.automated.enabled !== false;
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    project: spec.project ?? "default",
    repoURL: source.repoURL ?? "",
    path: source.path ?? "",
    targetRevision: source.targetRevision ?? "HEAD",
    syncStatus: status.sync?.status ?? "Unknown",
    ...((status.sync?.revision ?? status.sync?.revisions?.[0]) ? { revision: status.sync?.revision ?? status.sync?.revisions?.[0] } : {}),
    health: status.health?.status ?? "Unknown",
    ...(status.health?.message ? { healthMessage: status.health.message } : {}),
    ...(operation ? { operation } : {}),
    operating: (parsed.data.operation !== undefined && parsed.data.operation !== null) || operation?.phase === "Running" || operation?.phase === "Terminating",
    conditions: (status.conditions ?? []).map((c) => ({ type: c.type, message: c.message })),
    problems,
    resourceCount: resources.length,
    automated,
    ...(owner ? { applicationSet: owner } : {}),
    ...(status.reconciledAt ? { reconciledAt: status.reconciledAt } : {}),
  };
}

const ERROR_CONDITIONS = new Set(["ErrorOccurred"]);
const MUST_BE_TRUE = new Set(["ParametersGenerated", "ResourcesUpToDate"]);

/** Reshapes one ApplicationSet; `apps` supplies the generated Applications when its status does not list them. */
export function toArgoAppSetState(raw: KubeObject | unknown, apps: readonly ArgoAppState[] = []): ArgoAppSetState | undefined {
  const parsed = appSetSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  const listed = (status.resources ?? []).map((r) => r.name).filter((n): n is string => !!n);
  const owned = apps.filter((a) => a.namespace === metadata.namespace && a.applicationSet === metadata.name).map((a) => a.name);
  const errors = (status.conditions ?? [])
    .filter((c) => (ERROR_CONDITIONS.has(c.type) && c.status === "True") || (MUST_BE_TRUE.has(c.type) && c.status === "False"))
    .map((c) => `${c.type}: ${c.message}`);
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    generators: (spec.generators ?? []).flatMap((g) => Object.keys(g)),
    generated: [...new Set([...listed, ...owned])].sort(),
    errors: [...new Set(errors)],
  };
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
