import "server-only";
import { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import type { PanelConfig } from "@/lib/config-schema";
import { AppError, isAppError } from "@/lib/errors";
import { kubeAnswerOf, kubeGet } from "./rest";

/** The parts of the configuration the Kubernetes credentials come from. */
export type KubeCredentialSettings = Pick<PanelConfig["kubernetes"], "mode" | "kubeconfig" | "context">;

/**
 * The credentials of the panel: the pod's ServiceAccount in the cluster, or a kubeconfig file
 * (`settings.kubeconfig`, else `$KUBECONFIG`). Null with `mode: none`. Throws `unreachable` when
 * they cannot be loaded.
 */
export function loadKubeConfig(settings: KubeCredentialSettings, env: Record<string, string | undefined> = process.env): KubeConfig | null {
  if (settings.mode === "none") return null;
  const kc = new KubeConfig();
  try {
    if (settings.mode === "in-cluster") kc.loadFromCluster();
    else {
      const file = settings.kubeconfig ?? env.KUBECONFIG;
      if (!file) throw new Error("no kubeconfig file configured");
      kc.loadFromFile(file);
      if (settings.context) kc.setCurrentContext(settings.context);
    }
  } catch (error) {
    throw new AppError("unreachable", `Cannot load the Kubernetes credentials: ${(error as Error).message}`, { source: "kubernetes", cause: error });
  }
  return kc;
}

/** Reachability of the API server, as /api/healthz and the Settings page report it. */
export interface KubernetesReachability {
  configured: boolean;
  reachable: boolean;
  version?: string;
  server?: string;
  message: string;
}

const versionSchema = z.object({ gitVersion: z.string() }).loose();

/** Asks the API server for its version (`GET /version`) with a short timeout. */
export async function checkReachability(kc: KubeConfig | null, timeoutMs = 3000): Promise<KubernetesReachability> {
  if (!kc) return { configured: false, reachable: false, message: "Kubernetes is not configured (kubernetes.mode: none)." };
  const server = kc.getCurrentCluster()?.server;
  try {
    const info = await kubeGet(kc, "/version", versionSchema, { timeoutMs });
    return { configured: true, reachable: true, version: info.gitVersion, server, message: `Connected (${info.gitVersion}).` };
  } catch (error) {
    const status = kubeAnswerOf(error)?.status;
    const reason =
      status === 401 || status === 403
        ? `the API server refused the credentials (HTTP ${status})`
        : (isAppError(error) ? error.message : (error as Error).message).split("\n")[0];
    return { configured: true, reachable: false, server, message: `Cannot reach the Kubernetes API: ${reason}` };
  }
}
