import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labDir } from '../paths';

/**
 * Faults for the next Job of a namespace, the failures a backup tool must survive: the Job's
 * command fails with an exit code, hangs, runs out of space on its volume, or is killed midway.
 * A control writes the fault into `<labDir>/executor/faults/<namespace>.json`; the executor takes
 * the oldest one when it starts the first pod of a Job in that namespace and applies it to every
 * pod of that Job (retries included). Each applied fault is recorded as a Warning event
 * `LabFault` on the pod.
 */

export type JobFault =
  /** The Job's containers exit with this code instead of running their command. */
  | { kind: 'exit'; exitCode: number }
  /** The Job's containers never finish (until activeDeadlineSeconds or deletion kills them). */
  | { kind: 'hang' }
  /** The Job's writable volumes (or only `claim`) hold at most `bytes`; writing more fails with ENOSPC. */
  | { kind: 'fill-volume'; bytes: number; claim?: string }
  /** The Job's containers run their command and are killed (SIGKILL, exit 137) after `afterMs`. */
  | { kind: 'kill'; afterMs: number };

/** A fault waiting for the next Job. */
export interface PendingFault {
  fault: JobFault;
  createdAt: string;
}

function faultsDir(dir: string): string {
  return path.join(dir, 'executor', 'faults');
}

function faultFile(namespace: string, dir: string): string {
  return path.join(faultsDir(dir), `${namespace}.json`);
}

function readQueue(file: string): PendingFault[] {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(v) ? (v as PendingFault[]) : [];
  } catch {
    return [];
  }
}

function writeQueue(file: string, queue: PendingFault[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  if (queue.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(queue, null, 2) + '\n');
  renameSync(tmp, file);
}

function validate(fault: JobFault): JobFault {
  switch (fault.kind) {
    case 'exit':
      if (!Number.isInteger(fault.exitCode) || fault.exitCode < 1 || fault.exitCode > 255) throw new Error(`exit code must be 1..255 (got ${fault.exitCode})`);
      return fault;
    case 'hang':
      return fault;
    case 'fill-volume':
      if (!Number.isFinite(fault.bytes) || fault.bytes < 4096) throw new Error(`the volume size must be at least 4096 bytes (got ${fault.bytes})`);
      return fault;
    case 'kill':
      if (!Number.isFinite(fault.afterMs) || fault.afterMs < 0) throw new Error(`afterMs must be >= 0 (got ${fault.afterMs})`);
      return fault;
  }
}

/** Queues a fault for the next Job of `namespace`. */
export function addJobFault(namespace: string, fault: JobFault, dir = labDir()): void {
  const file = faultFile(namespace, dir);
  writeQueue(file, [...readQueue(file), { fault: validate(fault), createdAt: new Date().toISOString() }]);
}

/** The next Job of the namespace fails with `exitCode`. */
export function failNextJob(namespace: string, exitCode: number, dir = labDir()): void {
  addJobFault(namespace, { kind: 'exit', exitCode }, dir);
}

/** The next Job of the namespace hangs. */
export function hangNextJob(namespace: string, dir = labDir()): void {
  addJobFault(namespace, { kind: 'hang' }, dir);
}

/** The next Job of the namespace finds its volume(s) full past `bytes` ("No space left on device"). */
export function fillVolumeOfNextJob(namespace: string, bytes: number, claim?: string, dir = labDir()): void {
  addJobFault(namespace, { kind: 'fill-volume', bytes, ...(claim ? { claim } : {}) }, dir);
}

/** The next Job of the namespace is killed `afterMs` after its container starts. */
export function killNextJobMidway(namespace: string, afterMs = 500, dir = labDir()): void {
  addJobFault(namespace, { kind: 'kill', afterMs }, dir);
}

/** Faults still waiting, per namespace. */
export function pendingJobFaults(dir = labDir()): Record<string, PendingFault[]> {
  const d = faultsDir(dir);
  if (!existsSync(d)) return {};
  const out: Record<string, PendingFault[]> = {};
  for (const f of readdirSync(d)) {
    if (!f.endsWith('.json')) continue;
    const q = readQueue(path.join(d, f));
    if (q.length > 0) out[f.slice(0, -5)] = q;
  }
  return out;
}

/** Forgets waiting faults (of one namespace, or all). Returns how many. */
export function clearJobFaults(namespace?: string, dir = labDir()): number {
  const all = pendingJobFaults(dir);
  let n = 0;
  for (const [ns, q] of Object.entries(all)) {
    if (namespace && ns !== namespace) continue;
    n += q.length;
    rmSync(faultFile(ns, dir), { force: true });
  }
  return n;
}

/** Executor side: takes the oldest fault of the namespace, if any. */
export function takeJobFault(namespace: string, dir = labDir()): JobFault | undefined {
  const file = faultFile(namespace, dir);
  const q = readQueue(file);
  const first = q.shift();
  if (!first) return undefined;
  writeQueue(file, q);
  return first.fault;
}

/** One line describing a fault (events, status). */
export function describeFault(f: JobFault): string {
  switch (f.kind) {
    case 'exit':
      return `the command is replaced by "exit ${f.exitCode}"`;
    case 'hang':
      return 'the command is replaced by one that never finishes';
    case 'fill-volume':
      return `${f.claim ? `volume ${f.claim} is` : 'the writable volumes are'} limited to ${f.bytes} bytes (writes past that fail with "No space left on device")`;
    case 'kill':
      return `the container is killed (SIGKILL) ${f.afterMs} ms after it starts`;
  }
}
