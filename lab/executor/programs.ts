import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXPORTS_LABEL, EXPORTS_NAMESPACE_LABEL } from '../../lib/gitops/plans/exporters';
import { cacheDir, labDir, REPO_ROOT } from '../paths';

/**
 * Lab programs: images whose containers the executor runs as a real program of the lab instead of
 * the image's own binary, which cannot be fetched here. The program is started in the sandbox with
 * the container's environment (its Secret references resolved by the executor), the in-cluster
 * addresses in it rewritten to where the lab serves those Services, the host's network (so it
 * reaches the lab's apps on 127.0.0.1 and the lab's Prometheus reaches it), and a port of its own;
 * `<labDir>/executor/programs.json` records which pod and container port it serves, so the lab's
 * Prometheus resolves the user's scrape targets (`exportarr-sonarr.media.svc:9707`) to it.
 *
 * - `prometheus-qbittorrent-exporter` (ghcr.io/esanchezm/prometheus-qbittorrent-exporter): the
 *   exporter published on PyPI, installed by lab/apps/install.sh into a virtualenv in the lab
 *   cache, pinned (see {@link QBITTORRENT_EXPORTER}); it reads the real qBittorrent.
 * - exportarr (ghcr.io/onedr0p/exportarr): a stand-in (lab/apps/exportarr.ts) serving exportarr's
 *   documented metric names from what the simulators answer on their APIs.
 */

/**
 * The qBittorrent exporter from PyPI; it and its dependencies are pinned in
 * lab/apps/qbittorrent-exporter.requirements.txt (installed by lab/apps/install.sh).
 */
export const QBITTORRENT_EXPORTER = {
  version: '1.7.0',
  requirementsFile: path.join(REPO_ROOT, 'lab', 'apps', 'qbittorrent-exporter.requirements.txt'),
} as const;

/** The virtualenv of the qBittorrent exporter. */
export function qbittorrentExporterVenv(): string {
  return path.join(cacheDir(), 'venvs', `qbittorrent-exporter-${QBITTORRENT_EXPORTER.version}`);
}

/** What the executor needs to start a program for a container. */
export interface ProgramPlan {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  hostPaths: string[];
}

/** Rewrites in-cluster addresses for the program (see lab/apps/addresses.ts). */
export interface AddressResolver {
  /** `http://svc.ns.svc.cluster.local:port/base` -> `http://127.0.0.1:P/base`; unchanged when unknown. */
  url(value: string, namespace: string): string;
  /** `host` + `port` of a Service -> `127.0.0.1` and the lab's port; undefined when unknown. */
  hostPort(host: string, port: number, namespace: string): { host: string; port: number } | undefined;
}

export interface LabProgram {
  id: 'exportarr' | 'qbittorrent-exporter';
  /** Image repositories (without registry for Docker Hub, with it otherwise) the program stands in for. */
  images: readonly string[];
  /** The port the container listens on when neither its ports nor its environment say. */
  defaultPort: number;
  /** The container's listening port, from its environment. */
  portFromEnv(env: Record<string, string>): number | undefined;
  plan(input: { args: string[]; env: Record<string, string>; hostPort: number; namespace: string; resolve: AddressResolver }): ProgramPlan;
}

const exportarr: LabProgram = {
  id: 'exportarr',
  images: ['ghcr.io/onedr0p/exportarr', 'onedr0p/exportarr'],
  defaultPort: 8081,
  portFromEnv: (env) => (env.PORT ? Number(env.PORT) : undefined),
  plan: ({ args, env, hostPort, namespace, resolve }) => ({
    argv: [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'lab', 'apps', 'exportarr.ts'), ...args],
    env: {
      ...env,
      ...(env.URL ? { URL: resolve.url(env.URL, namespace) } : {}),
      PORT: String(hostPort),
      INTERFACE: '127.0.0.1',
      PATH: '/usr/bin:/bin',
    },
    cwd: REPO_ROOT,
    hostPaths: [REPO_ROOT],
  }),
};

const qbittorrentExporter: LabProgram = {
  id: 'qbittorrent-exporter',
  images: ['ghcr.io/esanchezm/prometheus-qbittorrent-exporter', 'esanchezm/prometheus-qbittorrent-exporter'],
  defaultPort: 8000,
  portFromEnv: (env) => (env.EXPORTER_PORT ? Number(env.EXPORTER_PORT) : undefined),
  plan: ({ env, hostPort, namespace, resolve }) => {
    const venv = qbittorrentExporterVenv();
    const target = env.QBITTORRENT_HOST ? resolve.hostPort(env.QBITTORRENT_HOST, Number(env.QBITTORRENT_PORT ?? 80), namespace) : undefined;
    return {
      argv: [path.join(venv, 'bin', 'qbittorrent-exporter')],
      env: {
        ...env,
        ...(target ? { QBITTORRENT_HOST: target.host, QBITTORRENT_PORT: String(target.port) } : {}),
        EXPORTER_PORT: String(hostPort),
        EXPORTER_ADDRESS: '127.0.0.1',
        PATH: `${path.join(venv, 'bin')}:/usr/bin:/bin`,
      },
      cwd: '/',
      hostPaths: [venv],
    };
  },
};

/** Every lab program. */
export const LAB_PROGRAMS: readonly LabProgram[] = [exportarr, qbittorrentExporter];

/** Image repositories of the lab programs (the executor's allowlist takes them). */
export const PROGRAM_IMAGES: readonly string[] = LAB_PROGRAMS.flatMap((p) => p.images);

function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const repo = (colon > lastSlash ? noDigest.slice(0, colon) : noDigest).toLowerCase();
  return repo.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
}

/** The program standing in for an image, if any. */
export function programFor(image: string): LabProgram | undefined {
  const repo = repositoryOf(image);
  return LAB_PROGRAMS.find((p) => p.images.includes(repo));
}

/** A program running for a pod's container. */
export interface ProgramEntry {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  program: LabProgram['id'];
  /** The port the container declares (what Services target). */
  containerPort: number;
  /** Where the program listens on the host. */
  hostPort: number;
  labels: Record<string, string>;
}

function programsFile(dir: string): string {
  return path.join(dir, 'executor', 'programs.json');
}

/** The programs running now. */
export function readPrograms(dir = labDir()): ProgramEntry[] {
  try {
    const v = JSON.parse(readFileSync(programsFile(dir), 'utf8')) as unknown;
    return Array.isArray(v) ? (v as ProgramEntry[]) : [];
  } catch {
    return [];
  }
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * The lab's Prometheus reads `<labDir>/prometheus/targets/*.json` (file_sd): the running programs
 * become scrape targets there with the job and `service` label the scrape configuration the panel
 * proposes gives them (`<workload>-exporter`, `namespace/workload` of the app exported), as the
 * static targets `<job>.<namespace>.svc.cluster.local:<port>` of that configuration resolve in a cluster.
 */
export function programTargets(entries: readonly ProgramEntry[]): Array<{ targets: string[]; labels: Record<string, string> }> {
  return entries.map((e) => {
    const app = e.labels[EXPORTS_LABEL];
    const appNamespace = e.labels[EXPORTS_NAMESPACE_LABEL] ?? e.namespace;
    return {
      targets: [`127.0.0.1:${e.hostPort}`],
      labels: {
        job: e.labels['app.kubernetes.io/name'] ?? e.labels.app ?? e.pod,
        ...(app ? { service: `${appNamespace}/${app}` } : {}),
        namespace: e.namespace,
        pod: e.pod,
      },
    };
  });
}

function writePrograms(entries: ProgramEntry[], dir: string): void {
  writeAtomically(programsFile(dir), JSON.stringify(entries, null, 2) + '\n');
  writeAtomically(path.join(dir, 'prometheus', 'targets', 'lab-programs.json'), JSON.stringify(programTargets(entries), null, 2) + '\n');
}

/** Records a running program (replacing an earlier entry of the same pod and container). */
export function recordProgram(entry: ProgramEntry, dir = labDir()): void {
  writePrograms([...readPrograms(dir).filter((e) => !(e.uid === entry.uid && e.container === entry.container)), entry], dir);
}

/** Forgets the programs of a pod (it was deleted). */
export function forgetPrograms(uid: string, dir = labDir()): void {
  const all = readPrograms(dir);
  const rest = all.filter((e) => e.uid !== uid);
  if (rest.length !== all.length) writePrograms(rest, dir);
}

/** Forgets every program (the executor started afresh). */
export function clearPrograms(dir = labDir()): void {
  if (existsSync(programsFile(dir))) writePrograms([], dir);
}
