import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import YAML from 'yaml';
import { LAB_CLIENTS, ensureLabCertificates } from './certs';
import { RUNNER_ANNOTATION } from '../executor/policy';
import { LabKubeClient, type KubeObject } from './kube-http';
import { sleep, waitFor } from '../lib/wait';
import { LAB_CLUSTER_DIR, LAB_VERSIONS, binaryPath, kwokStageDir, labFiles, missingBinaries } from '../paths';
import { choosePort, listProcesses, spawnDaemon, stopPid, tailFile } from '../lib/process';

/** Audit policy of the lab's API server: the metadata of every write, and of ServiceAccounts' gets and lists. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: Metadata
    userGroups: [system:serviceaccounts]
    verbs: [get, list]
  - level: None
`;

/** Where the lab's API server writes its audit log (JSON lines, one per write request). */
export function auditLogPath(dir: string): string {
  return path.join(labFiles(dir).logs, 'audit.log');
}

/** Loopback ports of the lab's processes, chosen at first start and kept in ports.json. */
export interface LabPorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  /** The kubelet API of the lab executor (container logs), advertised in the nodes' daemonEndpoints. */
  kubelet: number;
}

/** The control-plane processes in start order. */
export const CLUSTER_PROCESSES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

/**
 * Controllers the lab's controller manager runs: workloads (deployments, replicasets, statefulsets,
 * daemonsets, jobs, cronjobs, TTL-after-finished), garbage collection, namespaces, service accounts
 * and their tokens, node lifecycle, endpoints/endpoint slices, volumes binding, root CA publishing.
 */
export const LAB_CONTROLLERS = [
  'job-controller',
  'cronjob-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'replicationcontroller-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'ttl-after-finished-controller',
  'node-lifecycle-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'persistentvolume-binder-controller',
  'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
  'root-ca-certificate-publisher-controller',
  'pod-garbage-collector-controller',
  'disruption-controller',
  'resourcequota-controller',
  'clusterrole-aggregation-controller',
  'taint-eviction-controller',
  'ttl-controller',
];

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Names of the fake nodes kwok manages (LAB_NODES, default 1). */
export function labNodeNames(): string[] {
  const n = Math.max(1, Number(process.env.LAB_NODES ?? 1) || 1);
  return Array.from({ length: n }, (_, i) => `lab-node-${i + 1}`);
}

/** Reads ports.json, or picks free ports and writes it. Ports taken by others are replaced. */
export async function ensurePorts(file: string): Promise<LabPorts> {
  let ports: Partial<LabPorts> = {};
  if (existsSync(file)) {
    try {
      ports = JSON.parse(readFileSync(file, 'utf8')) as Partial<LabPorts>;
    } catch {
      ports = {};
    }
  }
  const keys: (keyof LabPorts)[] = ['etcd', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler', 'kwok', 'kubelet'];
  const used: number[] = [];
  for (const k of keys) {
    const p = await choosePort(ports[k], false, used);
    ports[k] = p;
    used.push(p);
  }
  writeFileSync(file, JSON.stringify(ports, null, 2) + '\n');
  return ports as LabPorts;
}

/** Builds a kubeconfig with embedded certificates for one client identity. */
export function kubeconfigFor(server: string, certDir: string, user: string): string {
  const b64 = (f: string) => readFileSync(path.join(certDir, f)).toString('base64');
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k8s-nas-lab', cluster: { server, 'certificate-authority-data': b64('ca.crt') } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(`${user}.crt`), 'client-key-data': b64(`${user}.key`) } }],
    contexts: [{ name: 'k8s-nas-lab', context: { cluster: 'k8s-nas-lab', user, namespace: 'default' } }],
    'current-context': 'k8s-nas-lab',
    preferences: {},
  });
}

function httpGet(url: string, opts: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { timeout: 3000, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Placeholder in the lab's stage files for the volumes directory (`<labDir>/volumes`). */
const VOLUMES_PLACEHOLDER = '__LAB_VOLUMES_DIR__';

/** kwok's pod stages that must leave the executor's pods alone (they become Running, complete, go away). */
const EXECUTOR_EXCLUDED_STAGES = new Set(['pod-ready', 'pod-complete', 'pod-delete']);

/** Adds "not annotated for the executor" to the selector of one of kwok's pod stages. */
export function excludeExecutorPods(stageYaml: string): string {
  const doc = YAML.parse(stageYaml) as { metadata?: { name?: string }; spec?: { selector?: { matchExpressions?: unknown[] } } };
  if (!EXECUTOR_EXCLUDED_STAGES.has(doc.metadata?.name ?? '') || !doc.spec) return stageYaml;
  doc.spec.selector ??= {};
  doc.spec.selector.matchExpressions = [
    ...(doc.spec.selector.matchExpressions ?? []),
    { key: `.metadata.annotations["${RUNNER_ANNOTATION}"]`, operator: 'DoesNotExist' },
  ];
  return YAML.stringify(doc).trim();
}

/**
 * Combines kwok's stage YAMLs (from the kwok module) with the lab's own stages and metrics
 * (`kwok-metrics/`: the kubelet's /metrics/resource) into one config file. kwok's pod stages skip
 * the pods the executor runs; the lab's stages get the lab's paths.
 */
export function writeKwokConfig(file: string, volumesDir: string = path.join(path.dirname(file), 'volumes')): void {
  const stageDir = kwokStageDir();
  const upstream = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ].map((f) => path.join(stageDir, f));
  const ours = readdirSync(path.join(LAB_CLUSTER_DIR, 'stages'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(LAB_CLUSTER_DIR, 'stages', f));
  const docs = [...upstream, ...ours].map((f) => {
    if (!existsSync(f)) throw new Error(`kwok stage file missing: ${f} (run: npm run lab -- build)`);
    return excludeExecutorPods(readFileSync(f, 'utf8').trim()).split(VOLUMES_PLACEHOLDER).join(volumesDir);
  });
  // The kubelet's resource metrics for every pod of the nodes, the executor's included.
  const metricsDir = path.join(LAB_CLUSTER_DIR, 'kwok-metrics');
  const metrics = readdirSync(metricsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readFileSync(path.join(metricsDir, f), 'utf8').trim());
  writeFileSync(file, [...docs, ...metrics].join('\n---\n') + '\n');
}

/** The fake Node objects; kwok (--manage-all-nodes) initialises them and keeps their leases. */
export function fakeNode(name: string): KubeObject {
  const resources = { cpu: '16', memory: '64Gi', pods: '250', 'ephemeral-storage': '500Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': 'true',
        type: 'kwok',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: LAB_VERSIONS.kubernetes,
        kubeProxyVersion: LAB_VERSIONS.kubernetes,
        containerRuntimeVersion: `kwok://${LAB_VERSIONS.kwok}`,
        osImage: 'kwok fake node',
        kernelVersion: 'n/a',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
}

/** Result of starting the control plane. */
export interface ClusterInfo {
  apiServer: string;
  ports: LabPorts;
  kubeconfig: string;
  caFile: string;
  nodes: string[];
}

function ensureBinaries(): void {
  const missing = missingBinaries();
  if (missing.length > 0) {
    throw new Error(`lab binaries missing: ${missing.join(', ')}. Build them first: npm run lab -- build (runs lab/cluster/build-binaries.sh)`);
  }
}

async function waitProcess<T>(
  name: string,
  logFile: string,
  pid: number,
  what: string,
  check: () => Promise<T | undefined | false>,
  log: (msg: string) => void,
  timeoutMs: number,
): Promise<T> {
  try {
    return await waitFor(
      what,
      async () => {
        try {
          process.kill(pid, 0);
        } catch {
          throw new Error(`${name} exited`);
        }
        return check();
      },
      { timeoutMs, log, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(`${name} did not become ready: ${(err as Error).message}\n--- ${logFile} (tail) ---\n${tailFile(logFile, 25)}`);
  }
}

/** A control-plane process of the lab. */
export type ClusterProcess = (typeof CLUSTER_PROCESSES)[number];

/** What the command lines of the control plane need. */
interface ComponentContext {
  dir: string;
  f: ReturnType<typeof labFiles>;
  ports: LabPorts;
  server: string;
}

function componentContext(dir: string, ports: LabPorts): ComponentContext {
  return { dir, f: labFiles(dir), ports, server: `https://127.0.0.1:${ports.apiserver}` };
}

/**
 * The command line of one control-plane process. The same one serves the first start and every
 * restart, so a restarted process has the same ports, certificates, service-account signing keys and
 * etcd data directory as before.
 */
function componentCommand(name: ClusterProcess, c: ComponentContext): { command: string; args: string[]; env?: NodeJS.ProcessEnv } {
  const cert = (n: string) => path.join(c.f.certs, n);
  const etcdUrl = `http://127.0.0.1:${c.ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${c.ports.etcdPeer}`;
  switch (name) {
    case 'etcd':
      // --initial-cluster-* only matter on an empty data directory; a restart keeps the data.
      return {
        command: binaryPath('etcd'),
        args: [
          '--name=lab', `--data-dir=${etcdDataDir(c.dir)}`,
          `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=lab=${peerUrl}`, '--initial-cluster-state=new',
          '--unsafe-no-fsync', '--log-level=warn', '--quota-backend-bytes=2147483648', '--snapshot-count=10000',
        ],
      };
    case 'kube-apiserver':
      // With an audit log of every write (who changed what), so tests can prove which identity wrote
      // to the cluster and which never did.
      return {
        command: binaryPath('kube-apiserver'),
        args: [
          `--audit-policy-file=${path.join(c.f.dir, 'audit-policy.yaml')}`, `--audit-log-path=${auditLogPath(c.dir)}`,
          '--audit-log-maxsize=100', '--audit-log-maxbackup=1', '--audit-log-format=json',
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1', `--secure-port=${c.ports.apiserver}`, '--advertise-address=127.0.0.1',
          '--endpoint-reconciler-type=none',
          `--tls-cert-file=${cert('apiserver.crt')}`, `--tls-private-key-file=${cert('apiserver.key')}`,
          `--client-ca-file=${cert('ca.crt')}`,
          `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
          `--service-account-key-file=${cert('sa.pub')}`, `--service-account-signing-key-file=${cert('sa.key')}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--authorization-mode=RBAC', '--allow-privileged=true',
          '--enable-priority-and-fairness=false', '--profiling=false',
          // On SIGTERM, end the clients' watches and stop within about a second: without a grace for
          // watches the server waits for them (up to its request timeout) while the lab's controllers,
          // executor and Argo CD keep theirs open, and \`down\` or a restart had to SIGKILL it after 8 s.
          '--shutdown-watch-termination-grace-period=1s',
          // pods/log: the API server reaches the node's kubelet API (the lab executor) on its InternalIP,
          // verifies it with the lab CA and authenticates with its own client certificate.
          '--kubelet-preferred-address-types=InternalIP', `--kubelet-certificate-authority=${cert('ca.crt')}`,
          `--kubelet-client-certificate=${cert('apiserver-kubelet-client.crt')}`, `--kubelet-client-key=${cert('apiserver-kubelet-client.key')}`,
          '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,StorageObjectInUseProtection,PersistentVolumeClaimResize,ResourceQuota,LimitRanger',
          '--event-ttl=1h', '--v=0',
        ],
      };
    case 'kube-controller-manager': {
      const kc = cert('kube-controller-manager.kubeconfig');
      return {
        command: binaryPath('kube-controller-manager'),
        args: [
          `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
          '--bind-address=127.0.0.1', `--secure-port=${c.ports.controllerManager}`,
          '--leader-elect=false', '--use-service-account-credentials=true',
          `--service-account-private-key-file=${cert('sa.key')}`, `--root-ca-file=${cert('ca.crt')}`,
          `--controllers=${LAB_CONTROLLERS.join(',')}`,
          '--node-monitor-grace-period=60s', '--concurrent-deployment-syncs=10', '--concurrent-replicaset-syncs=10',
          '--concurrent-statefulset-syncs=10', '--concurrent-job-syncs=10', '--v=0',
          // The default 20 requests/s makes seeding thousands of pods (bench:health) take minutes.
          '--kube-api-qps=200', '--kube-api-burst=400',
        ],
      };
    }
    case 'kube-scheduler': {
      const kc = cert('kube-scheduler.kubeconfig');
      return {
        command: binaryPath('kube-scheduler'),
        args: [
          `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
          '--bind-address=127.0.0.1', `--secure-port=${c.ports.scheduler}`, '--leader-elect=false', '--v=0',
          '--kube-api-qps=200', '--kube-api-burst=400',
        ],
      };
    }
    case 'kwok':
      return {
        command: binaryPath('kwok'),
        args: [
          `--kubeconfig=${cert('kwok.kubeconfig')}`, `--config=${c.f.kwokConfig}`,
          '--manage-all-nodes=true', `--server-address=127.0.0.1:${c.ports.kwok}`,
          '--node-ip=127.0.0.1', '--node-lease-duration-seconds=40', '--cidr=10.244.0.0/16',
          // The port the nodes advertise as their kubelet's: the lab executor serves container logs there.
          `--node-port=${c.ports.kubelet}`,
        ],
        env: { ...process.env, HOME: c.f.data },
      };
  }
}

/** The etcd data directory (kept across restarts of etcd; emptied by a fresh `lab up`). */
export function etcdDataDir(dir: string): string {
  return path.join(labFiles(dir).data, 'etcd');
}

/** Waits until a started component answers its health check (the API server: /readyz). */
async function waitComponent(name: ClusterProcess, c: ComponentContext, pid: number, log: (msg: string) => void): Promise<void> {
  const logFile = path.join(c.f.logs, `${name}.log`);
  const insecure = { rejectUnauthorized: false };
  switch (name) {
    case 'etcd':
      await waitProcess(name, logFile, pid, 'etcd /health', async () => {
        const r = await httpGet(`http://127.0.0.1:${c.ports.etcd}/health`);
        return r.status === 200 && r.body.includes('true');
      }, log, 30_000);
      return;
    case 'kube-apiserver': {
      const admin = LabKubeClient.fromCertDir(c.server, c.f.certs);
      try {
        await waitProcess(name, logFile, pid, 'kube-apiserver /readyz', async () => {
          const r = await admin.raw({ path: '/readyz', timeoutMs: 3000 }).catch(() => undefined);
          return r?.status === 200;
        }, log, 90_000);
      } finally {
        admin.close();
      }
      return;
    }
    case 'kube-controller-manager':
      await waitProcess(name, logFile, pid, 'controller manager /healthz', async () => {
        const r = await httpGet(`https://127.0.0.1:${c.ports.controllerManager}/healthz`, insecure).catch(() => undefined);
        return r?.status === 200;
      }, log, 60_000);
      return;
    case 'kube-scheduler':
      await waitProcess(name, logFile, pid, 'scheduler /healthz', async () => {
        const r = await httpGet(`https://127.0.0.1:${c.ports.scheduler}/healthz`, insecure).catch(() => undefined);
        return r?.status === 200;
      }, log, 60_000);
      return;
    case 'kwok':
      await waitProcess(name, logFile, pid, 'kwok /healthz', async () => {
        const r = await httpGet(`http://127.0.0.1:${c.ports.kwok}/healthz`).catch(() => undefined);
        return r?.status === 200;
      }, log, 60_000);
      return;
  }
}

function spawnComponent(name: ClusterProcess, c: ComponentContext): number {
  const { command, args, env } = componentCommand(name, c);
  return spawnDaemon({ name, labDir: c.f.dir, command, args, ...(env ? { env } : {}) });
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1 with a
 * fresh etcd data dir, creates the fake node(s) and waits until they are Ready and untainted.
 * `whileNodesStart` runs against the API server while the other components come up (e.g. CRDs).
 */
export async function startCluster(
  dir: string,
  log: (msg: string) => void,
  whileNodesStart?: (admin: LabKubeClient) => Promise<void>,
): Promise<ClusterInfo> {
  ensureBinaries();
  const f = labFiles(dir);
  for (const d of [f.dir, f.logs, f.pids, f.data]) mkdirSync(d, { recursive: true });
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  await ensureLabCertificates(f.certs, log);
  const ports = await ensurePorts(f.ports);
  const c = componentContext(dir, ports);
  const server = c.server;
  for (const user of Object.keys(LAB_CLIENTS)) {
    const file = user === 'admin' ? f.kubeconfig : path.join(f.certs, `${user}.kubeconfig`);
    writeFileSync(file, kubeconfigFor(server, f.certs, user), { mode: 0o600 });
  }
  writeKwokConfig(f.kwokConfig);
  writeFileSync(path.join(f.dir, 'audit-policy.yaml'), AUDIT_POLICY);
  rmSync(etcdDataDir(dir), { recursive: true, force: true });
  for (const n of CLUSTER_PROCESSES) rmSync(path.join(f.logs, `${n}.log`), { force: true });

  const etcdPid = spawnComponent('etcd', c);
  log(`[${elapsed()}] etcd starting (pid ${etcdPid}, http://127.0.0.1:${ports.etcd})`);
  await waitComponent('etcd', c, etcdPid, log);
  log(`[${elapsed()}] etcd ready`);

  const apiPid = spawnComponent('kube-apiserver', c);
  log(`[${elapsed()}] kube-apiserver starting (pid ${apiPid}, ${server})`);
  const admin = LabKubeClient.fromCertDir(server, f.certs);
  try {
    await waitComponent('kube-apiserver', c, apiPid, log);
    log(`[${elapsed()}] kube-apiserver ready`);

    const kcmPid = spawnComponent('kube-controller-manager', c);
    const schedPid = spawnComponent('kube-scheduler', c);
    const kwokPid = spawnComponent('kwok', c);
    log(`[${elapsed()}] kube-controller-manager (pid ${kcmPid}), kube-scheduler (pid ${schedPid}), kwok (pid ${kwokPid}) starting`);

    const nodes = labNodeNames();
    for (const n of nodes) {
      await admin.create(fakeNode(n)).catch((err: Error) => {
        if (!err.message.includes('409')) throw err;
      });
    }
    await Promise.all([
      whileNodesStart?.(admin),
      waitComponent('kube-controller-manager', c, kcmPid, log),
      waitComponent('kube-scheduler', c, schedPid, log),
      waitProcess('kwok', path.join(f.logs, 'kwok.log'), kwokPid, `node(s) ${nodes.join(', ')} Ready and untainted`, async () => {
        for (const n of nodes) {
          const node = await admin.get<{ spec?: { taints?: { effect: string }[] }; status?: { conditions?: { type: string; status: string }[] } }>('v1', 'Node', n);
          const ready = node?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
          const blocking = (node?.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
          if (!ready || blocking) return false;
        }
        return true;
      }, log, 60_000),
    ]);
    // The default ServiceAccount must exist before pods can be created in "default".
    await waitFor('ServiceAccount default/default', async () => (await admin.get('v1', 'ServiceAccount', 'default', 'default')) !== undefined, {
      timeoutMs: 30_000,
      log,
    });
    log(`[${elapsed()}] control plane ready: ${nodes.length} kwok node(s) Ready`);
    return { apiServer: server, ports, kubeconfig: f.kubeconfig, caFile: path.join(f.certs, 'ca.crt'), nodes };
  } finally {
    admin.close();
  }
}

function readPorts(dir: string): LabPorts {
  const file = labFiles(dir).ports;
  if (!existsSync(file)) throw new Error(`the lab in ${dir} has no ports.json; start it first: npm run lab -- up`);
  return JSON.parse(readFileSync(file, 'utf8')) as LabPorts;
}

function pidOf(dir: string, name: ClusterProcess): number | undefined {
  return listProcesses(dir).find((p) => p.name === name && p.alive)?.pid;
}

/** Whether a control-plane process of the lab runs. */
export function componentRunning(dir: string, name: ClusterProcess): boolean {
  return pidOf(dir, name) !== undefined;
}

/** Whether the lab's cluster can be restarted in place: certificates, ports and etcd data are there. */
export function clusterResumable(dir: string): boolean {
  const f = labFiles(dir);
  return existsSync(f.ports) && existsSync(path.join(f.certs, 'sa.key')) && existsSync(path.join(etcdDataDir(dir), 'member'));
}

/**
 * Stops one control-plane process (SIGTERM, SIGKILL after the grace period) and removes its
 * pidfile. Resolves false when it was not running.
 */
export async function stopComponent(dir: string, name: ClusterProcess, log: (msg: string) => void = () => {}, graceMs = 8000): Promise<boolean> {
  const p = listProcesses(dir).find((x) => x.name === name);
  if (!p) return false;
  let stopped = false;
  if (p.alive) {
    const t0 = Date.now();
    const killed = await stopPid(p.pid, graceMs);
    log(`${name}: stopped (pid ${p.pid}) in ${Date.now() - t0} ms${killed ? ' (SIGKILL)' : ''}`);
    stopped = true;
  }
  rmSync(p.pidFile, { force: true });
  return stopped;
}

/**
 * Starts one control-plane process with its usual command line (same ports, certificates and etcd
 * data) unless it runs, and waits until it is healthy. Returns its pid.
 */
export async function startComponent(dir: string, name: ClusterProcess, log: (msg: string) => void = () => {}): Promise<number> {
  const running = pidOf(dir, name);
  if (running !== undefined) return running;
  if (name === 'etcd' && !existsSync(path.join(etcdDataDir(dir), 'member'))) {
    throw new Error(`etcd has no data in ${etcdDataDir(dir)}; the cluster cannot be restarted in place (npm run lab -- down, then up)`);
  }
  const c = componentContext(dir, readPorts(dir));
  const t0 = Date.now();
  const pid = spawnComponent(name, c);
  await waitComponent(name, c, pid, log);
  log(`${name}: started (pid ${pid}) and healthy in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return pid;
}

/** Stops and starts one control-plane process, keeping everything it had (see {@link startComponent}). */
export async function restartComponent(dir: string, name: ClusterProcess, log: (msg: string) => void = () => {}): Promise<number> {
  await stopComponent(dir, name, log);
  return startComponent(dir, name, log);
}

/**
 * Starts, in dependency order, the control-plane processes that are not running, keeping the etcd
 * data (the cluster is not seeded again). Returns the names of the processes it started.
 */
export async function resumeCluster(dir: string, log: (msg: string) => void = () => {}): Promise<ClusterProcess[]> {
  const started: ClusterProcess[] = [];
  // kwok reads its stages and metrics at start: a lab started with an older set gets kwok restarted.
  const kwokConfig = labFiles(dir).kwokConfig;
  if (existsSync(kwokConfig)) {
    const before = readFileSync(kwokConfig, 'utf8');
    writeKwokConfig(kwokConfig);
    if (readFileSync(kwokConfig, 'utf8') !== before && componentRunning(dir, 'kwok')) {
      log('kwok: its stages or metrics changed; starting it again with them');
      await stopComponent(dir, 'kwok', log);
    }
  }
  for (const name of CLUSTER_PROCESSES) {
    if (componentRunning(dir, name)) continue;
    await startComponent(dir, name, log);
    started.push(name);
  }
  return started;
}

/** Health of the lab's processes and API server. */
export interface ClusterStatus {
  processes: { name: string; pid: number; alive: boolean }[];
  apiServer?: string;
  ready: boolean;
  allAlive: boolean;
}

/** Checks pidfiles and /readyz. */
export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  const f = labFiles(dir);
  const procs = listProcesses(dir);
  const control = CLUSTER_PROCESSES.map((n) => procs.find((p) => p.name === n));
  const allAlive = control.every((p) => p?.alive === true);
  let ready = false;
  let apiServer: string | undefined;
  if (existsSync(f.ports) && existsSync(path.join(f.certs, 'admin.crt'))) {
    const ports = JSON.parse(readFileSync(f.ports, 'utf8')) as LabPorts;
    apiServer = `https://127.0.0.1:${ports.apiserver}`;
    if (allAlive) {
      const c = LabKubeClient.fromCertDir(apiServer, f.certs);
      try {
        const r = await c.raw({ path: '/readyz', timeoutMs: 3000 }).catch(() => undefined);
        ready = r?.status === 200;
      } finally {
        c.close();
      }
    }
  }
  return { processes: procs.map((p) => ({ name: p.name, pid: p.pid, alive: p.alive })), apiServer, ready, allAlive };
}

/** Wait helper re-exported for scripts that poll the cluster. */
export { sleep };
