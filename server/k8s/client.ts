import "server-only";
import { isAbortError, kubeCallOptions } from "./abort";
import { KubeConfig, VersionApi } from "@kubernetes/client-node";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";

const holder = globalThis as typeof globalThis & { __panelKubeConfig?: KubeConfig | null };

/**
 * The KubeConfig the panel uses: the pod's ServiceAccount in the cluster, or a kubeconfig file.
 * Null when the configuration says `kubernetes.mode: none`.
 */
export function getKubeConfig(): KubeConfig | null {
  if (holder.__panelKubeConfig !== undefined) return holder.__panelKubeConfig;
  const { kubernetes } = getConfig();
  let kc: KubeConfig | null = null;
  if (kubernetes.mode !== "none") {
    kc = new KubeConfig();
    try {
      if (kubernetes.mode === "in-cluster") kc.loadFromCluster();
      else {
        const file = kubernetes.kubeconfig ?? process.env.KUBECONFIG;
        if (!file) throw new Error("no kubeconfig file configured");
        kc.loadFromFile(file);
        if (kubernetes.context) kc.setCurrentContext(kubernetes.context);
      }
    } catch (error) {
      throw new AppError("unreachable", `Cannot load the Kubernetes credentials: ${(error as Error).message}`, {
        source: "kubernetes",
        cause: error,
      });
    }
  }
  holder.__panelKubeConfig = kc;
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

let lastCheck: { at: number; value: KubernetesReachability } | undefined;

/** Asks the API server for its version, with a short timeout; cached for 10 s. */
export async function checkKubernetes(timeoutMs = 3000): Promise<KubernetesReachability> {
  if (lastCheck && Date.now() - lastCheck.at < 10_000) return lastCheck.value;
  let value: KubernetesReachability;
  let kc: KubeConfig | null;
  try {
    kc = getKubeConfig();
  } catch (error) {
    value = { configured: true, reachable: false, message: (error as Error).message };
    lastCheck = { at: Date.now(), value };
    return value;
  }
  if (!kc) {
    value = { configured: false, reachable: false, message: "Kubernetes is not configured (kubernetes.mode: none)." };
  } else {
    const server = kc.getCurrentCluster()?.server;
    try {
      const api = kc.makeApiClient(VersionApi);
      const info = await api.getCode(kubeCallOptions(timeoutMs)).catch((error: unknown) => {
        throw isAbortError(error) ? new Error(`no answer within ${timeoutMs} ms`) : error;
      });
      value = { configured: true, reachable: true, version: info.gitVersion, server, message: `Connected (${info.gitVersion}).` };
    } catch (error) {
      const code = (error as { code?: number }).code;
      const reason =
        code === 401 || code === 403
          ? `the API server refused the credentials (HTTP ${code})`
          : (error as Error).message.split("\n")[0];
      value = { configured: true, reachable: false, server, message: `Cannot reach the Kubernetes API: ${reason}` };
    }
  }
  lastCheck = { at: Date.now(), value };
  return value;
}
