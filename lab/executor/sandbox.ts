import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Mount } from './pod-plan';
import { hasProgram } from '../lib/process';

/**
 * The sandbox a container's command runs in: the host's Debian userland (`/usr`) read-only as
 * the image's root, a writable tmpfs root with a private /tmp, /proc of a new PID namespace, a
 * minimal /dev, no network (a new, empty network namespace), its own hostname, IPC and cgroup
 * namespaces, no capabilities, and the pod's volumes bound at their mountPaths. It dies with the
 * executor. bubblewrap (`bwrap`) builds it; without bwrap, `unshare` from util-linux with a small
 * mount script builds the same thing.
 */

/** A file placed into the sandbox's /etc (hosts, hostname, resolv.conf, passwd, group). */
export interface EtcFile {
  /** Name below /etc. */
  name: string;
  /** Host file with the content. */
  source: string;
}

/** Everything needed to start one container attempt. */
export interface SandboxSpec {
  argv: string[];
  env: Record<string, string>;
  /** Working directory inside the sandbox. */
  cwd: string;
  hostname: string;
  mounts: Mount[];
  etcFiles: EtcFile[];
  /** Host directory to show as /sbin (alpine images: holds `apk`), instead of the /usr/sbin link. */
  sbinDir?: string;
  /** Directory the unshare sandbox may use as its root mount point. */
  scratchDir: string;
  /**
   * Lab programs only (lab/executor/programs.ts): keep the host's network namespace, so the program
   * reaches the lab's apps on 127.0.0.1 and Prometheus reaches it, as a pod reaches Services.
   */
  hostNetwork?: boolean;
  /** Lab programs only: host directories shown read-only at the same path (the program's files). */
  hostPaths?: string[];
}

/** Which tool builds the sandbox. */
export type SandboxKind = 'bwrap' | 'unshare';

/**
 * /etc entries of the host the sandbox shows (read-only). Everything else in the host's /etc
 * stays out: credentials (shadow, ssh keys, sudoers, private TLS keys) and the files the
 * sandbox writes itself.
 */
const ETC_HIDDEN = new Set([
  'shadow', 'shadow-', 'gshadow', 'gshadow-', 'passwd', 'passwd-', 'group', 'group-', 'subuid', 'subuid-', 'subgid', 'subgid-',
  'hosts', 'hostname', 'resolv.conf', 'mtab', 'machine-id', 'ssh', 'ssl', 'sudoers', 'sudoers.d', 'security', 'docker',
  'kubernetes', 'credstore', 'credstore.encrypted', '.pwd.lock', 'apparmor.d',
]);

/** Host /etc entries shown in the sandbox (plus /etc/ssl/certs). */
export function hostEtcEntries(etc = '/etc'): string[] {
  let names: string[];
  try {
    names = readdirSync(etc);
  } catch {
    return [];
  }
  const out = names.filter((n) => !ETC_HIDDEN.has(n)).map((n) => path.join(etc, n));
  if (existsSync(path.join(etc, 'ssl', 'certs'))) out.push(path.join(etc, 'ssl', 'certs'));
  if (existsSync(path.join(etc, 'ssl', 'openssl.cnf'))) out.push(path.join(etc, 'ssl', 'openssl.cnf'));
  return out;
}

function usrLinks(): { link: string; target: string }[] {
  const out = [
    { link: '/bin', target: 'usr/bin' },
    { link: '/lib', target: 'usr/lib' },
  ];
  for (const l of ['lib64', 'lib32', 'libx32']) if (existsSync(`/usr/${l}`)) out.push({ link: `/${l}`, target: `usr/${l}` });
  return out;
}

const WRITABLE_DIRS = ['/root', '/home', '/var', '/var/tmp', '/var/cache', '/var/lib', '/var/log', '/run', '/mnt', '/srv', '/opt', '/media'];

/** The bwrap command line for a container. */
export function bwrapArgs(spec: SandboxSpec, etcEntries: string[] = hostEtcEntries()): string[] {
  const a: string[] = ['--die-with-parent', '--unshare-all', ...(spec.hostNetwork ? ['--share-net'] : []), '--hostname', spec.hostname, '--cap-drop', 'ALL'];
  a.push('--ro-bind', '/usr', '/usr');
  for (const l of usrLinks()) a.push('--symlink', l.target, l.link);
  if (spec.sbinDir) a.push('--ro-bind', spec.sbinDir, '/sbin');
  else a.push('--symlink', 'usr/sbin', '/sbin');
  a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const d of WRITABLE_DIRS) a.push('--dir', d);
  a.push('--dir', '/etc');
  for (const e of etcEntries) if (existsSync(e)) a.push('--ro-bind', e, e);
  for (const f of spec.etcFiles) a.push('--ro-bind', f.source, `/etc/${f.name}`);
  for (const h of spec.hostPaths ?? []) a.push('--ro-bind', h, h);
  for (const m of spec.mounts) a.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
  if (spec.cwd !== '/' && !spec.mounts.some((m) => m.target === spec.cwd)) a.push('--dir', spec.cwd);
  a.push('--chdir', spec.cwd, '--', ...spec.argv);
  return a;
}

/** Single-quotes a string for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `unshare` fallback: a mount script run as PID 1 of new mount, PID, network, IPC and UTS
 * namespaces (and a user namespace when not root). It builds the same tree as {@link bwrapArgs}
 * on a tmpfs, then chroots into it and drops every capability (setpriv) before starting the
 * command.
 */
export function unshareCommand(spec: SandboxSpec, root: boolean, etcEntries: string[] = hostEtcEntries()): { command: string; args: string[] } {
  const R = spec.scratchDir;
  const q = shQuote;
  // Absolute paths: the script runs with the container's PATH, which it must not change.
  const lines: string[] = ['set -eu', `R=${q(R)}`, '/usr/bin/mkdir -p "$R"', '/usr/bin/mount -t tmpfs -o mode=0755 lab-sandbox "$R"'];
  const bindDir = (src: string, dst: string, ro: boolean) => {
    lines.push(`/usr/bin/mkdir -p "$R"${q(dst)}`, `/usr/bin/mount --rbind ${q(src)} "$R"${q(dst)}`);
    if (ro) lines.push(`/usr/bin/mount -o remount,bind,ro "$R"${q(dst)}`);
  };
  const bindFile = (src: string, dst: string, ro: boolean) => {
    lines.push(`/usr/bin/mkdir -p "$(/usr/bin/dirname "$R"${q(dst)})"`, `/usr/bin/touch "$R"${q(dst)}`, `/usr/bin/mount --bind ${q(src)} "$R"${q(dst)}`);
    if (ro) lines.push(`/usr/bin/mount -o remount,bind,ro "$R"${q(dst)}`);
  };
  const bind = (src: string, dst: string, ro: boolean) => {
    let isDir = true;
    try {
      isDir = statSync(src).isDirectory();
    } catch {
      /* missing: a directory, as bwrap would fail on it too */
    }
    if (isDir) bindDir(src, dst, ro);
    else bindFile(src, dst, ro);
  };
  bindDir('/usr', '/usr', true);
  for (const l of usrLinks()) lines.push(`/usr/bin/ln -s ${q(l.target)} "$R"${q(l.link)}`);
  if (spec.sbinDir) bindDir(spec.sbinDir, '/sbin', true);
  else lines.push(`/usr/bin/ln -s usr/sbin "$R/sbin"`);
  lines.push('/usr/bin/mkdir -p "$R/proc" && /usr/bin/mount -t proc proc "$R/proc"');
  lines.push('/usr/bin/mkdir -p "$R/dev" && /usr/bin/mount -t tmpfs -o mode=0755 dev "$R/dev"');
  for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) lines.push(`/usr/bin/touch "$R/dev/${d}" && /usr/bin/mount --bind /dev/${d} "$R/dev/${d}"`);
  lines.push('/usr/bin/ln -s /proc/self/fd "$R/dev/fd"', '/usr/bin/ln -s /proc/self/fd/0 "$R/dev/stdin"', '/usr/bin/ln -s /proc/self/fd/1 "$R/dev/stdout"', '/usr/bin/ln -s /proc/self/fd/2 "$R/dev/stderr"');
  lines.push('/usr/bin/mkdir -p "$R/dev/shm" && /usr/bin/mount -t tmpfs shm "$R/dev/shm"');
  lines.push('/usr/bin/mkdir -p "$R/tmp" && /usr/bin/mount -t tmpfs tmp "$R/tmp"');
  for (const d of WRITABLE_DIRS) lines.push(`/usr/bin/mkdir -p "$R"${q(d)}`);
  lines.push('/usr/bin/mkdir -p "$R/etc"');
  for (const e of etcEntries) if (existsSync(e)) bind(e, e, true);
  for (const f of spec.etcFiles) bindFile(f.source, `/etc/${f.name}`, true);
  for (const h of spec.hostPaths ?? []) bindDir(h, h, true);
  for (const m of spec.mounts) bind(m.source, m.target, m.readOnly);
  lines.push(`/usr/bin/mkdir -p "$R"${q(spec.cwd)}`);
  lines.push(`/usr/bin/hostname ${q(spec.hostname)}`);
  lines.push(
    `exec /usr/sbin/chroot "$R" /usr/bin/setpriv --no-new-privs --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- /usr/bin/env -C ${q(spec.cwd)} -- ${spec.argv.map(q).join(' ')}`,
  );
  const ns = ['--mount', ...(spec.hostNetwork ? [] : ['--net']), '--pid', '--ipc', '--uts', '--fork', '--kill-child', '--propagation', 'private'];
  if (!root) ns.unshift('--user', '--map-root-user');
  return { command: 'unshare', args: [...ns, '--', '/bin/sh', '-c', lines.join('\n')] };
}

/**
 * The sandbox this machine supports: bwrap when it is installed and works, else unshare. Throws
 * when neither works (nothing ever runs outside a sandbox). `LAB_EXECUTOR_SANDBOX` forces one.
 */
export function detectSandbox(env: Record<string, string | undefined> = process.env): SandboxKind {
  const forced = env.LAB_EXECUTOR_SANDBOX;
  const tryBwrap = () =>
    hasProgram('bwrap') && spawnSync('bwrap', ['--die-with-parent', '--unshare-all', '--cap-drop', 'ALL', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', ...(existsSync('/usr/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []), '--proc', '/proc', '--dev', '/dev', '/usr/bin/true'], { timeout: 10_000 }).status === 0;
  const root = process.getuid?.() === 0;
  const tryUnshare = () =>
    hasProgram('unshare') && spawnSync('unshare', [...(root ? [] : ['--user', '--map-root-user']), '--mount', '--net', '--pid', '--fork', '--propagation', 'private', '/usr/bin/true'], { timeout: 10_000 }).status === 0;
  if (forced === 'bwrap' || forced === 'unshare') {
    if ((forced === 'bwrap' ? tryBwrap : tryUnshare)()) return forced;
    throw new Error(`LAB_EXECUTOR_SANDBOX=${forced}, but ${forced} cannot create a sandbox on this machine`);
  }
  if (tryBwrap()) return 'bwrap';
  if (tryUnshare()) return 'unshare';
  throw new Error('neither bwrap (Debian package bubblewrap) nor unshare can create a sandbox here; install bubblewrap (lab/apps/install.sh)');
}

/** Starts a container attempt in the sandbox; stdout and stderr are pipes. */
export function startSandboxed(kind: SandboxKind, spec: SandboxSpec): ChildProcess {
  const { command, args } = kind === 'bwrap' ? { command: 'bwrap', args: bwrapArgs(spec) } : unshareCommand(spec, process.getuid?.() === 0);
  return spawn(command, args, { env: spec.env as unknown as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** Parent pid of every process, from /proc. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  return children;
}

/** Every descendant of `pid` (not `pid` itself), parents before children. */
export function descendants(pid: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * Sends SIGTERM to the container's processes, the way a runtime stops a container: everything
 * below the sandbox launcher, except bwrap's own init process. (Like in any container, a command
 * that is PID 1 of its namespace, as with unshare, ignores SIGTERM unless it handles it.)
 */
export function terminateContainer(kind: SandboxKind, sandboxPid: number): number {
  const all = descendants(sandboxPid);
  const targets = kind === 'bwrap' ? all.slice(1) : all;
  for (const p of targets) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  return targets.length;
}

/** Kills the sandbox and everything in it (its PID namespace ends with it). */
export function killSandbox(sandboxPid: number): void {
  const all = descendants(sandboxPid);
  for (const p of [sandboxPid, ...all]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  try {
    process.kill(-sandboxPid, 'SIGKILL');
  } catch {
    /* no group */
  }
}

/** Whether any process of the sandbox is still alive. */
export function sandboxAlive(sandboxPid: number): boolean {
  try {
    process.kill(sandboxPid, 0);
    return true;
  } catch {
    return descendants(sandboxPid).length > 0;
  }
}
