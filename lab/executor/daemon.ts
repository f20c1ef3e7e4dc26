/**
 * The lab executor process: `node --import tsx lab/executor/daemon.ts <config.json>`, started by
 * `lab up` under lab/lib/supervise.mjs (which starts it again with back-off). It plays the kubelet for the
 * pods the admission policy hands it (policy.ts): it watches them, runs them (runner.ts), serves
 * their logs to the API server (kubelet-server.ts), creates volume directories as claims bind,
 * and writes `<labDir>/executor/status.json` for `lab status`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { LabKubeClient, type KubeObject } from '../cluster/kube-http';
import { appConfigVolume, ensureVolumeDir } from '../cluster/volumes';
import type { ManifestObject } from '../lib/manifests';
import { volumeDir } from '../paths';
import { executorImages } from './allowlist';
import { EventRecorder } from './events';
import { startKubeletServer } from './kubelet-server';
import { EXECUTOR_PARAMS, parseParams, RUNNER_ANNOTATION, RUNNER_EXECUTOR } from './policy';
import { PlanError, type Lookups } from './pod-plan';
import { PodRunner, type RunnerContext } from './runner';
import { detectSandbox } from './sandbox';
import type { Pod } from './types';
import { watchCollection } from './watch';
import { clearPrograms } from './programs';

/** What `lab up` writes for the executor. */
export interface ExecutorConfig {
  labDir: string;
  apiServer: string;
  kubeletPort: number;
  nodes: string[];
}

/** `<labDir>/executor/status.json`. */
export interface ExecutorStatusFile {
  pid: number;
  startedAt: string;
  updatedAt: string;
  restarts: number;
  sandbox: string;
  kubeletEndpoint: string;
  images: string[];
  apps: string[];
  pods: { pod: string; phase: string; containers: string[] }[];
}

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

/** apk for alpine images: the host's packages stand in for Alpine's, there is no network. */
const APK_SCRIPT = `#!/bin/sh
# apk of the lab sandbox. Alpine images run on the host's Debian userland without network:
# "apk add" succeeds for packages whose program the host provides and fails for the others, as
# apk fails for packages it cannot find.
cmd="\${1:-}"
[ $# -gt 0 ] && shift
program_of() {
  case "$1" in
    sqlite) echo sqlite3 ;;
    xz|xz-utils) echo xz ;;
    openssh-client|openssh) echo ssh ;;
    postgresql-client|postgresql*-client) echo psql ;;
    mariadb-client|mysql-client) echo mysql ;;
    coreutils|findutils|ca-certificates|tzdata|busybox|busybox-extras|musl-utils|libc6-compat|gcompat) echo true ;;
    *) echo "$1" ;;
  esac
}
case "$cmd" in
  add)
    missing=""
    for p in "$@"; do
      case "$p" in -*) continue ;; esac
      name=$(echo "$p" | sed 's/[<>=~].*//')
      command -v "$(program_of "$name")" >/dev/null 2>&1 || missing="$missing $name"
    done
    if [ -n "$missing" ]; then
      echo "ERROR: unable to select packages:" >&2
      for m in $missing; do echo "  $m (no such package):" >&2; echo "    required by: world[$m]" >&2; done
      exit 1
    fi
    echo "OK: provided by the lab sandbox's host userland"
    ;;
  update|upgrade|cache|fix) echo "OK: the lab sandbox has no package index (no network)" ;;
  *) echo "apk: '$cmd' is not available in the lab sandbox (no network, host userland)" >&2; exit 1 ;;
esac
`;

/** `/sbin` for alpine images: the host's /usr/sbin plus apk. */
function prepareAlpineSbin(dir: string): string {
  const d = path.join(dir, 'executor', 'alpine-sbin');
  const tmp = `${d}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const e of readdirSync('/usr/sbin')) symlinkSync(`/usr/sbin/${e}`, path.join(tmp, e));
  writeFileSync(path.join(tmp, 'apk'), APK_SCRIPT);
  chmodSync(path.join(tmp, 'apk'), 0o755);
  rmSync(d, { recursive: true, force: true });
  renameSync(tmp, d);
  return d;
}

function decodeMap(data: Record<string, string> | undefined, base64: boolean): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(data ?? {})) m.set(k, Buffer.from(v, base64 ? 'base64' : 'utf8'));
  return m;
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: daemon.ts <config.json>');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ExecutorConfig;
  const certDir = path.join(config.labDir, 'certs');
  const statusFile = path.join(config.labDir, 'executor', 'status.json');
  rmSync(statusFile, { force: true });
  const sandbox = detectSandbox();
  log(`sandbox: ${sandbox}`);
  const certName = existsSync(path.join(certDir, 'lab-executor.crt')) ? 'lab-executor' : 'admin';
  const client = new LabKubeClient({
    server: config.apiServer,
    ca: readFileSync(path.join(certDir, 'ca.crt')),
    cert: readFileSync(path.join(certDir, `${certName}.crt`)),
    key: readFileSync(path.join(certDir, `${certName}.key`)),
  });
  const events = new EventRecorder(client, log);
  const alpineSbin = prepareAlpineSbin(config.labDir);
  // Programs of an earlier executor died with it; their pods start them again.
  clearPrograms(config.labDir);
  let params = parseParams(undefined);
  params.images = executorImages();
  const nodes = new Set(config.nodes);

  const lookups: Lookups = {
    async configMap(ns, name) {
      const cm = await client.get<KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> }>('v1', 'ConfigMap', name, ns);
      if (!cm) return undefined;
      const m = decodeMap(cm.data, false);
      for (const [k, v] of decodeMap(cm.binaryData, true)) m.set(k, v);
      return m;
    },
    async secret(ns, name) {
      const s = await client.get<KubeObject & { data?: Record<string, string> }>('v1', 'Secret', name, ns);
      return s ? decodeMap(s.data, true) : undefined;
    },
    async serviceAccountToken(pod, audience, expirationSeconds) {
      const sa = pod.spec.serviceAccountName ?? 'default';
      try {
        const res = await client.request<{ status?: { token?: string } }>({
          method: 'POST',
          path: `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`,
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { audiences: audience ? [audience] : [], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
          },
        });
        if (!res.status?.token) throw new Error('no token in the TokenRequest answer');
        return res.status.token;
      } catch (err) {
        throw new PlanError('ContainerCreating', `MountVolume.SetUp failed: failed to fetch token for serviceaccount "${sa}": ${(err as Error).message.split('\n')[0]}`, 'FailedMount');
      }
    },
  };

  let nextIp = 2;
  const usedIps = new Set<string>();
  const runners = new Map<string, PodRunner>();

  const ctx: RunnerContext = {
    labDir: config.labDir,
    client,
    sandbox,
    hostIP: '127.0.0.1',
    podIP: (pod) => {
      if (pod.status?.podIP) return pod.status.podIP;
      let ip: string;
      do {
        ip = `10.245.${Math.floor(nextIp / 254) % 256}.${(nextIp % 254) + 1}`;
        nextIp++;
      } while (usedIps.has(ip));
      usedIps.add(ip);
      return ip;
    },
    images: () => params.images,
    appWorkloadOf: (pod) => {
      for (const o of pod.metadata.ownerReferences ?? []) {
        const name = o.kind === 'ReplicaSet' && o.name.lastIndexOf('-') > 0 ? o.name.slice(0, o.name.lastIndexOf('-')) : o.name;
        if (!['ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(o.kind)) continue;
        if (params.apps.includes(`${pod.metadata.namespace}/${name}`)) return { namespace: pod.metadata.namespace, workload: name };
      }
      return undefined;
    },
    restartApp: async (ns, workload, between) => {
      const { restartApp } = await import('../apps/restart');
      const r = await restartApp(ns, workload, { labDir: config.labDir, log, ...(between ? { between } : {}) });
      return r.restarted.map((x) => x.detail).join('; ') || `no app process for ${ns}/${workload}`;
    },
    appConfigDir: async (ns, workload) => {
      // The workload as the cluster holds it (what was seeded, or synced since).
      const objects: ManifestObject[] = [];
      for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
        const w = await client.get<KubeObject>('apps/v1', kind, workload, ns);
        if (w) objects.push({ kind, apiVersion: 'apps/v1', name: workload, namespace: ns, body: w as unknown as Record<string, unknown>, file: '' });
      }
      const claim = appConfigVolume(ns, workload, objects);
      return { claim, dir: ensureVolumeDir(ns, claim, config.labDir) };
    },
    claimDir: async (ns, claim) => {
      const pvc = await client.get<KubeObject & { spec?: { volumeName?: string }; status?: { phase?: string } }>('v1', 'PersistentVolumeClaim', claim, ns);
      if (!pvc) throw new Error(`persistentvolumeclaim "${claim}" not found`);
      if (pvc.status?.phase !== 'Bound') throw new Error(`persistentvolumeclaim "${claim}" is not bound`);
      const pv = pvc.spec?.volumeName ? await client.get<KubeObject & { spec?: { hostPath?: { path?: string } } }>('v1', 'PersistentVolume', pvc.spec.volumeName) : undefined;
      const hp = pv?.spec?.hostPath?.path;
      const root = path.resolve(config.labDir);
      if (hp && path.resolve(hp).startsWith(`${root}/`)) {
        mkdirSync(hp, { recursive: true });
        return path.resolve(hp);
      }
      return ensureVolumeDir(ns, claim, config.labDir);
    },
    lookups,
    events,
    alpineSbin,
    jobFaults: new Map(),
    log,
  };

  const ours = (pod: Pod) => pod.metadata.annotations?.[RUNNER_ANNOTATION] === RUNNER_EXECUTOR && !!pod.spec.nodeName && nodes.has(pod.spec.nodeName);
  const track = (pod: Pod) => {
    if (!ours(pod)) return;
    const existing = runners.get(pod.metadata.uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    if (pod.status?.podIP) usedIps.add(pod.status.podIP);
    const r = new PodRunner(pod, ctx);
    runners.set(pod.metadata.uid, r);
    log(`pod ${r.key}: ${pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? 'finished earlier' : 'starting'}`);
  };
  const forget = (uid: string) => {
    const r = runners.get(uid);
    if (!r) return;
    r.gone();
    runners.delete(uid);
    void r.done.then(async () => {
      // Let an ongoing stop finish before the files go.
      await new Promise((res) => setTimeout(res, 1000));
      r.cleanup();
      log(`pod ${r.key}: gone`);
    });
  };

  const server = await startKubeletServer({
    port: config.kubeletPort,
    certDir,
    log,
    findPod: (ns, name) => {
      const matches = [...runners.values()].filter((r) => r.pod.metadata.namespace === ns && r.pod.metadata.name === name);
      const r = matches.at(-1);
      if (r) return { dir: r.dir, currentAttempt: (c) => r.currentAttempt(c), attemptRunning: (c, i) => r.attemptRunning(c, i), previousAttempt: (c) => r.previousAttempt(c) };
      return undefined;
    },
  });

  const paramsWatch = watchCollection<KubeObject & { data?: Record<string, string> }>(
    client,
    `/api/v1/namespaces/${EXECUTOR_PARAMS.namespace}/configmaps`,
    { fieldSelector: `metadata.name=${EXECUTOR_PARAMS.name}` },
    {
      sync: (items) => {
        if (items[0]) params = parseParams(items[0].data);
      },
      event: (type, obj) => {
        if (type !== 'DELETED') params = parseParams(obj.data);
      },
    },
    log,
  );
  const pvcWatch = watchCollection<KubeObject & { status?: { phase?: string } }>(
    client,
    '/api/v1/persistentvolumeclaims',
    {},
    {
      sync: (items) => {
        for (const c of items) if (c.status?.phase === 'Bound' && c.metadata.namespace) ensureVolumeDir(c.metadata.namespace, c.metadata.name, config.labDir);
      },
      event: (type, c) => {
        if (type !== 'DELETED' && c.status?.phase === 'Bound' && c.metadata.namespace) {
          const dir = volumeDir(c.metadata.namespace, c.metadata.name, config.labDir);
          if (!existsSync(dir)) {
            ensureVolumeDir(c.metadata.namespace, c.metadata.name, config.labDir);
            log(`volume ${c.metadata.namespace}/${c.metadata.name}: ${dir}`);
          }
        }
      },
    },
    log,
  );
  await paramsWatch.ready;
  const podWatch = watchCollection<Pod>(
    client,
    '/api/v1/pods',
    {},
    {
      sync: (items) => {
        const seen = new Set<string>();
        for (const p of items) {
          if (!ours(p)) continue;
          seen.add(p.metadata.uid);
          track(p);
        }
        for (const uid of [...runners.keys()]) if (!seen.has(uid)) forget(uid);
      },
      event: (type, p) => {
        if (type === 'DELETED') forget(p.metadata.uid);
        else track(p);
      },
    },
    log,
  );
  await Promise.all([podWatch.ready, pvcWatch.ready]);

  const startedAt = new Date().toISOString();
  const writeStatus = () => {
    const s: ExecutorStatusFile = {
      pid: process.pid,
      startedAt,
      updatedAt: new Date().toISOString(),
      restarts: Number(process.env.LAB_SUPERVISED_RESTARTS ?? 0),
      sandbox,
      kubeletEndpoint: `https://127.0.0.1:${config.kubeletPort}`,
      images: params.images,
      apps: params.apps,
      pods: [...runners.values()].map((r) => r.summary()),
    };
    const tmp = `${statusFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
    renameSync(tmp, statusFile);
  };
  writeStatus();
  const statusTimer = setInterval(writeStatus, 2000);
  log(`ready: ${runners.size} pod(s), kubelet port ${config.kubeletPort}, images ${params.images.join(', ')}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    clearInterval(statusTimer);
    podWatch.stop();
    pvcWatch.stop();
    paramsWatch.stop();
    server.close();
    void Promise.race([Promise.all([...runners.values()].map((r) => r.stop('shutdown'))), new Promise((r) => setTimeout(r, 5000))]).finally(() => {
      rmSync(statusFile, { force: true });
      client.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});

