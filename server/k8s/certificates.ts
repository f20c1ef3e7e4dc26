import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { CertManagerCertificate } from "@/lib/k8s/types";
import { kubeAnswerOf, kubeApplyStatus } from "./rest";

/**
 * "Renew now" for a cert-manager Certificate, as `cmctl renew` does it: the Certificate's `Issuing`
 * condition is set to True (reason ManuallyTriggered) through the status subresource, and
 * cert-manager issues a new certificate. The panel's one write to the cluster (CLUSTER_WRITES in
 * kinds.ts); it needs `patch` on `certificates/status` (deploy/rbac.yaml) and nothing else.
 */

/** The field manager of the panel's writes, as the API server records them. */
export const PANEL_FIELD_MANAGER = "k8s-nas-panel";

const answerSchema = z.object({ metadata: z.object({ resourceVersion: z.string().optional() }).loose() }).loose();

/** What a renewal request did. */
export interface RenewalRequest {
  outcome: "requested" | "already_issuing";
  message: string;
}

/**
 * Sets `Issuing=True` on a Certificate read from the informers' cache. A Certificate that is already
 * issuing is left alone. Throws AppError: `forbidden` (RBAC, with the rule it needs), `not_found`,
 * `unreachable`, `timeout`.
 */
export async function requestRenewal(kc: KubeConfig, cert: CertManagerCertificate, opts: { timeoutMs: number; now?: Date }): Promise<RenewalRequest> {
  const name = cert.metadata?.name ?? "";
  const namespace = cert.metadata?.namespace ?? "default";
  const issuing = cert.status?.conditions?.find((c) => c.type === "Issuing");
  if (issuing?.status === "True") {
    return { outcome: "already_issuing", message: `${namespace}/${name} is already being issued (${issuing.reason ?? "Issuing"}): nothing was changed.` };
  }
  const at = (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const body = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace },
    status: {
      conditions: [
        {
          type: "Issuing",
          status: "True",
          reason: "ManuallyTriggered",
          message: "Certificate re-issuance manually triggered",
          lastTransitionTime: at,
          ...(cert.metadata?.generation !== undefined ? { observedGeneration: cert.metadata.generation } : {}),
        },
      ],
    },
  };
  const path = `/apis/cert-manager.io/v1/namespaces/${encodeURIComponent(namespace)}/certificates/${encodeURIComponent(name)}/status`;
  try {
    await kubeApplyStatus(kc, path, body, answerSchema, { timeoutMs: opts.timeoutMs, fieldManager: PANEL_FIELD_MANAGER });
  } catch (error) {
    const status = kubeAnswerOf(error)?.status;
    const cause = { source: "kubernetes", cause: error };
    if (status === 403) {
      throw new AppError("forbidden", `The panel may not renew certificates in ${namespace}: its Role there needs patch on cert-manager.io certificates/status (deploy/rbac.yaml).`, cause);
    }
    if (status === 404) throw new AppError("not_found", `The Certificate ${namespace}/${name} no longer exists.`, cause);
    if (error instanceof AppError && error.code === "timeout") throw new AppError("timeout", `The Kubernetes API did not answer the renewal of ${namespace}/${name} within ${opts.timeoutMs} ms.`, cause);
    if (error instanceof AppError) throw new AppError(error.code === "unauthorized" ? "unauthorized" : "unreachable", `Could not request the renewal of ${namespace}/${name}: ${error.message}`, cause);
    throw error;
  }
  return { outcome: "requested", message: `Renewal of ${namespace}/${name} requested: cert-manager issues a new certificate now.` };
}
