import "server-only";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { ArgoApplication } from "@/lib/gitops/argo";
import { isAbortError, kubeCallOptions } from "@/server/k8s/abort";

const sourceSchema = z.object({
  repoURL: z.string().default(""),
  targetRevision: z.string().default("HEAD"),
  path: z.string().default(""),
  directory: z.object({ recurse: z.boolean().optional() }).partial().optional(),
});

const applicationSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().default("argocd") }),
  spec: z
    .object({
      source: sourceSchema.optional(),
      sources: z.array(sourceSchema).optional(),
    })
    .default({}),
  status: z
    .object({
      sync: z.object({ status: z.string().optional(), revision: z.string().optional(), revisions: z.array(z.string()).optional() }).partial().optional(),
      health: z.object({ status: z.string().optional(), message: z.string().optional() }).partial().optional(),
    })
    .partial()
    .optional(),
});

const listSchema = z.object({ items: z.array(z.unknown()) });

/** Reshapes one Application object; returns undefined for objects that do not look like one. */
export function toArgoApplication(raw: unknown): ArgoApplication | undefined {
  const parsed = applicationSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const a = parsed.data;
  const sources = [...(a.spec.source ? [a.spec.source] : []), ...(a.spec.sources ?? [])].map((s) => ({
    repoURL: s.repoURL,
    targetRevision: s.targetRevision,
    path: s.path.replace(/^\.?\/+|\/+$/g, ""),
    recurse: s.directory?.recurse === true,
  }));
  return {
    namespace: a.metadata.namespace,
    name: a.metadata.name,
    sources,
    syncStatus: a.status?.sync?.status ?? "Unknown",
    syncRevision: a.status?.sync?.revision ?? a.status?.sync?.revisions?.[0],
    health: a.status?.health?.status,
    healthMessage: a.status?.health?.message,
  };
}

/**
 * Every Argo CD Application in `namespace` (argoproj.io/v1alpha1), read-only. Undefined without a
 * cluster (`kubernetes.mode: none`).
 */
export async function listArgoApplications(kc: KubeConfig | null, namespace: string, timeoutMs = 10_000): Promise<ArgoApplication[] | undefined> {
  if (!kc) return undefined;
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    // In Argo CD's own namespace only: the panel's Role there allows listing Applications, nothing cluster-wide.
    const raw = await api.listNamespacedCustomObject({ group: "argoproj.io", version: "v1alpha1", namespace, plural: "applications" }, kubeCallOptions(timeoutMs));
    const list = listSchema.safeParse(raw);
    if (!list.success) throw new AppError("invalid_response", "The Kubernetes API answered the Application list in an unexpected shape.", { source: "kubernetes" });
    return list.data.items.map(toArgoApplication).filter((a): a is ArgoApplication => a !== undefined);
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isAbortError(error)) throw new AppError("timeout", `The Kubernetes API did not list the Argo CD Applications within ${timeoutMs} ms.`, { source: "kubernetes", cause: error });
    const code = (error as { code?: number }).code;
    if (code === 404) return [];
    if (code === 401 || code === 403) {
      throw new AppError("forbidden", `The panel may not list Argo CD Applications (HTTP ${code}); its Role in ${namespace} needs list on argoproj.io applications (deploy/rbac.yaml).`, { source: "kubernetes", cause: error });
    }
    throw new AppError("unreachable", `Cannot list the Argo CD Applications: ${(error as Error).message.split("\n")[0]}`, { source: "kubernetes", cause: error });
  }
}
