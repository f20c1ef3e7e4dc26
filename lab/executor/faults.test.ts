import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearJobFaults, describeFault, failNextJob, fillVolumeOfNextJob, hangNextJob, killNextJobMidway, pendingJobFaults, takeJobFault } from './faults';

const dirs: string[] = [];
function labDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'lab-faults-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('job faults', () => {
  it('queues faults per namespace and hands them out oldest first', () => {
    const dir = labDir();
    failNextJob('media', 3, dir);
    hangNextJob('media', dir);
    fillVolumeOfNextJob('backups', 65_536, 'archive', dir);
    killNextJobMidway('backups', 200, dir);
    expect(Object.fromEntries(Object.entries(pendingJobFaults(dir)).map(([ns, q]) => [ns, q.map((f) => f.fault.kind)]))).toEqual({
      media: ['exit', 'hang'],
      backups: ['fill-volume', 'kill'],
    });
    expect(takeJobFault('media', dir)).toEqual({ kind: 'exit', exitCode: 3 });
    expect(takeJobFault('media', dir)).toEqual({ kind: 'hang' });
    expect(takeJobFault('media', dir)).toBeUndefined();
    expect(takeJobFault('other', dir)).toBeUndefined();
    expect(clearJobFaults(undefined, dir)).toBe(2);
    expect(pendingJobFaults(dir)).toEqual({});
  });

  it('rejects faults that cannot happen', () => {
    const dir = labDir();
    expect(() => failNextJob('media', 0, dir)).toThrow(/exit code must be 1..255/);
    expect(() => failNextJob('media', 256, dir)).toThrow();
    expect(() => fillVolumeOfNextJob('media', 100, undefined, dir)).toThrow(/at least 4096/);
    expect(() => killNextJobMidway('media', -1, dir)).toThrow();
    expect(pendingJobFaults(dir)).toEqual({});
  });

  it('describes each fault for the pod event', () => {
    expect(describeFault({ kind: 'fill-volume', bytes: 8192, claim: 'backups' })).toMatch(/volume backups is limited to 8192 bytes .*No space left on device/);
    expect(describeFault({ kind: 'exit', exitCode: 4 })).toContain('exit 4');
  });
});
