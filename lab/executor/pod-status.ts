import type { ContainerStateJson, ContainerStatusJson, PodCondition, PodStatusJson } from './types';

/**
 * The pod status a kubelet reports, built from the executor's view of each container. Pure: the
 * runner keeps a {@link PodModel} and writes `podStatus(model)` through the status subresource.
 */

export type ContainerState =
  | { state: 'waiting'; reason: string; message?: string }
  | { state: 'running'; startedAt: string }
  | { state: 'terminated'; exitCode: number; reason: string; message?: string; startedAt: string; finishedAt: string; signal?: number };

/** One container (or init container) as the executor sees it. */
export interface ContainerModel {
  name: string;
  image: string;
  /** Run for real in the sandbox (false: reported like kwok reports it, nothing runs). */
  real: boolean;
  restartCount: number;
  current: ContainerState;
  last?: ContainerState;
  containerID?: string;
  /** A sidecar (init container with restartPolicy Always). */
  sidecar?: boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PodModel {
  phase: PodPhase;
  reason?: string;
  message?: string;
  startTime: string;
  hostIP: string;
  podIP: string;
  init: ContainerModel[];
  containers: ContainerModel[];
  /** Conditions as last reported, to keep lastTransitionTime when a status does not change. */
  conditions: Map<string, { status: PodCondition['status']; time: string; reason?: string; message?: string }>;
}

function stateJson(s: ContainerState): ContainerStateJson {
  switch (s.state) {
    case 'waiting':
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case 'running':
      return { running: { startedAt: s.startedAt } };
    case 'terminated':
      return {
        terminated: {
          exitCode: s.exitCode,
          reason: s.reason,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
          ...(s.message ? { message: s.message } : {}),
          ...(s.signal !== undefined ? { signal: s.signal } : {}),
        },
      };
  }
}

/** Whether a container counts as ready (running; nothing probes readiness in the lab). */
export function containerReady(c: ContainerModel): boolean {
  return c.current.state === 'running';
}

function containerStatus(c: ContainerModel, init: boolean): ContainerStatusJson {
  const ready = init && !c.sidecar ? c.current.state === 'terminated' && c.current.exitCode === 0 : containerReady(c);
  const terminated = c.current.state === 'terminated' ? { ...stateJson(c.current).terminated, ...(c.containerID ? { containerID: c.containerID } : {}) } : undefined;
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready,
    started: c.current.state === 'running',
    restartCount: c.restartCount,
    state: terminated ? { terminated } : stateJson(c.current),
    ...(c.last ? { lastState: stateJson(c.last) } : {}),
  } as ContainerStatusJson;
}

function names(list: ContainerModel[]): string {
  return `[${list.map((c) => c.name).join(' ')}]`;
}

/** Renders the model as a pod status (phase, conditions, container statuses, addresses). */
export function podStatus(m: PodModel, now: string = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')): PodStatusJson {
  const initDone = m.init.every((c) => c.sidecar ? c.current.state === 'running' : c.current.state === 'terminated' && c.current.exitCode === 0);
  const pendingInit = m.init.filter((c) => !(c.sidecar ? c.current.state === 'running' : c.current.state === 'terminated' && c.current.exitCode === 0));
  const notReady = m.containers.filter((c) => !containerReady(c));
  const completed = m.phase === 'Succeeded' || m.phase === 'Failed';
  const want: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: 'True' },
    initDone
      ? { type: 'Initialized', status: 'True' }
      : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${names(pendingInit)}` },
    notReady.length === 0 && !completed && initDone
      ? { type: 'Ready', status: 'True' }
      : { type: 'Ready', status: 'False', reason: completed ? 'PodCompleted' : 'ContainersNotReady', ...(completed ? {} : { message: `containers with unready status: ${names(notReady)}` }) },
    notReady.length === 0 && !completed && initDone
      ? { type: 'ContainersReady', status: 'True' }
      : { type: 'ContainersReady', status: 'False', reason: completed ? 'PodCompleted' : 'ContainersNotReady', ...(completed ? {} : { message: `containers with unready status: ${names(notReady)}` }) },
    { type: 'PodScheduled', status: 'True' },
  ];
  const conditions = want.map((c) => {
    const prev = m.conditions.get(c.type);
    const time = prev && prev.status === c.status ? prev.time : now;
    m.conditions.set(c.type, { status: c.status, time, reason: c.reason, message: c.message });
    return { ...c, lastProbeTime: null, lastTransitionTime: time };
  });
  return {
    phase: m.phase,
    ...(m.reason ? { reason: m.reason } : {}),
    ...(m.message ? { message: m.message } : {}),
    conditions,
    hostIP: m.hostIP,
    hostIPs: [{ ip: m.hostIP }],
    podIP: m.podIP,
    podIPs: [{ ip: m.podIP }],
    startTime: m.startTime,
    ...(m.init.length > 0 ? { initContainerStatuses: m.init.map((c) => containerStatus(c, true)) } : {}),
    containerStatuses: m.containers.map((c) => containerStatus(c, false)),
  };
}

/** The reason a terminated container reports for its exit code. */
export function exitReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** Exit code of a process that ended by a signal, the way runtimes report it (128 + signal number). */
export function signalExitCode(signal: NodeJS.Signals | null, code: number | null): number {
  if (code !== null) return code;
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGXFSZ: 25 };
  return 128 + (signal ? (numbers[signal] ?? 9) : 9);
}

/** Kubelet's restart back-off: 10 s doubling up to 5 min. */
export function restartBackoffMs(restarts: number): number {
  return Math.min(300_000, 10_000 * 2 ** Math.max(0, restarts - 1));
}
