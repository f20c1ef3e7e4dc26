import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import { kubeAnswerOf, kubeGet } from "./rest";

/**
 * The containers' environment of one workload, read from the API by name (get, not list: the
 * informers keep only what discovery needs). The app-key lookup reads the variable an app takes its
 * key from (`SONARR__AUTH__APIKEY`), as a literal, the Secret key it names, or a Secret the container
 * takes whole (`envFrom`).
 */

/** Which workload. */
export interface WorkloadRef {
  kind: DiscoveredService["workloadKind"];
  namespace: string;
  name: string;
}

/** An environment variable of a workload's container, as far as the key lookup needs it. */
export interface WorkloadEnvVar {
  name: string;
  value?: string;
  secretKeyRef?: { name: string; key: string };
  /** A whole Secret as variables (`envFrom`): `name` is `<prefix>*`, each key a variable `<prefix><key>`. */
  envFrom?: { secretName: string; prefix: string };
}

const envVarSchema = z
  .object({
    name: z.string(),
    value: z.string().optional(),
    valueFrom: z.object({ secretKeyRef: z.object({ name: z.string().optional(), key: z.string() }).loose().optional() }).loose().optional(),
  })
  .loose();
const envFromSchema = z.object({ prefix: z.string().optional(), secretRef: z.object({ name: z.string().optional() }).loose().optional() }).loose();
const containerSchema = z.object({ env: z.array(envVarSchema).nullish(), envFrom: z.array(envFromSchema).nullish() }).loose();
const workloadSchema = z
  .object({
    spec: z
      .object({
        template: z
          .object({ spec: z.object({ containers: z.array(containerSchema).nullish(), initContainers: z.array(containerSchema).nullish() }).loose().optional() })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const PLURAL: Record<WorkloadRef["kind"], string> = { Deployment: "deployments", StatefulSet: "statefulsets", DaemonSet: "daemonsets" };

const WORKLOAD_ENV_TTL_MS = 5 * 60_000;

/**
 * A reader of workloads' environment, cached per workload for 5 minutes (errors too). Throws the
 * read's AppError: `forbidden` when the panel may not read the workload (RBAC), `not_found`,
 * `unreachable`, `timeout`.
 */
export function createWorkloadEnvReader(
  kc: KubeConfig | null,
  options: { timeoutMs: number; now?: () => number },
): (workload: WorkloadRef) => Promise<WorkloadEnvVar[]> {
  const cache = new Map<string, { at: number; value: Promise<WorkloadEnvVar[]> }>();
  const now = options.now ?? Date.now;
  return (ref) => {
    if (!kc) return Promise.reject(new AppError("unreachable", "Kubernetes is not configured.", { source: "kubernetes" }));
    const id = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const hit = cache.get(id);
    if (hit && now() - hit.at < WORKLOAD_ENV_TTL_MS) return hit.value;
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(ref.namespace)}/${PLURAL[ref.kind]}/${encodeURIComponent(ref.name)}`;
    const value = kubeGet(kc, path, workloadSchema, { timeoutMs: options.timeoutMs }).then(
      (w) => envOf([...(w.spec?.template?.spec?.containers ?? []), ...(w.spec?.template?.spec?.initContainers ?? [])]),
      (error: unknown) => {
        if (kubeAnswerOf(error)?.status === 403) {
          throw new AppError(
            "forbidden",
            `the panel may not read ${ref.kind} ${ref.namespace}/${ref.name} (RBAC: "get" on ${PLURAL[ref.kind]} in ${ref.namespace})`,
            { source: "kubernetes", cause: error },
          );
        }
        throw error;
      },
    );
    value.catch(() => undefined);
    cache.set(id, { at: now(), value });
    return value;
  };
}

function envOf(containers: ReadonlyArray<z.infer<typeof containerSchema>>): WorkloadEnvVar[] {
  const out: WorkloadEnvVar[] = [];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      out.push({ name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(ref?.name ? { secretKeyRef: { name: ref.name, key: ref.key } } : {}) });
    }
    for (const ef of c.envFrom ?? []) {
      const prefix = ef.prefix ?? "";
      if (ef.secretRef?.name) out.push({ name: `${prefix}*`, envFrom: { secretName: ef.secretRef.name, prefix } });
    }
  }
  return out;
}
