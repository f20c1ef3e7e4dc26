import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTestLabMaterial as requireTestMaterialAt, sharedDirAt } from './test-material';

/** Versions of the lab's binaries; keep in step with the defaults of build-binaries.sh. */
export const LAB_VERSIONS = {
  kubernetes: process.env.LAB_K8S_VERSION ?? 'v1.36.3',
  etcd: process.env.LAB_ETCD_VERSION ?? 'v3.6.16',
  kwok: process.env.LAB_KWOK_VERSION ?? 'v0.8.0',
  kustomize: process.env.LAB_KUSTOMIZE_VERSION ?? 'v5.8.2',
  gitea: process.env.LAB_GITEA_VERSION ?? 'v1.26.0',
} as const;

/** The repository root (one level above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** This folder: scripts and static files of the lab. */
export const LAB_SRC_DIR = path.join(REPO_ROOT, 'lab');

/** The control plane's scripts and static files (build script, kwok stages). */
export const LAB_CLUSTER_DIR = path.join(LAB_SRC_DIR, 'cluster');

/** Shared reference material, overridable with K8S_NAS_SHARED_DIR. */
export function sharedDir(): string {
  return sharedDirAt(REPO_ROOT);
}

/** Folder of the official API descriptions the simulators and the forge implement (`<shared>/specs`). */
export function specsDir(): string {
  return path.join(sharedDir(), 'specs');
}

/**
 * A file of the API descriptions (`<shared>/specs/<name>`, or an absolute path); throws one line
 * naming what is missing (the folder itself when there is none, as in a clone without `../shared`).
 */
export function specFile(name: string): string {
  const file = path.resolve(specsDir(), name);
  if (existsSync(file)) return file;
  const dir = specsDir();
  const missing = existsSync(dir) || path.isAbsolute(name) ? file : dir;
  throw new Error(`${missing} is missing: the simulators and the forge implement the official API descriptions in <shared>/specs (set K8S_NAS_SHARED_DIR to the folder holding specs/)`);
}

/**
 * Whether the simulators and the forge check requests and answers against the official API
 * descriptions in `<shared>/specs`: yes unless `LAB_SPEC_CHECKS=0`. The lab's command line sets
 * that, saying so in one line, when the folder is absent (a clone without `../shared`); the tests
 * never do, so they fail naming the folder ({@link requireTestLabMaterial}).
 */
export function specChecks(): boolean {
  return process.env.LAB_SPEC_CHECKS !== '0';
}

/**
 * Turns the spec checks off when `<shared>/specs` is absent and `LAB_SPEC_CHECKS` is unset, and
 * returns the one line that says so (undefined when nothing changed).
 */
export function specChecksOffWithoutSpecs(): string | undefined {
  if (process.env.LAB_SPEC_CHECKS !== undefined || existsSync(specsDir())) return undefined;
  process.env.LAB_SPEC_CHECKS = '0';
  return `lab: ${specsDir()} is absent, so the simulators and the forge run without checking requests and answers against the apps' official API descriptions (set K8S_NAS_SHARED_DIR to the folder holding specs/ to check them)`;
}

/** The lab's state directory: certs, logs, pids, data, lab.json. */
export function labDir(): string {
  return path.resolve(process.env.LAB_DIR ?? path.join(REPO_ROOT, '.lab'));
}

/**
 * The directory that backs the PersistentVolumeClaim `claim` of `namespace`:
 * `<labDir>/volumes/<namespace>/<claim>`. Every PersistentVolume the lab provides points here
 * (hostPath), the executor binds it into the pods that mount the claim, and the apps
 * (simulators, qBittorrent) keep their state in their configuration volume's one.
 */
export function volumeDir(namespace: string, claim: string, dir = labDir()): string {
  return path.join(dir, 'volumes', namespace, claim);
}

/** The binary cache of build-binaries.sh. */
export function cacheDir(): string {
  if (process.env.K8S_NAS_PANEL_CACHE) return path.resolve(process.env.K8S_NAS_PANEL_CACHE);
  const xdg = process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache');
  return path.join(xdg, 'k8s-nas-panel');
}

/** Names of the cached binaries. */
export type LabBinary = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok' | 'kustomize';

/** Absolute path of a cached binary, `<cache>/bin/<name>-<version>`. */
export function binaryPath(name: LabBinary): string {
  const version =
    name === 'etcd'
      ? LAB_VERSIONS.etcd
      : name === 'kwok'
        ? LAB_VERSIONS.kwok
        : name === 'kustomize'
          ? LAB_VERSIONS.kustomize
          : LAB_VERSIONS.kubernetes;
  return path.join(cacheDir(), 'bin', `${name}-${version}`);
}

/** The kwok stage YAMLs copied from the kwok module by build-binaries.sh. */
export function kwokStageDir(): string {
  return path.join(cacheDir(), `kwok-stages-${LAB_VERSIONS.kwok}`);
}

/** The cached Gitea binary, `<cache>/bin/gitea-<version>` (built by `build-binaries.sh gitea`). */
export function giteaBinaryPath(): string {
  return path.join(cacheDir(), 'bin', `gitea-${LAB_VERSIONS.gitea}`);
}

/** Gitea's templates, options (locales, label sets) and public folders: its STATIC_ROOT_PATH. */
export function giteaAssetsDir(): string {
  return path.join(cacheDir(), `gitea-assets-${LAB_VERSIONS.gitea}`);
}

/** Whether `lab up` starts Gitea: yes unless `LAB_GITEA=0` (`lab up --no-gitea`). */
export function giteaWanted(): boolean {
  return process.env.LAB_GITEA !== '0';
}

/** Whether Gitea and its assets are in the cache. */
export function giteaBuilt(): boolean {
  return existsSync(giteaBinaryPath()) && existsSync(path.join(giteaAssetsDir(), '.complete'));
}

/** Binaries that are not yet in the cache. */
export function missingBinaries(): LabBinary[] {
  const all: LabBinary[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kustomize'];
  const missing = all.filter((b) => !existsSync(binaryPath(b)));
  if (!existsSync(kwokStageDir())) return missing.includes('kwok') ? missing : [...missing, 'kwok'];
  return missing;
}

/** One project whose CRDs the lab serves, fetched from its Go module (a line of `lab/cluster/crd-modules.txt`). */
export interface CrdModule {
  name: string;
  module: string;
  version: string;
  /** Path of the CRDs in the module: a YAML file or a folder. */
  path: string;
  /** Only these files of the folder (the optional last column), or every YAML file when empty. */
  files: string[];
  /** Where build-binaries.sh copied them: `<cache>/crds/<name>-<version>`. */
  dir: string;
}

/** The CRD table, `lab/cluster/crd-modules.txt` (`name module version path [files]` per line). */
export function crdModules(): CrdModule[] {
  const text = readFileSync(path.join(LAB_CLUSTER_DIR, 'crd-modules.txt'), 'utf8');
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().split(/\s+/))
    .filter((f) => f.length === 4 || f.length === 5)
    .map(([name = '', module = '', version = '', p = '', files = '']) => ({
      name,
      module,
      version,
      path: p,
      files: files === '' ? [] : files.split(',').filter((f) => f !== ''),
      dir: path.join(cacheDir(), 'crds', `${name}-${version}`),
    }));
}

/** CRD modules not yet copied into the cache (its `.complete` names the files column it was copied with). */
export function missingCrdModules(): CrdModule[] {
  return crdModules().filter((m) => {
    const done = path.join(m.dir, '.complete');
    return !existsSync(done) || readFileSync(done, 'utf8') !== (m.files.length === 0 ? '-' : m.files.join(','));
  });
}

/** The GitOps repository written for this project: a home media stack deployed by Argo CD. */
export const EXAMPLE_GITOPS_REPO = path.join(REPO_ROOT, 'examples', 'media-stack');

/** Where the default GitOps repository comes from: the variable, the owner's fixture, or the example stack. */
export type GitopsRepoOrigin = 'LAB_GITOPS_REPO' | 'fixture' | 'example';

/**
 * The GitOps repository the lab seeds from, and why: `LAB_GITOPS_REPO` when set, else the owner's
 * fixture `<shared>/fixtures/k8s_nas` when that folder exists, else `examples/media-stack`.
 */
export function defaultGitopsRepoChoice(): { dir: string; origin: GitopsRepoOrigin } {
  const env = process.env.LAB_GITOPS_REPO;
  if (env !== undefined && env.trim() !== '') return { dir: path.resolve(env), origin: 'LAB_GITOPS_REPO' };
  const fixture = path.join(sharedDir(), 'fixtures', 'k8s_nas');
  if (existsSync(fixture)) return { dir: fixture, origin: 'fixture' };
  return { dir: EXAMPLE_GITOPS_REPO, origin: 'example' };
}

/** See lab/test-material.ts: the fixture and API descriptions the tests' lab needs, for this checkout. */
export function requireTestLabMaterial(): void {
  requireTestMaterialAt(REPO_ROOT);
}

/** Default GitOps repository to seed from (see {@link defaultGitopsRepoChoice}). */
export function defaultGitopsRepo(): string {
  return defaultGitopsRepoChoice().dir;
}

/** Files inside the lab directory. */
export function labFiles(dir: string = labDir()) {
  return {
    dir,
    certs: path.join(dir, 'certs'),
    logs: path.join(dir, 'logs'),
    pids: path.join(dir, 'pids'),
    data: path.join(dir, 'data'),
    kubeconfig: path.join(dir, 'admin.kubeconfig'),
    env: path.join(dir, 'lab.env'),
    labJson: path.join(dir, 'lab.json'),
    ports: path.join(dir, 'ports.json'),
    seedState: path.join(dir, 'seed-state.json'),
    kwokConfig: path.join(dir, 'kwok-stages.yaml'),
    volumes: path.join(dir, 'volumes'),
    executor: path.join(dir, 'executor'),
  };
}

/**
 * Manifests the lab applies beside the repository's: apps the repository does not deploy that the
 * lab runs with the others (`lab/cluster/extras`, or the directory in `LAB_EXTRA_MANIFESTS`; an
 * empty value turns them off).
 */
export function defaultExtrasDir(): string | undefined {
  const env = process.env.LAB_EXTRA_MANIFESTS;
  if (env !== undefined) return env.trim() === '' ? undefined : path.resolve(env);
  return path.join(LAB_CLUSTER_DIR, 'extras');
}
