import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { AppError } from "@/lib/errors";
import { SUBRESOURCE_READS } from "./kinds";
import { kubeAnswerOf, kubeGetText, kubeStreamLines } from "./rest";

/**
 * Container logs through the API server's `pods/log` subresource (`get`, which deploy/ grants in the
 * watched namespaces only): the recent lines of a container's current run or, with `previous`, of
 * the run before its last restart, and a live follow. Every failure is an AppError saying what
 * happened in words a person can act on.
 */

/** The `pods/log` subresource and verb the panel uses (deploy/rbac.yaml grants exactly this, from kinds.ts). */
export const POD_LOG_ACCESS = SUBRESOURCE_READS[0];

/** What to read of one container. */
export interface PodLogRequest {
  namespace: string;
  pod: string;
  container: string;
  /** The run before the last restart. */
  previous?: boolean;
  /** Last N lines. */
  tailLines?: number;
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number;
  /** At most this many bytes (the API server cuts the answer). */
  limitBytes?: number;
}

function logPath(r: { namespace: string; pod: string }): string {
  return `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.pod)}/log`;
}

function query(r: PodLogRequest, follow: boolean): Record<string, string | undefined> {
  return {
    container: r.container,
    timestamps: "true",
    previous: r.previous ? "true" : undefined,
    follow: follow ? "true" : undefined,
    tailLines: r.tailLines !== undefined ? String(r.tailLines) : undefined,
    sinceSeconds: r.sinceSeconds !== undefined ? String(r.sinceSeconds) : undefined,
    limitBytes: r.limitBytes !== undefined ? String(r.limitBytes) : undefined,
  };
}

/** Turns a failed `pods/log` read into the message a person reads. */
export function podLogError(error: unknown, r: PodLogRequest): AppError {
  const answer = kubeAnswerOf(error);
  const what = `${r.previous ? "the previous run's log" : "the log"} of ${r.namespace}/${r.pod} (${r.container})`;
  const cause = { source: "kubernetes", cause: error };
  const message = error instanceof Error ? error.message : String(error);
  if (answer?.status === 403) {
    return new AppError(
      "forbidden",
      `The cluster refuses the panel ${what} (RBAC): grant "get" on pods/log in namespace ${r.namespace} to the panel's ServiceAccount (deploy/rbac.yaml).`,
      cause,
    );
  }
  if (answer?.status === 404) return new AppError("not_found", `Pod ${r.namespace}/${r.pod} no longer exists.`, cause);
  if (answer?.status === 400) {
    if (/previous terminated container/i.test(message)) return new AppError("not_found", `No previous run of ${r.container} in ${r.pod}: the runtime kept no log of it.`, cause);
    if (/is waiting to start|ContainerCreating|PodInitializing/i.test(message)) return new AppError("not_found", `${r.container} in ${r.pod} has not started yet: ${message}`, cause);
    return new AppError("invalid_input", `The API server refused to give ${what}: ${message}`, cause);
  }
  if (error instanceof AppError) return new AppError(error.code, `Cannot read ${what}: ${message}`, cause);
  return new AppError("unreachable", `Cannot read ${what}.`, cause);
}

/** The log text of one container run (with the runtime's timestamps); `truncated` when cut at `maxBytes`. */
export async function readPodLog(kc: KubeConfig, r: PodLogRequest, opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number }): Promise<{ text: string; truncated: boolean }> {
  try {
    return await kubeGetText(kc, logPath(r), { timeoutMs: opts.timeoutMs, signal: opts.signal, query: query(r, false), maxBytes: opts.maxBytes });
  } catch (error) {
    throw podLogError(error, r);
  }
}

/**
 * Follows a container's current run: `onLine` gets each new line (`<timestamp> <text>`) until the
 * container ends, the API server closes the stream, or `signal` aborts it.
 */
export async function followPodLog(
  kc: KubeConfig,
  r: PodLogRequest,
  opts: { signal: AbortSignal; connectTimeoutMs: number; onLine: (line: string) => void },
): Promise<void> {
  try {
    await kubeStreamLines(kc, logPath(r), query({ ...r, previous: false }, true), opts);
  } catch (error) {
    throw podLogError(error, r);
  }
}
