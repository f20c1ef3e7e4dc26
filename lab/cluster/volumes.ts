import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { defaultGitopsRepo, labDir, volumeDir } from '../paths';
import { loadManifests, type ManifestObject } from '../lib/manifests';
import { arr, rec } from '../lib/values';

/**
 * The lab's volumes: every PersistentVolumeClaim is backed by the directory
 * `volumeDir(namespace, claim)` (lab/paths.ts). The directory is created when the claim binds,
 * survives `lab reset` (unless `--volumes`) and `lab down`, and goes with `lab down --purge`.
 *
 * A volume can have a size limit (a quota): its directory is then a tmpfs of that size mounted
 * over the directory (the files are copied in and, when the limit is lifted, back out), so writes
 * past the limit fail with ENOSPC, "No space left on device", as on a full disk. Mounting needs
 * root; without it a quota is refused with a message.
 */

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Where the apps the lab stands in for keep their configuration: `/config`, or `.../config` (Jellyseerr's `/app/config`). */
export const APP_CONFIG_MOUNT = /(^|\/)config\/?$/;

/** The volume a pod template mounts at the app's config path (containers first, then init containers). */
export function configMountOfPodTemplate(template: unknown): { volume: string; claim?: string; mountPath: string } | undefined {
  const spec = rec(rec(template).spec);
  const volumes = new Map(arr(spec.volumes).map(rec).map((v) => [String(v.name), v]));
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)].map(rec)) {
    for (const m of arr(c.volumeMounts).map(rec)) {
      if (typeof m.mountPath !== 'string' || typeof m.name !== 'string' || !APP_CONFIG_MOUNT.test(m.mountPath)) continue;
      const claim = rec(volumes.get(m.name)?.persistentVolumeClaim).claimName;
      return { volume: m.name, mountPath: m.mountPath, ...(typeof claim === 'string' ? { claim } : {}) };
    }
  }
  return undefined;
}

/** The claim a pod template mounts at the app's config path, if it is a PVC. */
export function configClaimOfPodTemplate(template: unknown): string | undefined {
  const spec = rec(rec(template).spec);
  const claims = new Map<string, string>();
  for (const v of arr(spec.volumes).map(rec)) {
    const claim = rec(v.persistentVolumeClaim).claimName;
    if (typeof v.name === 'string' && typeof claim === 'string') claims.set(v.name, claim);
  }
  for (const c of arr(spec.containers).map(rec)) {
    for (const m of arr(c.volumeMounts).map(rec)) {
      if (typeof m.mountPath !== 'string' || !APP_CONFIG_MOUNT.test(m.mountPath) || typeof m.name !== 'string') continue;
      const claim = claims.get(m.name);
      if (claim !== undefined) return claim;
    }
  }
  return undefined;
}

let cached: { dir: string; objects: ManifestObject[] } | undefined;

function gitopsObjects(): ManifestObject[] {
  const dir = defaultGitopsRepo();
  if (cached?.dir !== dir) cached = { dir, objects: loadManifests(dir) };
  return cached.objects;
}

/**
 * The configuration volume (claim name) of an app's workload, read from the workload's spec: the
 * claim it mounts at its config path, else `<workload>-config` (the name the user's PVCs use when
 * the workload mounts a hostPath there, as Sonarr and Radarr do). `objects` defaults to the GitOps
 * repository's manifests; the executor passes the workload as the cluster holds it.
 */
export function appConfigVolume(namespace: string, workload: string, objects: ManifestObject[] = gitopsObjects()): string {
  const w = objects.find((o) => WORKLOAD_KINDS.has(o.kind) && o.name === workload && (o.namespace ?? 'default') === namespace);
  const claim = w === undefined ? undefined : configClaimOfPodTemplate(rec(w.body.spec).template);
  return claim ?? `${workload}-config`;
}

/** The directory of an app's configuration volume. */
export function appConfigDir(namespace: string, workload: string, dir = labDir(), objects?: ManifestObject[]): string {
  return volumeDir(namespace, appConfigVolume(namespace, workload, objects), dir);
}

/** Creates a claim's directory (idempotent); returns its path. */
export function ensureVolumeDir(namespace: string, claim: string, dir = labDir()): string {
  const p = volumeDir(namespace, claim, dir);
  mkdirSync(p, { recursive: true });
  return p;
}

/** Bytes in the files below `p` (apparent sizes, symlinks not followed). */
export function directoryBytes(p: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(p);
  } catch {
    return 0;
  }
  for (const e of entries) {
    const f = path.join(p, e);
    let st;
    try {
      st = lstatSync(f);
    } catch {
      continue;
    }
    if (st.isDirectory()) total += directoryBytes(f);
    else if (st.isFile()) total += st.size;
  }
  return total;
}

/** One volume directory and its size. */
export interface VolumeInfo {
  namespace: string;
  claim: string;
  path: string;
  bytes: number;
  files: number;
  /** The size limit, when the volume has one. */
  quotaBytes?: number;
}

function countFiles(p: string): number {
  let n = 0;
  try {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.isDirectory()) n += countFiles(path.join(p, e.name));
      else n++;
    }
  } catch {
    /* gone meanwhile */
  }
  return n;
}

function volumesRoot(dir: string): string {
  return path.join(dir, 'volumes');
}

/** Every volume directory of the lab with its size (and limit). */
export function listVolumes(dir = labDir()): VolumeInfo[] {
  const root = volumesRoot(dir);
  if (!existsSync(root)) return [];
  const out: VolumeInfo[] = [];
  for (const ns of readdirSync(root).sort()) {
    if (ns.startsWith('.')) continue;
    const nsDir = path.join(root, ns);
    if (!statSync(nsDir).isDirectory()) continue;
    for (const claim of readdirSync(nsDir).sort()) {
      const p = path.join(nsDir, claim);
      if (!statSync(p).isDirectory()) continue;
      const quota = volumeQuotaBytes(ns, claim, dir);
      out.push({ namespace: ns, claim, path: p, bytes: directoryBytes(p), files: countFiles(p), ...(quota !== undefined ? { quotaBytes: quota } : {}) });
    }
  }
  return out;
}

/** Human-readable size: 0 B, 12.3 KiB, 4.0 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Mount points of tmpfs file systems below `root`, from /proc/self/mounts. */
function tmpfsMountsBelow(root: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'tmpfs' && f[1] !== undefined)
    .map((f) => unescape(f[1] as string))
    .filter((m) => m === root || m.startsWith(`${root}/`));
}

/** The size limit of a volume, or undefined when it has none. */
export function volumeQuotaBytes(namespace: string, claim: string, dir = labDir()): number | undefined {
  const p = volumeDir(namespace, claim, dir);
  if (!tmpfsMountsBelow(p).includes(p)) return undefined;
  const st = statfsSync(p);
  return st.blocks * st.bsize;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.toString().trim() || e.message}`);
  }
}

function stagingDir(namespace: string, claim: string, dir: string): string {
  return path.join(volumesRoot(dir), '.staging', `${namespace}--${claim}-${Date.now().toString(36)}`);
}

/**
 * Limits a volume to `bytes`: writes past the limit fail with ENOSPC. Replaces an existing limit.
 * Throws when the volume already holds more than `bytes`, or when mounting is not permitted
 * (not root). Change limits only while no pod uses the volume: a running sandbox keeps the
 * directory it was started with.
 */
export function setVolumeQuota(namespace: string, claim: string, bytes: number, dir = labDir()): void {
  if (!Number.isFinite(bytes) || bytes < 4096) throw new Error(`a volume quota must be at least 4096 bytes (got ${bytes})`);
  const p = ensureVolumeDir(namespace, claim, dir);
  const size = `size=${Math.floor(bytes)}`;
  if (volumeQuotaBytes(namespace, claim, dir) !== undefined) {
    run('mount', ['-o', `remount,${size}`, p]);
    return;
  }
  const used = directoryBytes(p);
  if (used > bytes) throw new Error(`volume ${namespace}/${claim} already holds ${formatBytes(used)}, more than the quota ${formatBytes(bytes)}`);
  const staging = stagingDir(namespace, claim, dir);
  mkdirSync(path.dirname(staging), { recursive: true });
  renameSync(p, staging);
  mkdirSync(p);
  try {
    run('mount', ['-t', 'tmpfs', '-o', `${size},mode=0755`, `lab-volume-${namespace}-${claim}`, p]);
  } catch (err) {
    rmSync(p, { recursive: true, force: true });
    renameSync(staging, p);
    throw new Error(`cannot limit volume ${namespace}/${claim} (a size limit mounts a tmpfs, which needs root): ${(err as Error).message}`);
  }
  try {
    cpSync(staging, p, { recursive: true, preserveTimestamps: true });
  } catch (err) {
    run('umount', [p]);
    rmSync(p, { recursive: true, force: true });
    renameSync(staging, p);
    throw new Error(`volume ${namespace}/${claim} does not fit in ${formatBytes(bytes)}: ${(err as Error).message}`);
  }
  rmSync(staging, { recursive: true, force: true });
}

/** Lifts a volume's size limit, keeping its files. No-op when it has none. */
export function clearVolumeQuota(namespace: string, claim: string, dir = labDir()): void {
  const p = volumeDir(namespace, claim, dir);
  if (volumeQuotaBytes(namespace, claim, dir) === undefined) return;
  const staging = stagingDir(namespace, claim, dir);
  mkdirSync(staging, { recursive: true });
  cpSync(p, staging, { recursive: true, preserveTimestamps: true });
  try {
    run('umount', [p]);
  } catch {
    // Still in use (a process has its working directory there): detach it; the files are copied.
    run('umount', ['-l', p]);
  }
  rmSync(p, { recursive: true, force: true });
  renameSync(staging, p);
}

/** Lifts every volume limit of the lab (`lab down`), keeping the files. Returns how many. */
export function releaseVolumeQuotas(dir = labDir()): number {
  const root = volumesRoot(dir);
  let n = 0;
  for (const m of tmpfsMountsBelow(root)) {
    const rel = path.relative(root, m).split(path.sep);
    if (rel.length !== 2) continue;
    clearVolumeQuota(rel[0] as string, rel[1] as string, dir);
    n++;
  }
  return n;
}

/** Empties every volume directory (the directories stay). Returns the volumes emptied. */
export function wipeVolumes(dir = labDir()): VolumeInfo[] {
  const vols = listVolumes(dir);
  for (const v of vols) {
    for (const e of readdirSync(v.path)) rmSync(path.join(v.path, e), { recursive: true, force: true });
  }
  return vols;
}

/** Removes the volume directories altogether (`lab down --purge`). */
export function purgeVolumes(dir = labDir()): void {
  releaseVolumeQuotas(dir);
  rmSync(volumesRoot(dir), { recursive: true, force: true });
}

/** How {@link corruptVolumeFile} damages a file. */
export type Corruption = 'flip' | 'truncate';

/**
 * Damages a file in a volume the way a bad disk or an interrupted copy does: `flip` inverts bytes
 * in the middle of the file (size unchanged, checksum differs), `truncate` cuts it to half its
 * size. Returns the file's path.
 */
export function corruptVolumeFile(namespace: string, claim: string, file: string, how: Corruption = 'flip', dir = labDir()): string {
  const base = volumeDir(namespace, claim, dir);
  const p = path.resolve(base, file);
  if (!p.startsWith(`${base}/`)) throw new Error(`${file} is not inside volume ${namespace}/${claim}`);
  if (!existsSync(p) || !statSync(p).isFile()) throw new Error(`no file ${file} in volume ${namespace}/${claim} (${base})`);
  const size = statSync(p).size;
  if (size === 0) throw new Error(`${file} in volume ${namespace}/${claim} is empty; nothing to corrupt`);
  if (how === 'truncate') {
    truncateSync(p, Math.floor(size / 2));
    return p;
  }
  const fd = openSync(p, 'r+');
  try {
    const len = Math.min(64, size);
    const at = Math.max(0, Math.floor(size / 2) - Math.floor(len / 2));
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, at);
    for (let i = 0; i < len; i++) buf[i] = (buf[i] as number) ^ 0xff;
    writeSync(fd, buf, 0, len, at);
  } finally {
    closeSync(fd);
  }
  return p;
}
