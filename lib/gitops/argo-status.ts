import { z } from "zod";
import type { KubeObject } from "../k8s/types";
import type { ArgoAppSetState, ArgoAppState, ArgoOperation, ArgoResourceProblem } from "./argo-view";

/**
 * Argo CD's state of its Applications and ApplicationSets (argoproj.io/v1alpha1) as the panel shows
 * it: reshaped from the objects the informers cache, so components never see raw Argo CD status.
 * The shapes and what views derive from them live in argo-view.ts (re-exported here).
 * Field names follow Argo CD's `ApplicationStatus` and `ApplicationSetStatus`.
 */

export { argoProblemsOf, argoSeverity, argoSummary, shortRevision } from "./argo-view";
export type { ArgoResourceProblem, ArgoOperation, ArgoAppState, ArgoAppSetState, ArgoProblem, ApplicationsData } from "./argo-view";

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
