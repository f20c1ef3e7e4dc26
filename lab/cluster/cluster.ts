import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import YAML from 'yaml';
import { LAB_CLIENTS, ensureLabCertificates } from './certs';
import { RUNNER_ANNOTATION } from '../executor/policy';
import { LabKubeClient, sleep, waitFor, type KubeObject } from './kube-http';
import { LAB_CLUSTER_DIR, LAB_VERSIONS, binaryPath, kwokStageDir, labFiles, missingBinaries } from '../paths';
import { freePort, listProcesses, portIsFree, startProcess, tailFile } from '../processes';

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
  const used = new Set<number>();
  for (const k of keys) {
    const p = ports[k];
    if (typeof p === 'number' && !used.has(p) && (await portIsFree(p))) {
      used.add(p);
      continue;
    }
    let np = await freePort();
    while (used.has(np)) np = await freePort();
    ports[k] = np;
    used.add(np);
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
 * Combines kwok's stage YAMLs (from the kwok module) with the lab's own stages into one config
 * file. kwok's pod stages skip the pods the executor runs; the lab's stages get the lab's paths.
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
  writeFileSync(file, docs.join('\n---\n') + '\n');
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
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const cert = (n: string) => path.join(f.certs, n);
  for (const user of Object.keys(LAB_CLIENTS)) {
    const file = user === 'admin' ? f.kubeconfig : path.join(f.certs, `${user}.kubeconfig`);
    writeFileSync(file, kubeconfigFor(server, f.certs, user), { mode: 0o600 });
  }
  writeKwokConfig(f.kwokConfig);

  const etcdData = path.join(f.data, 'etcd');
  rmSync(etcdData, { recursive: true, force: true });
  const dirs = { logs: f.logs, pids: f.pids };
  const logOf = (n: string) => path.join(f.logs, `${n}.log`);
  for (const n of CLUSTER_PROCESSES) rmSync(logOf(n), { force: true });

  // etcd
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcdPid = startProcess(dirs, 'etcd', binaryPath('etcd'), [
    '--name=lab', `--data-dir=${etcdData}`,
    `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=lab=${peerUrl}`, '--initial-cluster-state=new',
    '--unsafe-no-fsync', '--log-level=warn', '--quota-backend-bytes=2147483648', '--snapshot-count=10000',
  ]);
  log(`[${elapsed()}] etcd starting (pid ${etcdPid}, ${etcdUrl})`);
  await waitProcess('etcd', logOf('etcd'), etcdPid, 'etcd /health', async () => {
    const r = await httpGet(`${etcdUrl}/health`);
    return r.status === 200 && r.body.includes('true');
  }, log, 30_000);
  log(`[${elapsed()}] etcd ready`);

  // kube-apiserver, with an audit log of every write (who changed what), so tests can prove which
  // identity wrote to the cluster and which never did.
  const auditPolicy = path.join(f.dir, 'audit-policy.yaml');
  writeFileSync(auditPolicy, AUDIT_POLICY);
  const apiPid = startProcess(dirs, 'kube-apiserver', binaryPath('kube-apiserver'), [
    `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${path.join(f.logs, 'audit.log')}`,
    '--audit-log-maxsize=100', '--audit-log-maxbackup=1', '--audit-log-format=json',
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1', `--secure-port=${ports.apiserver}`, '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${cert('apiserver.crt')}`, `--tls-private-key-file=${cert('apiserver.key')}`,
    `--client-ca-file=${cert('ca.crt')}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${cert('sa.pub')}`, `--service-account-signing-key-file=${cert('sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC', '--allow-privileged=true',
    '--enable-priority-and-fairness=false', '--profiling=false',
    // pods/log: the API server reaches the node's kubelet API (the lab executor) on its InternalIP,
    // verifies it with the lab CA and authenticates with its own client certificate.
    '--kubelet-preferred-address-types=InternalIP', `--kubelet-certificate-authority=${cert('ca.crt')}`,
    `--kubelet-client-certificate=${cert('apiserver-kubelet-client.crt')}`, `--kubelet-client-key=${cert('apiserver-kubelet-client.key')}`,
    '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,StorageObjectInUseProtection,PersistentVolumeClaimResize,ResourceQuota,LimitRanger',
    '--event-ttl=1h', '--v=0',
  ]);
  log(`[${elapsed()}] kube-apiserver starting (pid ${apiPid}, ${server})`);
  const admin = LabKubeClient.fromCertDir(server, f.certs);
  try {
    await waitProcess('kube-apiserver', logOf('kube-apiserver'), apiPid, 'kube-apiserver /readyz', async () => {
      const r = await admin.raw({ path: '/readyz', timeoutMs: 3000 }).catch(() => undefined);
      return r?.status === 200;
    }, log, 90_000);
    log(`[${elapsed()}] kube-apiserver ready`);

    // controller manager, scheduler, kwok
    const kcmKubeconfig = cert('kube-controller-manager.kubeconfig');
    const kcmPid = startProcess(dirs, 'kube-controller-manager', binaryPath('kube-controller-manager'), [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${ports.controllerManager}`,
      '--leader-elect=false', '--use-service-account-credentials=true',
      `--service-account-private-key-file=${cert('sa.key')}`, `--root-ca-file=${cert('ca.crt')}`,
      `--controllers=${LAB_CONTROLLERS.join(',')}`,
      '--node-monitor-grace-period=60s', '--concurrent-deployment-syncs=10', '--concurrent-replicaset-syncs=10',
      '--concurrent-statefulset-syncs=10', '--concurrent-job-syncs=10', '--v=0',
      // The default 20 requests/s makes seeding thousands of pods (bench:health) take minutes.
      '--kube-api-qps=200', '--kube-api-burst=400',
    ]);
    const schedKubeconfig = cert('kube-scheduler.kubeconfig');
    const schedPid = startProcess(dirs, 'kube-scheduler', binaryPath('kube-scheduler'), [
      `--kubeconfig=${schedKubeconfig}`,
      `--authentication-kubeconfig=${schedKubeconfig}`, `--authorization-kubeconfig=${schedKubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${ports.scheduler}`, '--leader-elect=false', '--v=0',
      '--kube-api-qps=200', '--kube-api-burst=400',
    ]);
    const kwokPid = startProcess(dirs, 'kwok', binaryPath('kwok'), [
      `--kubeconfig=${cert('kwok.kubeconfig')}`, `--config=${f.kwokConfig}`,
      '--manage-all-nodes=true', `--server-address=127.0.0.1:${ports.kwok}`,
      '--node-ip=127.0.0.1', '--node-lease-duration-seconds=40', '--cidr=10.244.0.0/16',
      // The port the nodes advertise as their kubelet's: the lab executor serves container logs there.
      `--node-port=${ports.kubelet}`,
    ], { env: { ...process.env, HOME: f.data } });
    log(`[${elapsed()}] kube-controller-manager (pid ${kcmPid}), kube-scheduler (pid ${schedPid}), kwok (pid ${kwokPid}) starting`);

    const nodes = labNodeNames();
    for (const n of nodes) {
      await admin.create(fakeNode(n)).catch((err: Error) => {
        if (!err.message.includes('409')) throw err;
      });
    }
    const insecure = { rejectUnauthorized: false };
    await Promise.all([
      whileNodesStart?.(admin),
      waitProcess('kube-controller-manager', logOf('kube-controller-manager'), kcmPid, 'controller manager /healthz', async () => {
        const r = await httpGet(`https://127.0.0.1:${ports.controllerManager}/healthz`, insecure).catch(() => undefined);
        return r?.status === 200;
      }, log, 60_000),
      waitProcess('kube-scheduler', logOf('kube-scheduler'), schedPid, 'scheduler /healthz', async () => {
        const r = await httpGet(`https://127.0.0.1:${ports.scheduler}/healthz`, insecure).catch(() => undefined);
        return r?.status === 200;
      }, log, 60_000),
      waitProcess('kwok', logOf('kwok'), kwokPid, `node(s) ${nodes.join(', ')} Ready and untainted`, async () => {
        for (const n of nodes) {
          const node = await admin.get<{ spec?: { taints?: { effect: string }[] }; status?: { conditions?: { type: string; status: string }[] } }>('v1', 'Node', n);
          const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
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
    return { apiServer: server, ports, kubeconfig: f.kubeconfig, caFile: cert('ca.crt'), nodes };
  } finally {
    admin.close();
  }
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
  const procs = listProcesses(f.pids);
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
