import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { AppError } from "@/lib/errors";
import type { ArgoApplication } from "@/lib/gitops/argo";
import type { PodUsage } from "@/lib/alerts/resources";
import type { ClusterSnapshot } from "@/lib/k8s/types";
import type { DiscoveredService } from "@/lib/services";
import { getConfig } from "@/server/config/load";
import { getRegistry } from "@/server/observability/metrics";
import { readApplications, type ApplicationsView } from "./applications";
import { listArgoApplications } from "./argo";
import { requestRenewal, type RenewalRequest } from "./certificates";
import { checkReachability, loadKubeConfig, type KubernetesReachability } from "./client";
import { createDiscovery, type Discovery, type ServicesListener } from "./discovery";
import { createInformerSet, type ChangeListener, type InformerSet, type KubeState } from "./informers";
import { registerKubeMetrics } from "./metrics";
import { listPodUsage, servesResource } from "./resource-usage";
import { SecretReader } from "./secrets";
import { createWorkloadEnvReader, type WorkloadEnvVar, type WorkloadRef } from "./workloads";

/**
 * The panel's access to its cluster, wired from its configuration (`kubernetes.*`, `discovery.*`):
 * the one place of the Kubernetes layer that reads the configuration. The modules beside it (REST,
 * informers, discovery, Secrets, workloads, Argo CD) take what they need as arguments, so tests and
 * tools build their own over any kubeconfig. Everything here is one per process and lives on
 * globalThis, so Next's dev reloads reuse it.
 */

interface PanelCluster {
  kc?: KubeConfig | null;
  kcError?: string;
  informers?: InformerSet;
  discovery?: Discovery;
  secrets?: SecretReader;
  workloadEnv?: (workload: WorkloadRef) => Promise<WorkloadEnvVar[]>;
  reachability?: { at: number; value: Promise<KubernetesReachability> };
}

const holder = globalThis as typeof globalThis & { __panelCluster?: PanelCluster };

function cluster(): PanelCluster {
  holder.__panelCluster ??= {};
  return holder.__panelCluster;
}

/** The panel's Kubernetes credentials; null with `kubernetes.mode: none`. Throws when they cannot be loaded. */
export function getKubeConfig(): KubeConfig | null {
  const c = cluster();
  if (c.kc !== undefined) return c.kc;
  if (c.kcError !== undefined) throw new Error(c.kcError);
  try {
    c.kc = loadKubeConfig(getConfig().kubernetes);
    return c.kc;
  } catch (error) {
    c.kcError = (error as Error).message;
    throw error;
  }
}

/** The credentials, or null when they are not configured or cannot be loaded (the reason is in the informers' state). */
function kubeConfigOrNull(): KubeConfig | null {
  try {
    return getKubeConfig();
  } catch {
    return null;
  }
}

/** The process-wide informers, started on first use. */
export function getInformers(): InformerSet {
  const c = cluster();
  if (c.informers) return c.informers;
  const { kubernetes } = getConfig();
  let notConfiguredMessage = "Kubernetes is not configured (kubernetes.mode: none).";
  let kc: KubeConfig | null = null;
  try {
    kc = getKubeConfig();
  } catch (error) {
    notConfiguredMessage = (error as Error).message;
  }
  const set = createInformerSet({
    kc,
    namespaces: kubernetes.namespaces,
    scope: kubernetes.watchScope,
    requestTimeoutMs: kubernetes.requestTimeoutMs,
    notConfiguredMessage,
    argocdNamespace: getConfig().discovery.argocdNamespace,
    veleroNamespace: getConfig().backups.veleroNamespace,
  });
  c.informers = set;
  registerKubeMetrics(getRegistry(), () => cluster().informers);
  set.start();
  return set;
}

/** Starts the process-wide informers (from the panel's start-up) and returns them. */
export function startInformers(): InformerSet {
  return getInformers();
}

/** Stops and forgets the process-wide informers and discovery (shutdown, tests). */
export function stopInformers(): void {
  const c = cluster();
  c.discovery?.close();
  c.discovery = undefined;
  c.informers?.stop();
  c.informers = undefined;
}

/** Subscribes to changes of the process-wide caches (debounced ~200 ms). */
export function onChange(listener: ChangeListener): () => void {
  return getInformers().onChange(listener);
}

/** The process-wide discovery over the process-wide informers. */
export function getDiscovery(): Discovery {
  const c = cluster();
  if (c.discovery) return c.discovery;
  const { discovery } = getConfig();
  c.discovery = createDiscovery(getInformers(), {
    kindOverrides: discovery.kindOverrides,
    syncTimeoutMs: discovery.syncTimeoutMs,
    argocdNamespace: discovery.argocdNamespace,
  });
  return c.discovery;
}

/** Every discovered service, sorted by namespace/name (waits for the first sync, bounded by `discovery.syncTimeoutMs`). */
export function listServices(): Promise<DiscoveredService[]> {
  return getDiscovery().listServices();
}

/** One discovered service by id (`namespace/name`). */
export function getService(id: string): Promise<DiscoveredService | undefined> {
  return getDiscovery().getService(id);
}

/** `{ connected, message, kinds: { pods: { synced, error? }, ... } }` of the process-wide caches. */
export function getKubeState(): KubeState {
  return getDiscovery().getKubeState();
}

/** Subscribes to changes of the discovered services (after the informers' ~200 ms debounce). */
export function onServicesChanged(listener: ServicesListener): () => void {
  return getDiscovery().onServicesChanged(listener);
}

function secretReader(): SecretReader {
  const c = cluster();
  c.secrets ??= new SecretReader(kubeConfigOrNull(), { timeoutMs: getConfig().kubernetes.requestTimeoutMs });
  return c.secrets;
}

/**
 * The value of `key` in Secret `namespace/name` (get by name, cached 60 s), or undefined when the
 * Secret lacks the key. Throws AppError: `forbidden` (RBAC, with the fix), `not_found`, `unreachable`,
 * `unauthorized`, `timeout`. Never log the value.
 */
export function readSecretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
  return secretReader().readSecretValue(namespace, name, key);
}

/** Every key and value of Secret `namespace/name` (cached like {@link readSecretValue}); never log them. */
export function readSecretData(namespace: string, name: string): Promise<Readonly<Record<string, string>>> {
  return secretReader().readSecretData(namespace, name);
}

/** Forgets cached Secret values (after a change in Settings; tests). */
export function clearSecretCache(): void {
  cluster().secrets?.clear();
}

/** The containers' environment of a workload (cached 5 min); throws the read's AppError. */
export function readWorkloadEnv(workload: WorkloadRef): Promise<WorkloadEnvVar[]> {
  const c = cluster();
  c.workloadEnv ??= createWorkloadEnvReader(kubeConfigOrNull(), { timeoutMs: getConfig().kubernetes.requestTimeoutMs });
  return c.workloadEnv(workload);
}

/** Reachability of the API server (`GET /version`), cached for 10 s. */
export function checkKubernetes(timeoutMs = 3000): Promise<KubernetesReachability> {
  const c = cluster();
  if (c.reachability && Date.now() - c.reachability.at < 10_000) return c.reachability.value;
  let value: Promise<KubernetesReachability>;
  try {
    value = checkReachability(getKubeConfig(), timeoutMs);
  } catch (error) {
    value = Promise.resolve({ configured: true, reachable: false, message: (error as Error).message });
  }
  c.reachability = { at: Date.now(), value };
  return value;
}

/** The Argo CD Applications in Argo CD's namespace (`discovery.argocdNamespace`); undefined without a cluster. */
export function listApplications(): Promise<ArgoApplication[] | undefined> {
  const config = getConfig();
  return listArgoApplications(kubeConfigOrNull(), config.discovery.argocdNamespace, config.kubernetes.requestTimeoutMs);
}


/** CPU and memory of the pods in the watched namespaces, from the metrics API (`not_found` when the cluster does not serve it). */
export async function listPodUsageEverywhere(): Promise<PodUsage[]> {
  const kc = getKubeConfig();
  if (!kc) return [];
  const { kubernetes } = getConfig();
  const lists = await Promise.all(kubernetes.namespaces.map((ns) => listPodUsage(kc, ns, kubernetes.requestTimeoutMs)));
  return lists.flat();
}

/** Whether the cluster serves a resource (API discovery); false without a cluster. */
export async function clusterServes(group: string, version: string, resource: string): Promise<boolean> {
  const kc = getKubeConfig();
  if (!kc) return false;
  return servesResource(kc, group, version, resource, getConfig().kubernetes.requestTimeoutMs);
}

/** The informers' current objects (workload templates, for the containers' limits). */
export function clusterSnapshot(): ClusterSnapshot {
  return getInformers().snapshot();
}

/**
 * "Renew now" for the Certificate `namespace/name` of the informers' cache (see ./certificates.ts).
 * Throws AppError `not_found` when the cache does not hold it, `unreachable` without a cluster.
 */
export async function renewCertificate(namespace: string, name: string): Promise<RenewalRequest> {
  const kc = kubeConfigOrNull();
  if (!kc) throw new AppError("unreachable", "Kubernetes is not configured: there is no Certificate to renew.", { source: "kubernetes" });
  const cert = (getInformers().snapshot().certificates ?? []).find((c) => c.metadata?.namespace === namespace && c.metadata?.name === name);
  if (!cert) throw new AppError("not_found", `No Certificate ${namespace}/${name} in the watched namespaces.`, { source: "kubernetes" });
  return requestRenewal(kc, cert, { timeoutMs: getConfig().kubernetes.requestTimeoutMs });
}

/** Argo CD's Applications and ApplicationSets from the process-wide caches (waits once for the first sync). */
export async function getApplicationsView(): Promise<ApplicationsView> {
  const informers = getInformers();
  if (!informers.synced) await informers.waitForSync(getConfig().discovery.syncTimeoutMs);
  return readApplications(informers);
}
