import type { ContainerStatus, Pod } from "./types";

/**
 * Restarts within the last hour. The API only reports a container's total restart count and its last
 * termination, so the panel samples the counts it sees (a history kept by the server, fed from the
 * pod informer) and combines three facts per container:
 * - a pod started within the hour: every restart it reports happened within the hour;
 * - otherwise the count now minus the count observed an hour ago (or at the first observation);
 * - and at least 1 when the last termination finished within the hour.
 */

export const HOUR_MS = 3_600_000;

/** One observation of a container's restart count. */
export interface RestartSample {
  at: number;
  count: number;
}

/** Samples per `podUid/container`, oldest first. Treated as immutable. */
export type RestartHistory = ReadonlyMap<string, readonly RestartSample[]>;

function containerKey(pod: Pod, container: string): string {
  return `${pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`}/${container}`;
}

function statusesOf(pod: Pod): ContainerStatus[] {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
}

/**
 * Records the restart counts of the given pods at `now` and returns the new history: a sample is
 * added only when a count changed; samples older than the window are dropped except the newest of
 * them (the baseline an hour ago); containers of pods no longer present are forgotten.
 */
export function updateRestartHistory(history: RestartHistory, pods: readonly Pod[], now: number, windowMs = HOUR_MS): RestartHistory {
  const next = new Map<string, readonly RestartSample[]>();
  for (const pod of pods) {
    for (const status of statusesOf(pod)) {
      const key = containerKey(pod, status.name);
      const count = status.restartCount ?? 0;
      let samples = history.get(key) ?? [];
      if (samples.length === 0 || samples[samples.length - 1]?.count !== count) samples = [...samples, { at: now, count }];
      const cut = samples.findIndex((s) => s.at > now - windowMs);
      // Keep the newest sample at or before the window start as the baseline.
      if (cut > 1) samples = samples.slice(cut - 1);
      else if (cut < 0 && samples.length > 1) samples = samples.slice(-1);
      next.set(key, samples);
    }
  }
  return next;
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** Restarts of one container within the window ending at `now`. */
export function containerRestartsInWindow(
  pod: Pod,
  status: ContainerStatus,
  now: number,
  history: RestartHistory | undefined,
  windowMs = HOUR_MS,
): number {
  const count = status.restartCount ?? 0;
  const since = now - windowMs;
  const started = parseTime(pod.status?.startTime) ?? parseTime(pod.metadata?.creationTimestamp);
  let n = 0;
  if (started !== undefined && started >= since) {
    n = count;
  } else {
    const samples = history?.get(containerKey(pod, status.name)) ?? [];
    if (samples.length > 0) {
      let baseline = samples[0] as RestartSample;
      for (const s of samples) if (s.at <= since) baseline = s;
      n = Math.max(0, count - baseline.count);
    }
  }
  const finished = parseTime(status.lastState?.terminated?.finishedAt);
  if (count > 0 && finished !== undefined && finished >= since) n = Math.max(n, 1);
  return n;
}

/** Restarts of all containers of a pod within the window ending at `now`. */
export function podRestartsInWindow(pod: Pod, now: number, history?: RestartHistory, windowMs = HOUR_MS): number {
  return statusesOf(pod).reduce((sum, s) => sum + containerRestartsInWindow(pod, s, now, history, windowMs), 0);
}
