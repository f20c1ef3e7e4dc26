import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { followRepository, normalizeRepoUrl, readRegistry } from './argocd/repos';
import { REFRESH_ANNOTATION, RENDER_ERROR_ANNOTATION, appInstanceName, trackedBy } from './argocd/tracking';
import { restartComponent, startComponent, stopComponent } from './cluster/cluster';
import { LabKubeClient, type KubeObject } from './cluster/kube-http';
import { waitFor } from './lib/wait';
import { readLabJson, readSeedState } from './lab';
import type { GiteaInfo } from './apps/gitea';
import { labDir, labFiles } from './paths';
import { COPY_BROKEN_ANNOTATION, RENEWAL_FAILS_ANNOTATION, copiedSecretOf, writeCertificateSecret, type Certificate } from './cluster/cert-manager';
import { LAB_FIELD_MANAGER, LAB_STATUS_MANAGER, waitForWorkloads } from './cluster/seed';
import { wipeVolumes } from './cluster/volumes';
import { clearJobFaults } from './executor/faults';
import { appCrashOf, clearAppCrashes, defaultCrashOutput, setAppCrash, type AppCrash } from './executor/app-crash';
import { recognizeImage } from '../lib/k8s/recognize';

export {
  clearJobFaults,
  failNextJob,
  fillVolumeOfNextJob,
  hangNextJob,
  killNextJobMidway,
  pendingJobFaults,
  type JobFault,
} from './executor/faults';
export { appConfigDir, appConfigVolume, clearVolumeQuota, corruptVolumeFile, listVolumes, setVolumeQuota, volumeQuotaBytes, type Corruption } from './cluster/volumes';

/**
 * Controls that change the lab's state the way real events would: scaling, crash loops, pod
 * deletion, certificate readiness, an Argo CD sync or a rendering failure, restarts of the API server
 * or etcd alone. Argo CD's sync and health are never written by hand: the lab's Argo CD (lab/argocd)
 * derives them from Git and the objects. Each call returns once the change is visible through the
 * API. Used by tests (import) and by the CLI (`npm run lab -- <command>`).
 */

/** Label that marks objects created by tests; resetLab deletes them. */
export const LAB_TEST_LABEL = 'lab.k8s-nas-panel/test';
/** Label that makes kwok report a pod in CrashLoopBackOff (stage lab/cluster/stages/pod-crash-loop.yaml). */
export const CRASH_LOOP_LABEL = 'lab.k8s-nas-panel/crash-loop';
/** Annotation with the restart count a crash-looping pod reports. */
export const CRASH_LOOP_RESTARTS_ANNOTATION = 'lab.k8s-nas-panel/crash-loop-restarts';

/** Runs fn with an admin client of the running lab. */
export async function withLabClient<T>(fn: (client: LabKubeClient) => Promise<T>): Promise<T> {
  const data = readLabJson();
  if (!data) throw new Error(`the lab is not up (no lab.json in ${labDir()}); run: npm run lab -- up`);
  const client = LabKubeClient.fromCertDir(data.apiServer, labFiles(data.labDir).certs);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
}

interface Pod extends KubeObject {
  metadata: KubeObject['metadata'] & { uid?: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      restartCount: number;
      state?: { waiting?: { reason?: string } };
      lastState?: { terminated?: { exitCode?: number; reason?: string; finishedAt?: string } };
    }[];
  };
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

async function findWorkload(client: LabKubeClient, ns: string, name: string): Promise<Workload | undefined> {
  for (const kind of WORKLOAD_KINDS) {
    const w = await client.get<Workload>('apps/v1', kind, name, ns);
    if (w) return w;
  }
  return undefined;
}

function selectorOf(w: Workload): string {
  return Object.entries(w.spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** True when the pod reports Ready=True. */
export function podReady(p: Pod): boolean {
  return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/**
 * Scales a Deployment or StatefulSet by hand and waits until its status shows the new replica count
 * (all ready when scaling up, no pods left when scaling to 0). When an Argo CD Application with
 * self-heal manages the workload, self-heal is turned off for it first, as a person would in Argo CD
 * (resetLab turns it back on); to see self-heal at work, patch the replicas directly instead.
 */
export async function scaleWorkload(ns: string, name: string, replicas: number, timeoutMs = 60_000): Promise<void> {
  await withLabClient(async (client) => {
    const w = await findWorkload(client, ns, name);
    if (!w || w.kind === 'DaemonSet') throw new Error(`no Deployment or StatefulSet ${ns}/${name}`);
    await pauseSelfHeal(client, w);
    await client.mergePatch({ apiVersion: 'apps/v1', kind: w.kind, name, namespace: ns }, { spec: { replicas } });
    await waitFor(
      `${w.kind} ${ns}/${name} at ${replicas} replicas`,
      async () => {
        const cur = await client.get<Workload>('apps/v1', w.kind, name, ns);
        const s = cur?.status ?? {};
        if (!cur || (s.observedGeneration ?? 0) < Number(cur.metadata.generation ?? 0)) return false;
        if (replicas === 0) {
          const pods = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(cur) });
          return (s.replicas ?? 0) === 0 && pods.length === 0;
        }
        return (s.replicas ?? 0) === replicas && (s.readyReplicas ?? 0) === replicas;
      },
      { timeoutMs },
    );
  });
}

/**
 * Makes a pod crash-loop: kwok reports its containers waiting in CrashLoopBackOff with restarts and
 * Ready=False. `target` is a pod name or a Deployment/StatefulSet/DaemonSet name (one of its ready
 * pods is picked). Resolves with the pod's name once the status is visible.
 */
export async function crashLoopPod(ns: string, target: string, restarts = 5, timeoutMs = 30_000): Promise<string> {
  return withLabClient(async (client) => {
    let pod = await client.get<Pod>('v1', 'Pod', target, ns);
    if (!pod) {
      const w = await findWorkload(client, ns, target);
      if (!w) throw new Error(`no pod or workload ${ns}/${target}`);
      const pods = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(w) });
      pod = pods.filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => Number(podReady(b)) - Number(podReady(a)))[0];
      if (!pod) throw new Error(`workload ${ns}/${target} has no pods`);
    }
    const name = pod.metadata.name;
    await client.mergePatch(
      { apiVersion: 'v1', kind: 'Pod', name, namespace: ns },
      { metadata: { labels: { [CRASH_LOOP_LABEL]: 'true' }, annotations: { [CRASH_LOOP_RESTARTS_ANNOTATION]: String(restarts) } } },
    );
    await waitFor(
      `pod ${ns}/${name} in CrashLoopBackOff`,
      async () => {
        const p = await client.get<Pod>('v1', 'Pod', name, ns);
        const waiting = p?.status?.containerStatuses?.every((c) => c.state?.waiting?.reason === 'CrashLoopBackOff') ?? false;
        return !!p && waiting && !podReady(p);
      },
      { timeoutMs },
    );
    return name;
  });
}

/** What {@link crashApp} did. */
export interface AppCrashResult {
  /** The new pod that crash-loops. */
  pod: string;
  container: string;
  restarts: number;
  crash: AppCrash;
}

async function simulatorOf(ns: string, workload: string): Promise<{ control: (action: string) => Promise<void> } | undefined> {
  const { findSimulator } = await import('./sims/index');
  const sim = findSimulator(labDir(), `${ns}/${workload}`);
  if (!sim) return undefined;
  return {
    control: async (action: string) => {
      const res = await fetch(sim.controlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action }), signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`simulator ${sim.id}: ${action} answered HTTP ${res.status}`);
    },
  };
}

/**
 * Makes an app crash-loop for real (lab/executor/app-crash.ts): its process stops, its pods are
 * replaced, and each run of the new pod's app container prints the app's start-up log ending in the
 * failure (`output`, by default the app's own words for a corrupt database, plus `extraLines`) and
 * exits with `exitCode`; the executor restarts it with the kubelet's back-off. Resolves once the
 * pod is in CrashLoopBackOff after at least `minRestarts` restarts (the failed run's log is then
 * there with `previous=true`).
 */
export async function crashApp(
  ns: string,
  workload: string,
  opts: { exitCode?: number; output?: string[]; extraLines?: string[]; container?: string; runMs?: number; minRestarts?: number; timeoutMs?: number } = {},
): Promise<AppCrashResult> {
  return withLabClient(async (client) => {
    const w = await findWorkload(client, ns, workload);
    if (!w) throw new Error(`no workload ${ns}/${workload}`);
    const { labAppWorkloads } = await import('./apps/restart');
    if (!labAppWorkloads(labDir()).some((a) => a.namespace === ns && a.workload === workload)) {
      throw new Error(`${ns}/${workload} is not served by a lab app (only the apps' workloads run on the lab executor)`);
    }
    const containers = w.spec.template?.spec?.containers ?? [];
    const container = opts.container ?? containers[0]?.name;
    if (!container || !containers.some((c) => c.name === container)) throw new Error(`no container ${opts.container ?? ''} in ${ns}/${workload}`);
    const kind = recognizeImage(containers.find((c) => c.name === container)?.image);
    const crash = setAppCrash(ns, workload, {
      exitCode: opts.exitCode ?? 1,
      output: [...(opts.output ?? defaultCrashOutput(kind, workload)), ...(opts.extraLines ?? [])],
      container,
      runMs: opts.runMs ?? 300,
    });
    const sim = await simulatorOf(ns, workload);
    await sim?.control('stop');
    const old = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(w) });
    for (const p of old) await client.delete('v1', 'Pod', p.metadata.name, ns).catch(() => false);
    const oldNames = new Set(old.map((p) => p.metadata.name));
    const minRestarts = opts.minRestarts ?? 1;
    let found: { pod: string; restarts: number } | undefined;
    await waitFor(
      `a new pod of ${ns}/${workload} in CrashLoopBackOff after ${minRestarts} restart(s)`,
      async () => {
        const pods = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(w) });
        for (const p of pods) {
          if (oldNames.has(p.metadata.name) || p.metadata.deletionTimestamp) continue;
          const st = p.status?.containerStatuses?.find((c) => c.name === container);
          if (st?.state?.waiting?.reason === 'CrashLoopBackOff' && (st.restartCount ?? 0) >= minRestarts && st.lastState?.terminated) {
            found = { pod: p.metadata.name, restarts: st.restartCount ?? 0 };
            return true;
          }
        }
        return false;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000 + minRestarts * 20_000 },
    );
    if (!found) throw new Error('unreachable');
    return { ...found, container, crash };
  });
}

/**
 * Ends a crash set by {@link crashApp}: lifts it, replaces the crash-looping pods, and waits until
 * the workload's new pod is ready (the executor started the app again).
 */
export async function recoverApp(ns: string, workload: string, timeoutMs = 60_000): Promise<void> {
  clearAppCrashes(ns, workload);
  await withLabClient(async (client) => {
    const w = await findWorkload(client, ns, workload);
    if (!w) throw new Error(`no workload ${ns}/${workload}`);
    const old = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(w) });
    for (const p of old) await client.delete('v1', 'Pod', p.metadata.name, ns).catch(() => false);
    const oldNames = new Set(old.map((p) => p.metadata.name));
    await waitFor(
      `${ns}/${workload} ready again`,
      async () => {
        const pods = await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(w) });
        return pods.some((p) => !oldNames.has(p.metadata.name) && !p.metadata.deletionTimestamp && podReady(p));
      },
      { timeoutMs },
    );
  });
}

/** True while a crash is set for the workload. */
export function appCrashing(ns: string, workload: string): boolean {
  return appCrashOf(ns, workload) !== undefined;
}

/** Deletes a pod and waits until that pod (by UID) is gone. */
export async function deletePod(ns: string, name: string, timeoutMs = 30_000): Promise<void> {
  await withLabClient(async (client) => {
    const pod = await client.get<Pod>('v1', 'Pod', name, ns);
    if (!pod) throw new Error(`no pod ${ns}/${name}`);
    await client.delete('v1', 'Pod', name, ns);
    await waitFor(
      `pod ${ns}/${name} deleted`,
      async () => {
        const p = await client.get<Pod>('v1', 'Pod', name, ns);
        return !p || p.metadata.uid !== pod.metadata.uid;
      },
      { timeoutMs },
    );
  });
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** Sets a cert-manager Certificate's Ready condition (reason defaults to Ready / Failed). */
export async function setCertificateReady(ns: string, name: string, ready: boolean, reason?: string): Promise<void> {
  await withLabClient(async (client) => {
    const cert = await client.get<KubeObject & { status?: { conditions?: Condition[] } }>('cert-manager.io/v1', 'Certificate', name, ns);
    if (!cert) throw new Error(`no Certificate ${ns}/${name}`);
    const others = (cert.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const ready_: Condition = {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: reason ?? (ready ? 'Ready' : 'Failed'),
      message: ready ? 'Certificate is up to date and has not expired' : 'The certificate request has failed to complete and will be retried',
      lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      observedGeneration: Number(cert.metadata.generation ?? 1),
    };
    await client.mergePatch(
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name, namespace: ns },
      { status: { conditions: [ready_, ...others] } },
      { subresource: 'status', fieldManager: LAB_STATUS_MANAGER },
    );
    await waitFor(`Certificate ${ns}/${name} Ready=${ready}`, async () => {
      const c = await client.get<KubeObject & { status?: { conditions?: Condition[] } }>('cert-manager.io/v1', 'Certificate', name, ns);
      return c?.status?.conditions?.find((x) => x.type === 'Ready')?.status === (ready ? 'True' : 'False');
    });
  });
}

type CertObj = KubeObject & { spec?: { secretName?: string }; status?: { conditions?: Condition[]; revision?: number; notAfter?: string; failedIssuanceAttempts?: number } };

/**
 * Makes the renewals of a Certificate fail with `message` in the lab's cert-manager (lab/cluster/cert-manager.ts),
 * or succeed again (`message` undefined).
 */
export async function setRenewalFailure(ns: string, name: string, message: string | undefined): Promise<void> {
  await withLabClient(async (client) => {
    await client.mergePatch({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name, namespace: ns }, { metadata: { annotations: { [RENEWAL_FAILS_ANNOTATION]: message ?? null } } });
  });
}

/**
 * Asks the lab's cert-manager for a new certificate, as `cmctl renew` does (Issuing=True through the
 * status subresource), and waits until it answered: a new revision, or a failed issuance.
 */
export async function renewCertificateInLab(ns: string, name: string, timeoutMs = 30_000): Promise<CertObj> {
  return withLabClient(async (client) => {
    const before = await client.get<CertObj>('cert-manager.io/v1', 'Certificate', name, ns);
    if (!before) throw new Error(`no Certificate ${ns}/${name}`);
    const conditions = (before.status?.conditions ?? []).filter((c) => c.type !== 'Issuing');
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    conditions.push({ type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered', lastTransitionTime: at, observedGeneration: Number(before.metadata.generation ?? 1) });
    await client.mergePatch({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name, namespace: ns }, { status: { conditions } }, { subresource: 'status', fieldManager: LAB_STATUS_MANAGER });
    let after: CertObj | undefined;
    await waitFor(`Certificate ${ns}/${name} issued or failed`, async () => {
      after = await client.get<CertObj>('cert-manager.io/v1', 'Certificate', name, ns);
      return after?.status?.conditions?.find((c) => c.type === 'Issuing')?.status !== 'True';
    }, { timeoutMs, intervalMs: 200 });
    return after as CertObj;
  });
}

/**
 * A stale copy: the Secret-copying CronJob (`ns/name`, default the one that copies a Certificate's
 * Secret) stops making its copies, then the Certificate whose Secret it copies is renewed, so the
 * namespaces with copies keep the older certificate, and the hosts served from them show it. Returns
 * once the Certificate has its new revision.
 */
export async function makeCopyStale(cronJob?: { namespace: string; name: string }): Promise<{ cronJob: string; certificate: string; secret: string; revision: number }> {
  const found = await withLabClient(async (client) => {
    const jobs = await client.list<KubeObject>('batch/v1', 'CronJob');
    const job = jobs.find((j) => (cronJob ? j.metadata.namespace === cronJob.namespace && j.metadata.name === cronJob.name : copiedSecretOf(j as Parameters<typeof copiedSecretOf>[0]) !== undefined));
    const source = job ? copiedSecretOf(job as Parameters<typeof copiedSecretOf>[0]) : undefined;
    if (!job || !source) throw new Error(cronJob ? `no Secret-copying CronJob ${cronJob.namespace}/${cronJob.name}` : 'the lab has no Secret-copying CronJob');
    const certs = await client.list<CertObj>('cert-manager.io/v1', 'Certificate', { namespace: source.namespace });
    // The one due first (several Certificates may write one Secret).
    const cert = certs
      .filter((c) => c.spec?.secretName === source.name)
      .sort((a, b) => Date.parse(a.status?.notAfter ?? '') - Date.parse(b.status?.notAfter ?? '') || a.metadata.name.localeCompare(b.metadata.name))[0];
    if (!cert) throw new Error(`no Certificate writes Secret ${source.namespace}/${source.name}`);
    await client.mergePatch({ apiVersion: 'batch/v1', kind: 'CronJob', name: job.metadata.name, namespace: job.metadata.namespace }, { metadata: { annotations: { [COPY_BROKEN_ANNOTATION]: 'true' } } });
    return { job, source, cert };
  });
  const ns = found.cert.metadata.namespace ?? 'default';
  await setRenewalFailure(ns, found.cert.metadata.name, undefined);
  const after = await renewCertificateInLab(ns, found.cert.metadata.name);
  return {
    cronJob: `${found.job.metadata.namespace}/${found.job.metadata.name}`,
    certificate: `${ns}/${found.cert.metadata.name}`,
    secret: `${found.source.namespace}/${found.source.name}`,
    revision: after.status?.revision ?? 0,
  };
}

/** The lab hosts of the TLS cases (lab/apps/tls.ts) Ingresses are made for by {@link addTlsCaseHosts}. */
export const TLS_CASE_HOSTS = { expired: 'expired.home.brettswift.com', mismatch: 'wrong-name.home.brettswift.com', plain: 'plain.home.brettswift.com' } as const;

/**
 * Ingresses (and their Secrets) for the lab's TLS cases, in `namespace`, labelled as test objects
 * (resetLab removes them): `expired.…` served the expired certificate, `wrong-name.…` a certificate
 * naming another host, `plain.…` with no `tls` block (plain HTTP only). Their backend is `service`.
 */
export async function addTlsCaseHosts(namespace = 'media', service = 'sonarr', port = 8989): Promise<typeof TLS_CASE_HOSTS> {
  const data = readLabJson();
  const cases = (data?.apps.tls ?? []) as unknown as { name: string; certFile: string; keyFile: string }[];
  await withLabClient(async (client) => {
    const labels = { [LAB_TEST_LABEL]: 'true' };
    for (const name of ['expired', 'mismatch'] as const) {
      const c = cases.find((x) => x.name === name);
      if (!c) throw new Error(`the lab serves no "${name}" TLS case (apps.tls in lab.json)`);
      await client.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'kubernetes.io/tls',
          metadata: { name: `lab-${name}-tls`, namespace, labels },
          data: { 'tls.crt': readFileSync(c.certFile).toString('base64'), 'tls.key': readFileSync(c.keyFile).toString('base64') },
        } as KubeObject,
        LAB_FIELD_MANAGER,
      );
    }
    const ingress = (name: string, host: string, secret?: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace, labels },
      spec: {
        ingressClassName: 'nginx',
        ...(secret ? { tls: [{ hosts: [host], secretName: secret }] } : {}),
        rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }],
      },
    });
    await client.apply(ingress('lab-expired', TLS_CASE_HOSTS.expired, 'lab-expired-tls'), LAB_FIELD_MANAGER);
    await client.apply(ingress('lab-wrong-name', TLS_CASE_HOSTS.mismatch, 'lab-mismatch-tls'), LAB_FIELD_MANAGER);
    await client.apply(ingress('lab-plain', TLS_CASE_HOSTS.plain), LAB_FIELD_MANAGER);
  });
  return TLS_CASE_HOSTS;
}

interface Claim extends KubeObject {
  spec?: { volumeName?: string };
  status?: { phase?: string };
}

function lostVolumeFile(ns: string, claim: string): string {
  return path.join(labDir(), 'lost-volumes', `${ns}_${claim}.json`);
}

/**
 * Takes a PersistentVolumeClaim's volume away (`lost: true`) or gives it back. The bound
 * PersistentVolume is deleted (its protection finalizer removed, as when a disk is gone) and
 * kept in the lab directory; the cluster's PV controller then reports the claim `Lost`, which
 * Argo CD judges Degraded. Giving it back creates the same PersistentVolume again, and the PV
 * controller binds the claim again (`Bound`).
 */
export async function setClaimLost(ns: string, claim: string, lost: boolean, timeoutMs = 60_000): Promise<void> {
  await withLabClient(async (client) => {
    const pvc = await client.get<Claim>('v1', 'PersistentVolumeClaim', claim, ns);
    if (!pvc) throw new Error(`no PersistentVolumeClaim ${ns}/${claim}`);
    const file = lostVolumeFile(ns, claim);
    if (lost) {
      const name = pvc.spec?.volumeName;
      if (!name) throw new Error(`PersistentVolumeClaim ${ns}/${claim} is not bound to a volume`);
      const pv = await client.get<KubeObject & { spec?: Record<string, unknown> }>('v1', 'PersistentVolume', name);
      if (!pv) throw new Error(`no PersistentVolume ${name}`);
      mkdirSync(path.dirname(file), { recursive: true });
      const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, finalizers: _f, ...meta } = pv.metadata as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta, spec: pv.spec }));
      await client.delete('v1', 'PersistentVolume', name);
      await client.mergePatch({ apiVersion: 'v1', kind: 'PersistentVolume', name }, { metadata: { finalizers: null } });
    } else if (existsSync(file)) {
      const pv = JSON.parse(readFileSync(file, 'utf8')) as KubeObject;
      await waitFor(`PersistentVolume ${pv.metadata.name} gone`, async () => !(await client.get('v1', 'PersistentVolume', pv.metadata.name)), { timeoutMs });
      await client.create(pv);
      rmSync(file, { force: true });
    }
    const phase = lost ? 'Lost' : 'Bound';
    await waitFor(`PersistentVolumeClaim ${ns}/${claim} ${phase}`, async () => (await client.get<Claim>('v1', 'PersistentVolumeClaim', claim, ns))?.status?.phase === phase, { timeoutMs });
  });
}

/** An Argo CD Application as the lab's controls read it. */
export interface LabApplication extends KubeObject {
  spec?: { syncPolicy?: { automated?: { selfHeal?: boolean; prune?: boolean } } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string; comparedTo?: Record<string, unknown> };
    health?: { status?: string; message?: string };
    resources?: { group?: string; version?: string; kind: string; namespace?: string; name: string; status?: string; health?: { status?: string; message?: string }; requiresPruning?: boolean }[];
    summary?: { images?: string[]; externalURLs?: string[] };
    conditions?: { type: string; message: string; lastTransitionTime?: string }[];
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      operation?: { initiatedBy?: { automated?: boolean; username?: string }; sync?: { revision?: string; prune?: boolean } };
      syncResult?: { revision?: string; resources?: { kind: string; name: string; namespace?: string; status?: string; message?: string }[] };
    };
    history?: { id: number; revision: string; deployedAt?: string }[];
    reconciledAt?: string;
    sourceType?: string;
  };
}
type AppObj = LabApplication;

const APP_API = 'argoproj.io/v1alpha1';

/** Annotation the lab puts on an Application whose self-heal it turned off (see scaleWorkload). */
export const SELF_HEAL_PAUSED_ANNOTATION = 'lab.k8s-nas-panel/self-heal-paused';

async function getApplication(client: LabKubeClient, ns: string, name: string): Promise<AppObj> {
  const app = await client.get<AppObj>(APP_API, 'Application', name, ns);
  if (!app) throw new Error(`no Application ${ns}/${name}`);
  return app;
}

/** Reads an Application (sync, health, conditions, operation state) of the running lab. */
export async function readApplication(ns: string, name: string): Promise<AppObj> {
  return withLabClient((client) => getApplication(client, ns, name));
}

/**
 * Waits until an Application's status satisfies `check` (the lab's Argo CD writes it), e.g.
 * `waitForApplication('argocd', 'x', (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced')`.
 */
export async function waitForApplication(ns: string, name: string, check: (app: AppObj) => boolean, what = 'the expected status', timeoutMs = 60_000): Promise<AppObj> {
  return withLabClient(async (client) => {
    let last: AppObj | undefined;
    try {
      return await waitFor(`Application ${ns}/${name}: ${what}`, async () => {
        last = await getApplication(client, ns, name);
        return check(last) ? last : undefined;
      }, { timeoutMs, intervalMs: 200 });
    } catch (err) {
      const st = last?.status;
      throw new Error(
        `${(err as Error).message}; now ${st?.sync?.status ?? '?'} at ${st?.sync?.revision?.slice(0, 7) ?? '?'}, health ${st?.health?.status ?? '?'}` +
          `${st?.operationState ? `, last operation ${st.operationState.phase}: ${st.operationState.message}` : ''}${st?.conditions?.length ? `, ${st.conditions.map((c) => `${c.type}: ${c.message}`).join('; ')}` : ''}`,
      );
    }
  });
}

/**
 * Syncs an Application now, as `argocd app sync` does: it sets the Application's `operation` and the
 * lab's Argo CD runs it. Resolves with the finished operation state (Succeeded, Failed or Error).
 */
export async function syncApplication(ns: string, name: string, opts: { prune?: boolean; timeoutMs?: number } = {}): Promise<NonNullable<NonNullable<AppObj['status']>['operationState']>> {
  const requested = new Date(Math.floor(Date.now() / 1000) * 1000);
  await withLabClient(async (client) => {
    await getApplication(client, ns, name);
    await client.mergePatch(
      { apiVersion: APP_API, kind: 'Application', name, namespace: ns },
      { operation: { initiatedBy: { username: 'lab' }, sync: { ...(opts.prune ? { prune: true } : {}), syncStrategy: { hook: {} } } } },
      { fieldManager: 'argocd-server' },
    );
  });
  const app = await waitForApplication(
    ns,
    name,
    (a) => !a.operation && !!a.status?.operationState?.finishedAt && Date.parse(a.status.operationState.startedAt ?? '') >= requested.getTime(),
    'the requested sync finished',
    opts.timeoutMs ?? 60_000,
  );
  return app.status?.operationState ?? {};
}

/**
 * Asks the lab's Argo CD to compare an Application with Git and the cluster now (Argo CD's refresh
 * annotation; `hard` renders the manifests again). Resolves once it did.
 */
export async function refreshApplication(ns: string, name: string, hard = false): Promise<AppObj> {
  await withLabClient(async (client) => {
    await getApplication(client, ns, name);
    await client.mergePatch({ apiVersion: APP_API, kind: 'Application', name, namespace: ns }, { metadata: { annotations: { [REFRESH_ANNOTATION]: hard ? 'hard' : 'normal' } } });
  });
  return waitForApplication(ns, name, (a) => !a.metadata.annotations?.[REFRESH_ANNOTATION], 'refreshed');
}

/**
 * Makes the lab's Argo CD follow another copy of the GitOps repository for the repoURLs of the
 * seeded Applications (the lab's Gitea, when the panel works against Gitea), or, without
 * `bareDir`, the lab's Git server again. Resolves once the Applications were compared with it.
 */
export async function followGitopsRepository(bareDir?: string): Promise<void> {
  const urls = new Set(followRepository(labDir(), 'gitops', bareDir).map(normalizeRepoUrl));
  const apps = await withLabClient((client) => client.list<AppObj & { spec?: { source?: { repoURL?: string } } }>(APP_API, 'Application'));
  await Promise.all(
    apps
      .filter((a) => a.spec?.source?.repoURL && urls.has(normalizeRepoUrl(a.spec.source.repoURL)))
      .map((a) => refreshApplication(a.metadata.namespace ?? 'argocd', a.metadata.name)),
  );
}

/**
 * Gitea's own copy of the GitOps repository on disk (`<labDir>/gitea/repositories/<owner>/<repo>.git`;
 * Gitea keeps owner and repository names in lower case), for {@link followGitopsRepository}.
 * Throws when the lab runs no Gitea.
 */
export function giteaGitopsBareDir(): string {
  const gitea = readLabJson()?.apps.gitea as { workDir?: string; owner?: string; repo?: string } | undefined;
  if (!gitea?.workDir || !gitea.owner || !gitea.repo) throw new Error('the lab runs no Gitea (apps.gitea in lab.json): start the lab without LAB_GITEA=0');
  return path.join(gitea.workDir, 'repositories', gitea.owner.toLowerCase(), `${gitea.repo.toLowerCase()}.git`);
}

/**
 * Puts the lab's Gitea back to the imported repository: open pull requests closed, branches other
 * than the imported ones deleted, the imported ones at the import commit again, labels removed.
 */
export async function resetGitea(): Promise<void> {
  const data = readLabJson();
  const gitea = data?.apps.gitea as GiteaInfo | undefined;
  if (!gitea) throw new Error('the lab runs no Gitea (apps.gitea in lab.json): start the lab without LAB_GITEA=0');
  const { GiteaControls } = await import('./apps/gitea-controls');
  await new GiteaControls(gitea, (data?.apps.git as { bareDir?: string } | undefined)?.bareDir).reset();
}

/**
 * Makes rendering fail for one Application, as a broken repo server would: the lab's Argo CD reports
 * `Unknown` with a ComparisonError carrying `message` and applies nothing until
 * {@link restoreRendering}. Resolves once the status shows it.
 */
export async function failRendering(ns: string, name: string, message: string): Promise<AppObj> {
  await withLabClient(async (client) => {
    await getApplication(client, ns, name);
    await client.mergePatch({ apiVersion: APP_API, kind: 'Application', name, namespace: ns }, { metadata: { annotations: { [RENDER_ERROR_ANNOTATION]: message } } });
  });
  return waitForApplication(ns, name, (a) => !!a.status?.conditions?.some((c) => c.type === 'ComparisonError' && c.message.includes(message)), 'a ComparisonError');
}

/** Undoes {@link failRendering}; resolves once the ComparisonError is gone. */
export async function restoreRendering(ns: string, name: string): Promise<AppObj> {
  await withLabClient(async (client) => {
    await client.mergePatch({ apiVersion: APP_API, kind: 'Application', name, namespace: ns }, { metadata: { annotations: { [RENDER_ERROR_ANNOTATION]: null } } });
  });
  return waitForApplication(ns, name, (a) => !a.status?.conditions?.some((c) => c.type === 'ComparisonError'), 'no ComparisonError');
}

/**
 * Turns self-heal off for the Application that manages a workload, as one does in Argo CD before
 * scaling by hand (otherwise Argo CD puts the replicas in Git back within seconds). Marked with an
 * annotation so resetLab turns it back on. Returns the Application's name, if any manages it.
 */
async function pauseSelfHeal(client: LabKubeClient, workload: KubeObject): Promise<string | undefined> {
  const instance = trackedBy(workload);
  if (!instance) return undefined;
  const apps = await client.list<AppObj>(APP_API, 'Application');
  const app = apps.find((a) => appInstanceName(a) === instance);
  if (!app?.spec?.syncPolicy?.automated?.selfHeal) return app?.metadata.name;
  await client.mergePatch(
    { apiVersion: APP_API, kind: 'Application', name: app.metadata.name, namespace: app.metadata.namespace },
    { metadata: { annotations: { [SELF_HEAL_PAUSED_ANNOTATION]: 'true' } }, spec: { syncPolicy: { automated: { selfHeal: false } } } },
  );
  return app.metadata.name;
}

/** Restart controls of the control plane: each keeps etcd's data, the certificates and the service-account keys. */
export async function restartApiServer(log: (msg: string) => void = () => {}): Promise<void> {
  await restartComponent(labDir(), 'kube-apiserver', log);
}

/** Restarts etcd alone; its data directory is kept, so the cluster keeps every object. */
export async function restartEtcd(log: (msg: string) => void = () => {}): Promise<void> {
  const dir = labDir();
  await restartComponent(dir, 'etcd', log);
  await waitForApiServer(dir);
}

/** Stops the API server (and only it) until {@link startApiServer}. */
export async function stopApiServer(log: (msg: string) => void = () => {}): Promise<void> {
  await stopComponent(labDir(), 'kube-apiserver', log);
}

/** Starts the API server stopped by {@link stopApiServer}, with the same flags, keys and data. */
export async function startApiServer(log: (msg: string) => void = () => {}): Promise<void> {
  await startComponent(labDir(), 'kube-apiserver', log);
}

async function waitForApiServer(dir: string, timeoutMs = 60_000): Promise<void> {
  const data = readLabJson(dir);
  if (!data) throw new Error(`the lab is not up (no lab.json in ${dir})`);
  const client = LabKubeClient.fromCertDir(data.apiServer, labFiles(dir).certs);
  try {
    await waitFor('kube-apiserver /readyz', async () => (await client.raw({ path: '/readyz', timeoutMs: 3000 }).catch(() => undefined))?.status === 200, { timeoutMs });
  } finally {
    client.close();
  }
}

/**
 * Restarts the lab app serving a workload (a simulator, or the real qBittorrent) with the same
 * ports and configuration, as a new pod of the workload would. Resolves with what was restarted.
 */
export async function restartApp(namespace: string, workload: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  const { restartApp: restart } = await import('./apps/restart');
  const r = await restart(namespace, workload, { labDir: labDir(), log });
  return r.restarted.map((x) => x.detail);
}

/** What resetLab changed. */
export interface ResetReport {
  deleted: string[];
  rescaled: string[];
  restartedPods: string[];
  statuses: number;
  /** Volumes emptied (reset with `volumes: true`). */
  wipedVolumes: string[];
  /** Apps started on their emptied volume by the reset itself, not by a new pod (reset with `volumes: true`). */
  startedApps: string[];
  /** Job faults that were still waiting and were dropped. */
  droppedFaults: number;
  /** Applications given back their self-heal or their rendering. */
  applications: string[];
}

/**
 * Restores the seeded state between test files: deletes objects labelled lab.k8s-nas-panel/test=true
 * (any kind), drops Job faults still waiting, gives Applications back the self-heal scaleWorkload
 * turned off and the rendering failRendering broke, restores workload replicas, replaces
 * crash-looping pods, rewrites the recorded Certificate/Issuer statuses, and waits until every
 * seeded workload is ready again. Volumes keep their files unless `volumes` is set: then the apps
 * stop, the volumes are emptied and the pods of the apps' workloads replaced, so each app starts on
 * an empty volume after its init containers ran (apps without a pod are started by the reset);
 * every app is back with the files it seeds on a first start when the reset resolves.
 */
export async function resetLab(log: (msg: string) => void = () => {}, opts: { volumes?: boolean } = {}): Promise<ResetReport> {
  const state = readSeedState();
  if (!state) throw new Error(`the lab has no seed state in ${labDir()}; run: npm run lab -- up`);
  return withLabClient(async (client) => {
    const report: ResetReport = { deleted: [], rescaled: [], restartedPods: [], statuses: 0, wipedVolumes: [], startedApps: [], droppedFaults: clearJobFaults(), applications: [] };
    const selector = `${LAB_TEST_LABEL}=true`;
    const skip = new Set(['Event', 'Binding', 'TokenReview', 'SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SelfSubjectReview', 'ComponentStatus']);
    const mappings = (await client.preferredMappings()).filter((m) => !skip.has(m.kind) && m.verbs.includes('list') && m.verbs.includes('delete'));
    await Promise.all(
      mappings.map(async (m) => {
        const apiVersion = m.group ? `${m.group}/${m.version}` : m.version;
        const items = await client.list(apiVersion, m.kind, { labelSelector: selector }).catch(() => []);
        for (const o of items) {
          await client.delete(apiVersion, m.kind, o.metadata.name, o.metadata.namespace, { propagationPolicy: 'Background' }).catch(() => false);
          report.deleted.push(`${m.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
        }
      }),
    );
    for (const w of state.workloads) {
      if (w.kind === 'DaemonSet') continue;
      const cur = await client.get<Workload>(w.apiVersion, w.kind, w.name, w.namespace);
      if (cur && (cur.spec.replicas ?? 1) !== w.replicas) {
        await client.mergePatch({ apiVersion: w.apiVersion, kind: w.kind, name: w.name, namespace: w.namespace }, { spec: { replicas: w.replicas } });
        report.rescaled.push(`${w.namespace}/${w.name}`);
      }
    }
    // Pods replaced here: the reset is done when they are gone, not only when their successors are ready.
    const replaced: Pod[] = [];
    const replace = async (p: Pod) => {
      await client.delete('v1', 'Pod', p.metadata.name, p.metadata.namespace).catch(() => false);
      replaced.push(p);
      report.restartedPods.push(`${p.metadata.namespace}/${p.metadata.name}`);
    };
    for (const key of clearAppCrashes()) {
      const [ns, name] = key.split('/') as [string, string];
      const wl = await findWorkload(client, ns, name);
      if (!wl) continue;
      for (const p of await client.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: selectorOf(wl) })) await replace(p);
    }
    for (const p of await client.list<Pod>('v1', 'Pod', { labelSelector: `${CRASH_LOOP_LABEL}=true` })) await replace(p);
    const appsModule = opts.volumes ? await import('./apps/restart') : undefined;
    if (appsModule) {
      // As in a cluster: the apps' processes stop before their volumes change, and their new pods
      // run the init containers on the emptied volumes before the apps start again.
      const { labAppWorkloads, stopVolumeApps } = appsModule;
      await stopVolumeApps(labDir(), log);
      report.wipedVolumes = wipeVolumes().map((v) => `${v.namespace}/${v.claim}`);
      const seen = new Set<string>();
      for (const w of labAppWorkloads(labDir())) {
        const key = `${w.namespace}/${w.workload}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const wl = await findWorkload(client, w.namespace, w.workload);
        if (!wl) continue;
        for (const p of await client.list<Pod>('v1', 'Pod', { namespace: w.namespace, labelSelector: selectorOf(wl) })) await replace(p);
      }
    }
    const gitops = readRegistry(labDir()).repositories.find((r) => r.name === 'gitops');
    if (gitops?.importedBareDir && gitops.bareDir !== gitops.importedBareDir) {
      followRepository(labDir(), 'gitops', undefined);
      report.applications.push(`(Argo CD follows ${gitops.importedBareDir} again)`);
    }
    const apps = await client.list<AppObj>(APP_API, 'Application').catch(() => [] as AppObj[]);
    for (const a of apps) {
      const ann = a.metadata.annotations ?? {};
      if (!ann[SELF_HEAL_PAUSED_ANNOTATION] && !ann[RENDER_ERROR_ANNOTATION]) continue;
      const patch: Record<string, unknown> = { metadata: { annotations: { [SELF_HEAL_PAUSED_ANNOTATION]: null, [RENDER_ERROR_ANNOTATION]: null } } };
      if (ann[SELF_HEAL_PAUSED_ANNOTATION]) patch.spec = { syncPolicy: { automated: { selfHeal: true } } };
      await client.mergePatch({ apiVersion: APP_API, kind: 'Application', name: a.metadata.name, namespace: a.metadata.namespace }, patch);
      report.applications.push(a.metadata.name);
    }
    // The lab's cert-manager issues again and the copying CronJobs copy again.
    for (const c of await client.list<KubeObject>('cert-manager.io/v1', 'Certificate').catch(() => [] as KubeObject[])) {
      if (c.metadata.annotations?.[RENEWAL_FAILS_ANNOTATION] === undefined) continue;
      await client.mergePatch({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: c.metadata.name, namespace: c.metadata.namespace }, { metadata: { annotations: { [RENEWAL_FAILS_ANNOTATION]: null } } });
    }
    for (const j of await client.list<KubeObject>('batch/v1', 'CronJob').catch(() => [] as KubeObject[])) {
      if (j.metadata.annotations?.[COPY_BROKEN_ANNOTATION] === undefined) continue;
      await client.mergePatch({ apiVersion: 'batch/v1', kind: 'CronJob', name: j.metadata.name, namespace: j.metadata.namespace }, { metadata: { annotations: { [COPY_BROKEN_ANNOTATION]: null } } });
    }
    for (const s of state.statuses) {
      const ref = { apiVersion: s.apiVersion, kind: s.kind, name: s.name, namespace: s.namespace };
      const exists = await client.get(s.apiVersion, s.kind, s.name, s.namespace);
      if (!exists) continue;
      // Conditions and lists are replaced wholesale by a merge patch, so the seeded status comes back exactly.
      await client.mergePatch(ref, { status: s.status }, { subresource: s.subresource ? 'status' : undefined, fieldManager: LAB_STATUS_MANAGER });
      report.statuses++;
      // A Certificate renewed since: its Secret gets a certificate of the seeded window again.
      const st = s.status as { notBefore?: string; notAfter?: string; revision?: number };
      const cur = exists as Certificate;
      if (s.kind === 'Certificate' && st.notBefore && st.notAfter && cur.status?.revision !== st.revision) {
        await writeCertificateSecret(client, labFiles().certs, cur, new Date(st.notBefore), new Date(st.notAfter));
      }
    }
    await waitForWorkloads(client, state.workloads, log, 90_000);
    if (replaced.length) {
      await waitFor(`the ${replaced.length} replaced pod(s) gone`, async () => {
        for (const p of replaced) {
          const cur = await client.get<Pod>('v1', 'Pod', p.metadata.name, p.metadata.namespace);
          if (cur && cur.metadata.uid === p.metadata.uid) return false;
        }
        return true;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    }
    // Apps no pod started again (no workload in the manifests, or none running) start on their emptied volume.
    if (appsModule) report.startedApps = await appsModule.startStoppedApps(labDir(), log);
    if (report.deleted.length) {
      await waitFor('test objects deleted', async () => {
        for (const m of mappings.filter((x) => x.kind === 'Namespace')) {
          const left = await client.list('v1', m.kind, { labelSelector: selector });
          if (left.length > 0) return false;
        }
        return true;
      }, { timeoutMs: 60_000 });
    }
    return report;
  });
}
