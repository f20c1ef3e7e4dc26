import "server-only";
import { AppError, isAppError } from "@/lib/errors";
import type { Pod } from "@/lib/k8s/types";
import { containerLines, detectLevel, secretMasker, splitTimestamped, type LogLine } from "@/lib/logs/lines";
import type { LogContainer, LogSource, ServiceLogs } from "@/lib/logs/types";
import type { DiscoveredService } from "@/lib/services";
import { discoveredServiceUrl } from "@/server/apps/endpoints";
import { resolveApp } from "@/server/apps/resolve";
import { getConfig } from "@/server/config/load";
import { getInformers, getKubeConfig, getService, listServices, readSecretData, readSecretValue, readWorkloadEnv } from "@/server/k8s";
import { followPodLog, readPodLog, type PodLogRequest } from "@/server/k8s/logs";
import { queryLokiRange, workloadLogQuery } from "./loki";
import { collectSecretValues } from "./secrets";

/**
 * The logs of one service for its page: each container of its pods, the run before the last restart
 * (`previous`) and the current one, read through the Kubernetes API; or, when the cluster has Loki,
 * the workload's lines over a longer time through LogQL. Every known secret is masked before a line
 * leaves this module.
 */

/** Containers read at most per request (a service has one or two pods of one or two containers). */
const MAX_CONTAINERS = 12;
/** Bytes read at most per container run. */
const MAX_BYTES_PER_RUN = 2 * 1024 * 1024;
/** How long the collected secret values are reused. */
const SECRETS_TTL_MS = 30_000;

/** What the page asks for. */
export interface LogsQuery {
  source?: LogSource;
  /** One pod of the service (default: all). */
  pod?: string;
  /** One container (default: all). */
  container?: string;
  /** Lines per run (default `observability.logs.tailLines`). */
  tailLines?: number;
  /** Loki: the search, sent as a line filter. */
  search?: string;
}

const holder = globalThis as typeof globalThis & { __panelLogSecrets?: { at: number; value: Promise<{ values: string[]; unavailable: string[] }> } };

/** The secret values to mask, collected at most every 30 s. */
export function knownSecretValues(): Promise<{ values: string[]; unavailable: string[] }> {
  const hit = holder.__panelLogSecrets;
  if (hit && Date.now() - hit.at < SECRETS_TTL_MS) return hit.value;
  const config = getConfig();
  const value = collectSecretValues({
    config: config as unknown as Parameters<typeof collectSecretValues>[0]["config"],
    env: process.env,
    readSecretData,
    listServices,
    resolve: (service) =>
      resolveApp(service, { config, readSecretValue, readWorkloadEnv, env: process.env, timeoutMs: config.kubernetes.requestTimeoutMs }),
  });
  holder.__panelLogSecrets = { at: Date.now(), value };
  return value;
}

/** The service's pods as the informers hold them (status included). */
function podsOf(service: DiscoveredService): Pod[] {
  const names = new Set(service.kube.pods.map((p) => p.name));
  return (getInformers().snapshot().pods as Pod[]).filter((p) => p.metadata?.namespace === service.namespace && names.has(p.metadata?.name ?? ""));
}

function stateOf(s: NonNullable<Pod["status"]>["containerStatuses"] extends (infer T)[] | undefined ? T | undefined : never): string {
  if (!s?.state) return "waiting";
  if (s.state.running) return "running";
  return s.state.waiting?.reason ?? s.state.terminated?.reason ?? "waiting";
}

/** The containers of the service's pods, sidecars included, with their restarts and the end of their last run. */
export function containersOf(pods: Pod[]): LogContainer[] {
  const out: LogContainer[] = [];
  for (const pod of pods) {
    const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
    const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => ({ ...c, sidecar: true }));
    for (const c of [...(pod.spec?.containers ?? []).map((x) => ({ ...x, sidecar: false })), ...sidecars]) {
      const s = statuses.find((x) => x.name === c.name);
      const t = s?.lastState?.terminated;
      out.push({
        pod: pod.metadata?.name ?? "",
        container: c.name,
        sidecar: c.sidecar,
        restarts: s?.restartCount ?? 0,
        state: stateOf(s),
        ...(t ? { lastTermination: { exitCode: t.exitCode, reason: t.reason, startedAt: t.startedAt, finishedAt: t.finishedAt } } : {}),
      });
    }
  }
  return out;
}

async function lokiUrl(): Promise<{ url?: string; reason?: string }> {
  const configured = getConfig().observability.logs.lokiUrl;
  if (configured) return { url: configured };
  try {
    const found = await discoveredServiceUrl("loki");
    if (found) return { url: found.url };
  } catch {
    // Discovery failing leaves Loki unknown.
  }
  return { reason: "No Loki in the watched namespaces and none configured (observability.logs.lokiUrl)." };
}

function maskingNote(unavailable: string[]): string | undefined {
  return unavailable.length > 0 ? `Masking may miss values the panel could not read: ${unavailable.join(", ")}.` : undefined;
}

async function findService(namespace: string, name: string): Promise<DiscoveredService> {
  const service = await getService(`${namespace}/${name}`);
  if (!service) throw new AppError("not_found", `No service ${namespace}/${name} in the watched namespaces.`);
  return service;
}

function pick(containers: LogContainer[], q: Pick<LogsQuery, "pod" | "container">): LogContainer[] {
  if (q.pod && !containers.some((c) => c.pod === q.pod)) throw new AppError("invalid_input", `Pod ${q.pod} is not one of this service's pods.`);
  const chosen = containers.filter((c) => (!q.pod || c.pod === q.pod) && (!q.container || c.container === q.container));
  if (q.container && chosen.length === 0) throw new AppError("invalid_input", `No container ${q.container} in this service's pods.`);
  return chosen.slice(0, MAX_CONTAINERS);
}

/** Reads the logs of a service (see the module comment). Throws AppError: `not_found`, `invalid_input`, and for Loki its failures. */
export async function getServiceLogs(namespace: string, name: string, q: LogsQuery = {}): Promise<ServiceLogs> {
  const config = getConfig();
  const service = await findService(namespace, name);
  const containers = containersOf(podsOf(service));
  const [secrets, loki] = await Promise.all([knownSecretValues(), lokiUrl()]);
  const mask = secretMasker(secrets.values);
  const tailLines = q.tailLines ?? config.observability.logs.tailLines;
  const lokiState = loki.url ? { available: true } : { available: false, reason: loki.reason };
  const maskingIncomplete = maskingNote(secrets.unavailable);
  const base = { loki: lokiState, containers, ...(maskingIncomplete ? { maskingIncomplete } : {}) };

  if (q.source === "loki") {
    if (!loki.url) throw new AppError("not_found", loki.reason ?? "Loki is not available.");
    const hours = config.observability.logs.lokiLookbackHours;
    const end = new Date();
    const result = await queryLokiRange(
      loki.url,
      { query: workloadLogQuery({ namespace, workload: name, container: q.container, search: q.search }), start: new Date(end.getTime() - hours * 3600_000), end, limit: Math.min(tailLines * 4, 5000) },
      { timeoutMs: config.observability.prometheus.timeoutMs * 2, tenant: config.observability.logs.lokiTenant },
    );
    const lines: LogLine[] = result.lines
      .filter((l) => !q.pod || l.labels.pod === q.pod)
      .map((l) => {
        const text = mask(l.line.replace(/\n$/, ""));
        const level = detectLevel(text);
        const pod = l.labels.pod ?? "";
        return { time: l.time, pod, container: l.labels.container ?? "", run: "current" as const, text, ...(level ? { level } : {}) };
      });
    return {
      ...base,
      source: "loki",
      sourceLabel: `Loki, the last ${hours} h of ${namespace}/${name}'s pods (current and replaced ones)`,
      lines,
      notes: lines.length === 0 ? [`Loki has no lines for ${namespace}/${name} in the last ${hours} h.`] : [],
      truncated: result.limited,
    };
  }

  const kc = getKubeConfig();
  if (!kc) throw new AppError("unreachable", "Kubernetes is not configured (kubernetes.mode: none): no logs to read.");
  const notes: string[] = [];
  let truncated = false;
  const timeoutMs = config.kubernetes.requestTimeoutMs;
  const read = async (r: PodLogRequest): Promise<string | undefined> => {
    try {
      const got = await readPodLog(kc, r, { timeoutMs, maxBytes: MAX_BYTES_PER_RUN });
      truncated ||= got.truncated;
      return got.text;
    } catch (error) {
      if (isAppError(error) && (error.code === "not_found" || error.code === "invalid_input")) {
        notes.push(error.message);
        return undefined;
      }
      throw error;
    }
  };
  const targets = pick(containers, q);
  if (targets.length === 0) notes.push(service.kube.pods.length === 0 ? "The service has no pods: nothing is running to log anything." : "No containers to read.");
  const perContainer = await Promise.all(
    targets.map(async (c) => {
      const ref = { namespace, pod: c.pod, container: c.container, tailLines };
      const [current, previous] = await Promise.all([read(ref), c.restarts > 0 ? read({ ...ref, previous: true }) : Promise.resolve(undefined)]);
      return containerLines({ pod: c.pod, container: c.container, current, previous, mask });
    }),
  );
  const lines = perContainer.length === 1 ? (perContainer[0] ?? []) : perContainer.flat().sort((a, b) => (a.time ?? "").localeCompare(b.time ?? ""));
  return {
    ...base,
    source: "kubernetes",
    sourceLabel: `the Kubernetes API, the last ${tailLines} lines of each container's current run${targets.some((c) => c.restarts > 0) ? " and of the run before its last restart" : ""}`,
    lines,
    notes,
    truncated,
  };
}

/**
 * Follows the running containers of a service (or one pod / container): `onLine` gets each new line,
 * masked, until every stream ends or `signal` aborts. Resolves with why it ended.
 */
export async function followServiceLogs(
  namespace: string,
  name: string,
  q: Pick<LogsQuery, "pod" | "container">,
  opts: { signal: AbortSignal; onLine: (line: LogLine) => void; onNote: (note: string) => void },
): Promise<void> {
  const config = getConfig();
  const service = await findService(namespace, name);
  const kc = getKubeConfig();
  if (!kc) throw new AppError("unreachable", "Kubernetes is not configured (kubernetes.mode: none): no logs to follow.");
  const targets = pick(containersOf(podsOf(service)), q).filter((c) => c.state === "running");
  if (targets.length === 0) {
    opts.onNote("No container is running now: nothing to follow.");
    return;
  }
  const secrets = await knownSecretValues();
  const mask = secretMasker(secrets.values);
  await Promise.all(
    targets.map(async (c) => {
      try {
        await followPodLog(kc, { namespace, pod: c.pod, container: c.container, tailLines: 0 }, {
          signal: opts.signal,
          connectTimeoutMs: config.kubernetes.requestTimeoutMs,
          onLine: (raw) => {
            const [l] = splitTimestamped(`${raw}\n`);
            if (!l) return;
            const text = mask(l.text);
            const level = detectLevel(text);
            opts.onLine({ ...(l.time ? { time: l.time } : {}), pod: c.pod, container: c.container, run: "current", text, ...(level ? { level } : {}) });
          },
        });
        if (!opts.signal.aborted) opts.onNote(`${c.pod} (${c.container}) ended its log stream.`);
      } catch (error) {
        if (!opts.signal.aborted) opts.onNote(isAppError(error) ? error.message : "Following the log failed.");
      }
    }),
  );
}
