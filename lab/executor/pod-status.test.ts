import { describe, expect, it } from 'vitest';
import { exitReason, podStatus, restartBackoffMs, signalExitCode, type PodModel } from './pod-status';

function model(over: Partial<PodModel> = {}): PodModel {
  return {
    phase: 'Pending',
    startTime: '2026-01-01T00:00:00Z',
    hostIP: '127.0.0.1',
    podIP: '10.245.0.2',
    init: [],
    containers: [],
    conditions: new Map(),
    ...over,
  };
}

describe('pod status', () => {
  it('reports initialising pods as the kubelet does', () => {
    const s = podStatus(
      model({
        init: [
          { name: 'one', image: 'alpine', real: true, restartCount: 0, current: { state: 'terminated', exitCode: 0, reason: 'Completed', startedAt: 't', finishedAt: 't' } },
          { name: 'two', image: 'alpine', real: true, restartCount: 0, current: { state: 'running', startedAt: 't' } },
        ],
        containers: [{ name: 'main', image: 'alpine', real: true, restartCount: 0, current: { state: 'waiting', reason: 'PodInitializing' } }],
      }),
      '2026-01-01T00:00:05Z',
    );
    expect(s.phase).toBe('Pending');
    expect(s.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [two]' });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(s.initContainerStatuses?.map((c) => [c.name, c.ready, Object.keys(c.state ?? {})[0]])).toEqual([
      ['one', true, 'terminated'],
      ['two', false, 'running'],
    ]);
    expect(s.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(s.podIP).toBe('10.245.0.2');
  });

  it('keeps transition times of unchanged conditions and reports a failed pod', () => {
    const m = model({ containers: [{ name: 'main', image: 'alpine', real: true, restartCount: 0, current: { state: 'running', startedAt: 't' } }], phase: 'Running' });
    const first = podStatus(m, '2026-01-01T00:00:01Z');
    expect(first.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:01Z' });
    m.containers[0]!.current = { state: 'terminated', exitCode: 3, reason: exitReason(3), startedAt: 't', finishedAt: 'u' };
    m.containers[0]!.containerID = 'lab://x';
    m.phase = 'Failed';
    const second = podStatus(m, '2026-01-01T00:00:09Z');
    expect(second.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted', lastTransitionTime: '2026-01-01T00:00:09Z' });
    expect(second.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('2026-01-01T00:00:01Z');
    expect(second.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', containerID: 'lab://x' });
  });

  it('maps signals and back-off like a runtime and a kubelet', () => {
    expect(signalExitCode('SIGKILL', null)).toBe(137);
    expect(signalExitCode('SIGTERM', null)).toBe(143);
    expect(signalExitCode(null, 2)).toBe(2);
    expect([1, 2, 3, 6, 9].map(restartBackoffMs)).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
  });
});
