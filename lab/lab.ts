import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureLabRepo } from './apps/git-repo';
import { ARGOCD_PROCESS, argocdRunning, ensureArgocd } from './argocd/index';
import { writeRegistry } from './argocd/repos';
import { CLUSTER_PROCESSES, clusterResumable, clusterStatus, labNodeNames, resumeCluster, startCluster, type ClusterStatus } from './cluster/cluster';
import { LabKubeClient } from './cluster/kube-http';
import { argoSources, loadManifests } from './lib/manifests';
import { LAB_CLUSTER_DIR, LAB_SRC_DIR, defaultGitopsRepo, giteaWanted, labDir, labFiles, missingBinaries, missingCrdModules } from './paths';
import { listProcesses, rssKiB, stopAll } from './lib/process';
import { applyCrds, defaultCrdDirs, seedLab, type SeedState } from './cluster/seed';
import { formatBytes, listVolumes, purgeVolumes, releaseVolumeQuotas } from './cluster/volumes';
import { EXECUTOR_PROCESS, executorImages, executorRunning, executorStatus, installExecutorPolicy, setExecutorApps, setExecutorImages, startExecutor } from './executor/index';
import { pendingJobFaults } from './executor/faults';
import type { LabPorts } from './cluster/cluster';

/**
 * Contents of `<labDir>/lab.json`, the contract between the lab, the app simulators and the tests.
 * addressMap/apps are filled by lab/apps (startApps).
 */
export interface LabJson {
  labDir: string;
  kubeconfig: string;
  apiServer: string;
  caFile: string;
  gitopsRepo: string;
  namespaces: string[];
  secrets: Record<string, Record<string, string>>;
  addressMap: Record<string, string>;
  apps: Record<string, unknown>;
}

/** Context handed to startApps of lab/apps/index.ts. */
export interface StartAppsContext {
  labDir: string;
  kubeconfig: string;
  secrets: Record<string, Record<string, string>>;
  log: (msg: string) => void;
}

/** What startApps returns; merged into lab.json. */
export interface StartAppsResult {
  addressMap: Record<string, string>;
  apps: Record<string, unknown>;
}

interface UpState {
  clusterOnly: boolean;
  gitopsRepo: string;
  startedAt: string;
}

/** Reads lab.json; undefined when the lab has not been brought up. */
export function readLabJson(dir: string = labDir()): LabJson | undefined {
  const f = labFiles(dir).labJson;
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as LabJson;
}

/** Reads the state seeding left (baseline statuses and replicas for resets). */
export function readSeedState(dir: string = labDir()): SeedState | undefined {
  const f = labFiles(dir).seedState;
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as SeedState;
}

function writeLabJson(dir: string, data: LabJson): void {
  writeFileSync(labFiles(dir).labJson, JSON.stringify(data, null, 2) + '\n');
}

function writeEnv(dir: string, data: LabJson): void {
  const lines = [`KUBECONFIG=${data.kubeconfig}`, `LAB_DIR=${data.labDir}`, `LAB_API_SERVER=${data.apiServer}`, `LAB_CA_FILE=${data.caFile}`];
  writeFileSync(labFiles(dir).env, lines.join('\n') + '\n');
}

function isStartApps(v: unknown): v is (ctx: StartAppsContext) => Promise<StartAppsResult> {
  return typeof v === 'function';
}

/** Starts the app simulators (lab/apps) when that module exists; merges the result into lab.json. */
export async function startAppsIfAvailable(dir: string, data: LabJson, log: (msg: string) => void): Promise<LabJson> {
  const file = path.join(LAB_SRC_DIR, 'apps', 'index.ts');
  if (!existsSync(file)) {
    log('apps: not available');
    return data;
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  if (!isStartApps(mod.startApps)) {
    log('apps: not available (lab/apps/index.ts has no startApps export)');
    return data;
  }
  const t0 = Date.now();
  const res = await mod.startApps({ labDir: dir, kubeconfig: data.kubeconfig, secrets: data.secrets, log });
  log(`apps: started in ${((Date.now() - t0) / 1000).toFixed(1)}s (${Object.keys(res.apps ?? {}).length} apps)`);
  const merged = { ...data, addressMap: { ...data.addressMap, ...(res.addressMap ?? {}) }, apps: { ...data.apps, ...(res.apps ?? {}) } };
  await handAppWorkloadsToExecutor(dir, merged, log);
  return publishAppCredentials(dir, merged, log);
}

/**
 * From now on, new pods of the workloads the apps serve go to the executor: it runs their init
 * containers and restarts the app (lab/apps/restart.ts).
 */
async function handAppWorkloadsToExecutor(dir: string, data: LabJson, log: (msg: string) => void): Promise<void> {
  const { labAppWorkloads } = await import('./apps/restart');
  const workloads = labAppWorkloads(dir).map((w) => `${w.namespace}/${w.workload}`);
  const client = LabKubeClient.fromCertDir(data.apiServer, labFiles(dir).certs);
  try {
    await setExecutorApps(client, workloads, log);
  } finally {
    client.close();
  }
}

/** Starts the executor with this lab's ports (after the control plane is up). */
async function ensureExecutor(dir: string, apiServer: string, nodes: string[], log: (msg: string) => void): Promise<void> {
  const ports = JSON.parse(readFileSync(labFiles(dir).ports, 'utf8')) as LabPorts;
  await startExecutor({ labDir: dir, apiServer, kubeletPort: ports.kubelet, nodes }, log);
}

/** The Secret the panel reads app credentials from by default (its `apps.secretRefs.default`). */
const APPS_SECRET = { namespace: 'media', name: 'starr-secrets' };

/**
 * Puts the credentials the lab's apps were started with (qBittorrent's Web UI login, keys generated
 * for apps whose key the GitOps repo does not hold) into the apps' Secret, so the panel reads every
 * credential from the cluster as it does in production. Keys already in the Secret are left alone.
 */
export async function publishAppCredentials(dir: string, data: LabJson, log: (msg: string) => void): Promise<LabJson> {
  const key = `${APPS_SECRET.namespace}/${APPS_SECRET.name}`;
  const existing = data.secrets[key] ?? {};
  const extra: Record<string, string> = {};
  for (const app of Object.values(data.apps)) {
    const a = app as { apiKey?: unknown; apiKeySecretKey?: unknown; username?: unknown; password?: unknown; url?: unknown };
    if (typeof a.apiKey === 'string' && typeof a.apiKeySecretKey === 'string' && !(a.apiKeySecretKey in existing)) {
      extra[a.apiKeySecretKey] = a.apiKey;
    }
  }
  const qb = data.apps.qbittorrent as { username?: unknown; password?: unknown } | undefined;
  if (typeof qb?.username === 'string' && typeof qb.password === 'string') {
    extra.QBITTORRENT_USERNAME = qb.username;
    extra.QBITTORRENT_PASSWORD = qb.password;
  }
  if (Object.keys(extra).length === 0) return data;
  const client = LabKubeClient.fromCertDir(data.apiServer, labFiles(dir).certs);
  try {
    await client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${APPS_SECRET.namespace}/secrets/${APPS_SECRET.name}`,
      contentType: 'application/merge-patch+json',
      body: { stringData: extra },
    });
  } catch (error) {
    log(`apps: could not add the apps' credentials to Secret ${key}: ${(error as Error).message.split('\n')[0]}`);
    return data;
  } finally {
    client.close();
  }
  log(`apps: Secret ${key} now also holds ${Object.keys(extra).sort().join(', ')}`);
  return { ...data, secrets: { ...data.secrets, [key]: { ...existing, ...extra } } };
}

/** Runs build-binaries.sh when a cached binary is missing (first run on a machine). */
export function ensureBinariesBuilt(log: (msg: string) => void): void {
  const missing = [...missingBinaries(), ...missingCrdModules().map((m) => `${m.name} ${m.version} CRDs`)];
  if (missing.length === 0) return;
  log(`lab: binaries missing (${missing.join(', ')}); building them once with lab/cluster/build-binaries.sh`);
  const r = spawnSync('bash', [path.join(LAB_CLUSTER_DIR, 'build-binaries.sh'), 'cluster'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the lab binaries failed (see the messages above)');
}

/** Options of labUp. */
export interface LabUpOptions {
  clusterOnly?: boolean;
  repo?: string;
  log?: (msg: string) => void;
}

function readUpState(dir: string): UpState | undefined {
  const file = path.join(dir, 'up.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as UpState) : undefined;
}

/**
 * Imports the GitOps repository into the lab's bare repository (once; later runs keep its history)
 * and records which repoURLs it answers for, so the lab's Argo CD follows it.
 */
async function prepareGitops(dir: string, repo: string, log: (msg: string) => void): Promise<void> {
  const bare = await ensureLabRepo({ labDir: dir, gitopsDir: repo, log });
  const urls = [...new Set(argoSources(loadManifests(repo)).map((s) => s.repoURL))];
  writeRegistry(dir, { repositories: [{ name: 'gitops', bareDir: bare.bareDir, importedBareDir: bare.bareDir, urls }] });
}

/** Pidfiles of processes that are neither the control plane, the executor nor the lab's Argo CD (the apps). */
function deadAppProcesses(dir: string): string[] {
  const own = new Set<string>([...CLUSTER_PROCESSES, ARGOCD_PROCESS, EXECUTOR_PROCESS]);
  return listProcesses(dir)
    .filter((p) => !own.has(p.name) && !p.alive)
    .map((p) => p.name);
}

/**
 * `lab up` on a lab that was started before and not taken down: starts only what is not running
 * (control-plane processes in order, keeping etcd's data, certificates and service-account keys;
 * the lab's Argo CD; the apps), and never seeds again. Undefined when the lab cannot be resumed.
 */
async function resumeLab(dir: string, repo: string, opts: LabUpOptions, log: (msg: string) => void): Promise<LabJson | undefined> {
  const prev = readUpState(dir);
  const f = labFiles(dir);
  if (!prev || prev.gitopsRepo !== repo || !existsSync(f.labJson) || !existsSync(f.seedState) || !clusterResumable(dir)) return undefined;
  const started: string[] = await resumeCluster(dir, log);
  let data = readLabJson(dir) as LabJson;
  const admin = LabKubeClient.fromCertDir(data.apiServer, f.certs);
  try {
    await setExecutorImages(admin, executorImages(), log);
  } finally {
    admin.close();
  }
  if (!executorRunning(dir)) {
    await ensureExecutor(dir, data.apiServer, labNodeNames(), log);
    started.push(EXECUTOR_PROCESS);
  }
  if (!argocdRunning(dir)) {
    await prepareGitops(dir, repo, log);
    await ensureArgocd({ labDir: dir, apiServer: data.apiServer, log });
    started.push(ARGOCD_PROCESS);
  }
  const wantApps = !opts.clusterOnly || !prev.clusterOnly;
  const deadApps = deadAppProcesses(dir);
  // A lab brought up with --no-gitea gets its Gitea when asked without.
  const giteaMissing = !prev.clusterOnly && !opts.clusterOnly && giteaWanted() && data.apps.gitea === undefined;
  // A lab brought up before the ntfy simulator, the Prometheus ConfigMap sync and the Prometheus
  // route prefix existed gets them.
  const ntfyMissing =
    !prev.clusterOnly &&
    !opts.clusterOnly &&
    (data.apps.ntfy === undefined || data.apps.prometheusSync === undefined || (data.apps.prometheus !== undefined && (data.apps.prometheus as { origin?: unknown }).origin === undefined));
  if (wantApps && (prev.clusterOnly || deadApps.length > 0 || giteaMissing || ntfyMissing)) {
    if (deadApps.length) log(`lab: apps not running: ${deadApps.join(', ')}`);
    data = await startAppsIfAvailable(dir, data, log);
    writeLabJson(dir, data);
    writeFileSync(path.join(dir, 'up.json'), JSON.stringify({ ...prev, clusterOnly: false }, null, 2) + '\n');
    started.push('apps');
  }
  if (started.length === 0) log('lab: already up and healthy');
  else log(`lab: started ${started.join(', ')}; the cluster and its data were kept (not seeded again)`);
  return data;
}

/**
 * `lab up`: starts the control plane, seeds it from the GitOps repository, starts the lab's Argo CD
 * and the apps (unless clusterOnly) and writes lab.json and lab.env. Idempotent: a lab that runs is
 * left as it is, and a lab of which some processes stopped (an API server killed, a crashed app) gets
 * only those started again, with its cluster and data kept.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabJson> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const dir = labDir();
  const f = labFiles(dir);
  const repo = path.resolve(opts.repo ?? defaultGitopsRepo());
  const t0 = Date.now();
  const resumed = await resumeLab(dir, repo, opts, log);
  if (resumed) {
    await printStatus(log);
    return resumed;
  }
  const leftovers = listProcesses(dir).filter((p) => p.alive).length;
  if (leftovers > 0) {
    log(`lab: ${leftovers} process(es) from an earlier run are not healthy; stopping them first`);
  }
  await stopAll(dir, log, { last: STOP_LAST });
  for (const file of [f.labJson, f.env, f.seedState, path.join(dir, 'up.json')]) rmSync(file, { force: true });

  ensureBinariesBuilt(log);
  log(`lab: starting in ${dir}`);
  const cluster = await startCluster(dir, log, async (admin) => {
    await Promise.all([applyCrds(admin, defaultCrdDirs(), log), installExecutorPolicy(admin, { images: executorImages(), apps: [] }, log)]);
  });
  const client = LabKubeClient.fromCertDir(cluster.apiServer, f.certs);
  let data: LabJson;
  try {
    const workloadTimeoutSeconds = Number(process.env.LAB_WORKLOAD_TIMEOUT_SECONDS) || undefined;
    const [seed] = await Promise.all([
      seedLab({ labDir: dir, client, repo, nodes: cluster.nodes, log, crdsApplied: true, workloadTimeoutSeconds }),
      startExecutor({ labDir: dir, apiServer: cluster.apiServer, kubeletPort: cluster.ports.kubelet, nodes: cluster.nodes }, log),
      prepareGitops(dir, repo, log),
    ]);
    data = {
      labDir: dir,
      kubeconfig: cluster.kubeconfig,
      apiServer: cluster.apiServer,
      caFile: cluster.caFile,
      gitopsRepo: repo,
      namespaces: seed.namespaces,
      secrets: seed.secrets,
      addressMap: {},
      apps: {},
    };
    writeLabJson(dir, data);
    writeEnv(dir, data);
  } finally {
    client.close();
  }
  const argocd = ensureArgocd({ labDir: dir, apiServer: cluster.apiServer, log });
  if (!opts.clusterOnly) {
    data = await startAppsIfAvailable(dir, data, log);
    writeLabJson(dir, data);
  }
  await argocd;
  writeFileSync(path.join(dir, 'up.json'), JSON.stringify({ clusterOnly: !!opts.clusterOnly, gitopsRepo: repo, startedAt: new Date().toISOString() } satisfies UpState, null, 2) + '\n');
  log(`lab: up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await printStatus(log);
  return data;
}

/**
 * Stop order of the control plane, after everything else: clients before the servers they use
 * (kwok, scheduler, controller manager, API server, etcd), whatever was restarted last.
 */
const STOP_LAST = [...CLUSTER_PROCESSES].reverse();

/**
 * `lab down`: stops every process with a pidfile (the apps, the executor and the lab's Argo CD
 * newest first, then the control plane) and removes lab.json/lab.env.
 * Volumes keep their files (size limits are lifted); `purge` removes the volumes and the
 * executor's pod files too.
 */
export async function labDown(log: (msg: string) => void = (m) => console.log(m), opts: { purge?: boolean } = {}): Promise<number> {
  const dir = labDir();
  const f = labFiles(dir);
  const t0 = Date.now();
  const n = await stopAll(dir, log, { last: STOP_LAST });
  for (const file of [f.labJson, f.env, path.join(dir, 'up.json')]) rmSync(file, { force: true });
  const limits = releaseVolumeQuotas(dir);
  if (limits > 0) log(`lab: lifted the size limit of ${limits} volume(s)`);
  if (opts.purge) {
    purgeVolumes(dir);
    rmSync(f.executor, { recursive: true, force: true });
    log(`lab: removed the volumes (${f.volumes}) and the executor's files`);
  }
  log(`lab: stopped ${n} process(es) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return n;
}

/** Prints processes (with memory), endpoints and files of the lab. */
export async function printStatus(log: (msg: string) => void = (m) => console.log(m)): Promise<ClusterStatus> {
  const dir = labDir();
  const f = labFiles(dir);
  const status = await clusterStatus(dir);
  const data = readLabJson(dir);
  log(`lab dir:     ${dir}`);
  log(`api server:  ${status.apiServer ?? '-'} (${status.ready ? 'ready' : 'not ready'})`);
  let total = 0;
  for (const p of listProcesses(dir).reverse()) {
    const rss = p.alive ? rssKiB(p.pid) : 0;
    total += rss;
    log(`  ${p.name.padEnd(26)} pid ${String(p.pid).padEnd(8)} ${p.alive ? 'running' : 'DEAD   '} ${p.alive ? `${(rss / 1024).toFixed(0)} MiB` : ''}  log: ${path.join(f.logs, `${p.name}.log`)}`);
  }
  log(`  total RSS: ${(total / 1024).toFixed(0)} MiB`);
  if (data) {
    log(`kubeconfig:  ${data.kubeconfig}   (export KUBECONFIG=${data.kubeconfig})`);
    log(`env file:    ${f.env}`);
    log(`lab.json:    ${f.labJson}`);
    log(`gitops repo: ${data.gitopsRepo}`);
    log(`namespaces:  ${data.namespaces.join(', ')}`);
    const apps = Object.keys(data.apps);
    log(`apps:        ${apps.length ? apps.join(', ') : '(none)'}`);
    const gitea = data.apps.gitea as { url?: string; owner?: string; repo?: string; username?: string; version?: string } | undefined;
    if (gitea?.url) log(`gitea:       ${gitea.url}/${gitea.owner}/${gitea.repo} (Gitea ${gitea.version}; admin ${gitea.username}; password and token in lab.json)`);
  }
  printExecutorStatus(dir, log);
  const volumes = listVolumes(dir);
  log(`volumes:     ${volumes.length} in ${f.volumes}${volumes.length ? `, ${formatBytes(volumes.reduce((a, v) => a + v.bytes, 0))} in all` : ''}`);
  for (const v of volumes) {
    log(`  ${`${v.namespace}/${v.claim}`.padEnd(40)} ${formatBytes(v.bytes).padStart(10)}  ${String(v.files).padStart(5)} file(s)${v.quotaBytes !== undefined ? `  limit ${formatBytes(v.quotaBytes)}` : ''}`);
  }
  if (status.ready && status.apiServer) {
    const client = LabKubeClient.fromCertDir(status.apiServer, f.certs);
    try {
      const list = await client.list<{ metadata: { name: string }; status?: { sync?: { status?: string; revision?: string }; health?: { status?: string } } }>('argoproj.io/v1alpha1', 'Application');
      const counts = new Map<string, number>();
      for (const a of list) {
        const k = `${a.status?.sync?.status ?? 'not compared'}/${a.status?.health?.status ?? '-'}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      log(`argocd:      ${list.length} Applications: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}${argocdRunning(dir) ? '' : ' (the lab\'s Argo CD is not running)'}`);
    } catch {
      /* no Argo CD CRDs (yet) */
    } finally {
      client.close();
    }
  }
  return status;
}

function printExecutorStatus(dir: string, log: (msg: string) => void): void {
  const s = executorStatus(dir);
  if (!executorRunning(dir) || !s) {
    log(`executor:    not running${executorRunning(dir) ? ' (starting)' : ''}; log: ${path.join(labFiles(dir).logs, `${EXECUTOR_PROCESS}.log`)}`);
    return;
  }
  const running = s.pods.filter((p) => p.phase === 'Running' || p.phase === 'Pending').length;
  log(`executor:    pid ${s.pid}, sandbox ${s.sandbox}, kubelet API ${s.kubeletEndpoint}, up since ${s.startedAt}${s.restarts ? `, restarted ${s.restarts}x` : ''}`);
  log(`  images:    ${s.images.join(', ')}`);
  log(`  app pods:  ${s.apps.length ? s.apps.join(', ') : '(apps not started)'}`);
  log(`  pods:      ${s.pods.length} (${running} active)`);
  for (const p of s.pods) log(`    ${p.pod.padEnd(48)} ${p.phase.padEnd(10)} ${p.containers.join(', ')}`);
  const faults = pendingJobFaults(dir);
  for (const [ns, q] of Object.entries(faults)) log(`  faults:    next Job(s) in ${ns}: ${q.map((x) => x.fault.kind).join(', ')}`);
}
