import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { ArgoApplication } from "@/lib/gitops/argo";
import { kubeAnswerOf, kubeGet } from "./rest";

/** The Argo CD Applications (argoproj.io/v1alpha1), read-only, reshaped into `lib/gitops` types at this edge. */

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
 * Every Argo CD Application in `namespace` (Argo CD's own: the panel's Role there allows listing
 * Applications, nothing cluster-wide). Undefined without a cluster (`kubernetes.mode: none`); empty
 * when Argo CD's CRD is not installed.
 */
export async function listArgoApplications(kc: KubeConfig | null, namespace: string, timeoutMs = 10_000): Promise<ArgoApplication[] | undefined> {
  if (!kc) return undefined;
  let list: z.infer<typeof listSchema>;
  try {
    list = await kubeGet(kc, `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/applications`, listSchema, { timeoutMs });
  } catch (error) {
    const status = kubeAnswerOf(error)?.status;
    if (status === 404) return [];
    const cause = { source: "kubernetes", cause: error };
    if (status === 401 || status === 403) {
      throw new AppError("forbidden", `The panel may not list Argo CD Applications (HTTP ${status}); its Role in ${namespace} needs list on argoproj.io applications (deploy/rbac.yaml).`, cause);
    }
    if (error instanceof AppError && error.code === "timeout") throw new AppError("timeout", `The Kubernetes API did not list the Argo CD Applications within ${timeoutMs} ms.`, cause);
    if (status === 200) throw new AppError("invalid_response", "The Kubernetes API answered the Application list in an unexpected shape.", cause);
    throw new AppError("unreachable", `Cannot list the Argo CD Applications: ${error instanceof AppError ? error.message : "the request failed"}`, cause);
  }
  return list.items.map(toArgoApplication).filter((a): a is ArgoApplication => a !== undefined);
}
