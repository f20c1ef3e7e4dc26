import "server-only";
import { z } from "zod";
import { BACKUP_ACTION_ANNOTATION, BACKUP_CLAIM_ANNOTATION, BACKUP_LABEL, BACKUP_OF, configHostPath, GENERIC_CONFIG_VOLUME } from "@/lib/backups/config-volume";
import { protectionCounts, protectionOf, protectionSentence } from "@/lib/backups/protection";
import { parseScriptOutput } from "@/lib/backups/results";
import { cronIntervalHours } from "@/lib/backups/schedule";
import type { BackupRecord, ProtectionMethod, ServiceProtection } from "@/lib/backups/types";
import { veleroView, type VeleroView } from "@/lib/backups/velero";
import { AppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import { getAppModule } from "@/server/apps/registry";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { clusterSnapshot, getKubeConfig, listServices } from "@/server/k8s";
import { kubeGet, kubeGetText, kubeWrite } from "@/server/k8s/rest";
import { withServiceClaim } from "./claims";
import { backupHistoryPage, lastRuns, recordJobRun, runOfJob, type HistoryCursor } from "./history";
import { refreshAppBackups } from "./app-restore";
import { rememberProtection } from "./metrics";

/** The panel's cluster credentials (server/k8s). */
export type KubeConfig = NonNullable<ReturnType<typeof getKubeConfig>>;

export const TIMEOUT = { timeoutMs: 10_000 };

const metaSchema = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    creationTimestamp: z.string().optional(),
    ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() }).loose()).optional(),
  })
  .loose();

const cronJobSchema = z
  .object({
    metadata: metaSchema,
    spec: z
      .object({
        schedule: z.string(),
        suspend: z.boolean().optional(),
        jobTemplate: z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).loose().optional(), spec: z.record(z.string(), z.unknown()) }).loose(),
      })
      .loose(),
  })
  .loose();
export type CronJob = z.infer<typeof cronJobSchema>;

const jobSchema = z
  .object({
    metadata: metaSchema,
    spec: z.object({ template: z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }).loose().optional() }).loose().optional() }).loose().optional(),
    status: z
      .object({
        startTime: z.string().optional(),
        completionTime: z.string().optional(),
        succeeded: z.number().optional(),
        failed: z.number().optional(),
        active: z.number().optional(),
        conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: z.string().optional() }).loose()).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();
export type Job = z.infer<typeof jobSchema>;

export const podListSchema = z.object({
  items: z.array(
    z.object({ metadata: metaSchema, status: z.object({ phase: z.string().optional() }).loose().optional(), spec: z.object({ initContainers: z.array(z.object({ name: z.string() }).loose()).optional() }).loose().optional() }).loose(),
  ),
});
const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export function kc(): KubeConfig {
  const config = getKubeConfig();
  if (!config) throw new AppError("invalid_input", "The panel has no cluster configured (kubernetes.mode: none): volume backups run as Kubernetes Jobs.", { source: "kubernetes" });
  return config;
}

const selector = `${BACKUP_LABEL}=true`;
/** Annotation on a Job the panel made: why (`manual`, `pre-restore`). */
export const TRIGGER_ANNOTATION = "k8s-nas-panel/backup-trigger";
/** Annotation on a Job the panel made: who asked for it. */
export const STARTED_BY_ANNOTATION = "k8s-nas-panel/started-by";

export async function listCronJobs(k: KubeConfig, ns: string): Promise<CronJob[]> {
  const list = await kubeGet(k, `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/cronjobs`, listOf(cronJobSchema), { ...TIMEOUT, query: { labelSelector: selector } });
  return list.items;
}

export async function listJobs(k: KubeConfig, ns: string): Promise<Job[]> {
  const list = await kubeGet(k, `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`, listOf(jobSchema), { ...TIMEOUT, query: { labelSelector: selector } });
  return list.items;
}

const time = (t: string | undefined): number | null => (t ? Date.parse(t) : null);

/** The workload a backup Job protects (its label), and the CronJob it came from. */
export function jobFacts(job: Job): { workload?: string; cronJob?: string; action: string } {
  const labels = job.metadata.labels ?? {};
  const owner = job.metadata.ownerReferences?.find((o) => o.kind === "CronJob")?.name;
  return { workload: labels[BACKUP_OF], ...(owner ? { cronJob: owner } : {}), action: job.metadata.annotations?.[BACKUP_ACTION_ANNOTATION] ?? "backup" };
}

export function jobState(job: Job): { result: "running" | "succeeded" | "failed"; finishedAt: number | null; reason?: string } {
  const s = job.status ?? {};
  const failed = s.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  if ((s.succeeded ?? 0) > 0) return { result: "succeeded", finishedAt: time(s.completionTime) ?? Date.now() };
  if (failed) return { result: "failed", finishedAt: time(failed.lastTransitionTime) ?? Date.now(), reason: [failed.reason, failed.message].filter(Boolean).join(": ") };
  return { result: "running", finishedAt: null };
}

/** The pod of a Job (the newest) and its log, read through the API server. */
export async function jobLog(namespace: string, jobName: string): Promise<{ pod?: string; log: string }> {
  const k = kc();
  const pods = await kubeGet(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, podListSchema, { ...TIMEOUT, query: { labelSelector: `job-name=${jobName}` } });
  const pod = pods.items.sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "")).at(-1);
  if (!pod) return { log: "" };
  try {
    const { text: log } = await kubeGetText(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log`, { ...TIMEOUT, query: { container: "backup" } });
    return { pod: pod.metadata.name, log };
  } catch (error) {
    // A pod that has not started yet has no log.
    if (pod.status?.phase === "Pending") return { pod: pod.metadata.name, log: "" };
    throw error;
  }
}

/** Records what a backup Job did (once it finished, with what its log says), so the history outlives the Job. */
export async function syncJob(namespace: string, job: Job, cronJobs: CronJob[]): Promise<void> {
  const uid = job.metadata.uid;
  const facts = jobFacts(job);
  if (!uid || !facts.workload || facts.action !== "backup") return;
  const known = runOfJob(getDb(), uid);
  if (known?.finished) return;
  const state = jobState(job);
  const startedAt = time(job.status?.startTime) ?? time(job.metadata.creationTimestamp) ?? Date.now();
  const manual = job.metadata.annotations?.["cronjob.kubernetes.io/instantiate"] === "manual";
  const preRestore = job.metadata.annotations?.[TRIGGER_ANNOTATION] === "pre-restore";
  const cron = cronJobs.find((c) => c.metadata.name === facts.cronJob);
  const claim = cron?.metadata.annotations?.[BACKUP_CLAIM_ANNOTATION];
  let extra: Partial<Parameters<typeof recordJobRun>[1]> = {};
  if (state.result !== "running") {
    const { log } = await jobLog(namespace, job.metadata.name).catch(() => ({ log: "" }));
    const out = parseScriptOutput(log).result;
    if (out?.ok && out.archive) {
      extra = {
        archive: out.archive,
        ...(out.size !== undefined ? { sizeBytes: out.size } : {}),
        ...(out.sha256 ? { sha256: out.sha256 } : {}),
        ...(out.files !== undefined ? { files: out.files } : {}),
        location: `${namespace}/${claim ?? "backup volume"}: ${out.archive}`,
        // The script checks the archive it wrote against its manifest before it reports ok.
        verification: "unverified",
      };
    } else if (out && !out.ok) {
      extra = { reason: `${out.step ? `${out.step}: ` : ""}${out.error ?? "the backup script failed"}` };
    }
    if (state.result === "succeeded" && !(out?.ok && out.archive)) {
      state.result = "failed";
      state.reason = "the Job succeeded but its log has no archive (was the log lost?)";
    }
  }
  recordJobRun(getDb(), {
    serviceId: `${namespace}/${facts.workload}`,
    trigger: preRestore ? "pre-restore" : manual ? "manual" : "scheduled",
    startedAt,
    finishedAt: state.finishedAt,
    result: state.result,
    ...(state.reason ? { reason: state.reason } : {}),
    ...extra,
    jobNamespace: namespace,
    jobName: job.metadata.name,
    jobUid: uid,
    ...(job.metadata.annotations?.[STARTED_BY_ANNOTATION] ? { actor: job.metadata.annotations[STARTED_BY_ANNOTATION] } : {}),
  });
}

/** What the Backups page shows. */
export interface BackupsView {
  services: ServiceProtection[];
  /** One page of the history, newest first (`HISTORY_PAGE` rows). */
  backups: BackupRecord[];
  /** Where the next, older page starts, when there is one. */
  older?: HistoryCursor;
  /** Namespaces that could not be read, with the reason. */
  errors: string[];
  /** Services whose own backups (source `app`) the app can restore through its API. */
  appRestorable: string[];
  /** Running backup Jobs, by service id. */
  running: Record<string, { namespace: string; job: string; startedAt: number }>;
  /** Velero's Backups and Schedules (read-only, from the informers); empty when Velero is not installed. */
  velero: VeleroView;
}

interface ClusterBackups {
  cronJobs: Map<string, CronJob[]>;
  jobs: Map<string, Job[]>;
  errors: string[];
}

const clusterHolder = globalThis as typeof globalThis & { __panelBackupCluster?: { at: number; value: Promise<ClusterBackups> } };
/** How long one read of the backup CronJobs and Jobs serves the pages (the panel's own Job creations start a new one). */
const CLUSTER_TTL_MS = 2000;

/** The backup CronJobs and Jobs, read at most every 2 s (concurrent pages share one read). */
function readClusterShared(): Promise<ClusterBackups> {
  const hit = clusterHolder.__panelBackupCluster;
  if (hit && Date.now() - hit.at < CLUSTER_TTL_MS) return hit.value;
  const value = readCluster();
  clusterHolder.__panelBackupCluster = { at: Date.now(), value };
  void value.catch(() => {
    if (clusterHolder.__panelBackupCluster?.value === value) delete clusterHolder.__panelBackupCluster;
  });
  return value;
}

async function readCluster(): Promise<ClusterBackups> {
  const k = kc();
  const out: ClusterBackups = { cronJobs: new Map(), jobs: new Map(), errors: [] };
  await Promise.all(
    getConfig().backups.namespaces.map(async (ns) => {
      try {
        const [cronJobs, jobs] = await Promise.all([listCronJobs(k, ns), listJobs(k, ns)]);
        out.cronJobs.set(ns, cronJobs);
        out.jobs.set(ns, jobs);
        await Promise.all(jobs.map((j) => syncJob(ns, j, cronJobs).catch((error: unknown) => out.errors.push(`${ns}/${j.metadata.name}: ${(error as Error).message}`))));
      } catch (error) {
        out.errors.push(`${ns}: ${(error as Error).message}`);
      }
    }),
  );
  return out;
}

function holdsState(s: DiscoveredService): boolean {
  return s.pvcs.length > 0 || getAppModule(s.appKind)?.configVolume !== undefined;
}

/** "Enable backups" for a service whose configuration is, or is not, on a host path. */
function hostPathEnable(hostPath: string | undefined, appBackups: boolean): ServiceProtection["enable"] {
  if (hostPath === undefined) return { offered: true };
  return {
    offered: false,
    reason: `its configuration is on the node (hostPath ${hostPath}), which the backup Jobs may not mount: move it to a PersistentVolumeClaim${appBackups ? ", or rely on the app's own backups" : ""}`,
  };
}

/** Rows of the history on one page of the Backups page. */
export const HISTORY_PAGE = 50;

/** Every service's protection, one page of the history (the newest, or the one older than `before`), and what runs now. */
export async function backupsView(now = Date.now(), opts: { before?: HistoryCursor } = {}): Promise<BackupsView> {
  const [cluster, services, appErrors] = await Promise.all([readClusterShared(), listServices(), refreshAppBackups()]);
  const db = getDb();
  const last = lastRuns(db);
  const running: BackupsView["running"] = {};
  for (const [ns, jobs] of cluster.jobs) {
    for (const j of jobs) {
      const f = jobFacts(j);
      if (f.workload && jobState(j).result === "running") running[`${ns}/${f.workload}`] = { namespace: ns, job: j.metadata.name, startedAt: time(j.status?.startTime) ?? now };
    }
  }
  const list: ServiceProtection[] = [];
  const snapshot = clusterSnapshot();
  const workloads = { Deployment: snapshot.deployments, StatefulSet: snapshot.statefulsets, DaemonSet: snapshot.daemonsets };
  /** Where on the node the service keeps its configuration, when it is a hostPath volume (no backup Job may mount it). */
  const hostPathOf = (s: DiscoveredService): string | undefined => {
    const w = workloads[s.workloadKind].find((x) => x.metadata?.namespace === s.namespace && x.metadata?.name === s.name);
    const main = s.containerSpecs?.find((c) => c.main)?.name;
    return configHostPath(w?.spec?.template?.spec as Parameters<typeof configHostPath>[0], main, (getAppModule(s.appKind)?.configVolume ?? GENERIC_CONFIG_VOLUME).mountPath);
  };
  for (const s of services) {
    if (s.namespace === "kube-system") continue;
    const crons = (cluster.cronJobs.get(s.namespace) ?? []).filter((c) => c.metadata.annotations?.[BACKUP_OF] === s.name);
    const methods: ProtectionMethod[] = crons.map((c) => ({
      kind: "volume",
      cronJob: `${s.namespace}/${c.metadata.name}`,
      schedule: c.spec.schedule,
      suspended: c.spec.suspend === true,
      ...(c.metadata.annotations?.[BACKUP_CLAIM_ANNOTATION] ? { backupClaim: c.metadata.annotations[BACKUP_CLAIM_ANNOTATION] } : {}),
      intervalHours: cronIntervalHours(c.spec.schedule),
      restoreReady: true,
    }));
    const state = holdsState(s);
    const inBackupNamespace = getConfig().backups.namespaces.includes(s.namespace);
    const runs = last.get(s.id);
    const p = protectionOf({
      service: { id: s.id, namespace: s.namespace, name: s.name, displayName: s.displayName },
      holdsState: state,
      methods,
      ...(runs?.lastGood ? { lastGood: runs.lastGood } : {}),
      ...(runs?.lastRun ? { lastRun: runs.lastRun } : {}),
      now,
      ...(crons.length > 0 ? { backupNow: "volume" as const } : {}),
      enable:
        crons.length > 0
          ? { offered: false, reason: "it has a backup CronJob" }
          : !state
            ? { offered: false, reason: "no configuration volume" }
            : !inBackupNamespace
              ? { offered: false, reason: `${s.namespace} is not one of the namespaces that hold backups (backups.namespaces)` }
              : hostPathEnable(hostPathOf(s), getAppModule(s.appKind)?.restore !== undefined),
    });
    const busy = running[s.id];
    list.push(busy ? { ...p, busy: { kind: "backup", id: busy.job, startedAt: busy.startedAt } } : p);
  }
  list.sort((a, b) => a.serviceId.localeCompare(b.serviceId));
  rememberProtection(list);
  const history = backupHistoryPage(db, { limit: HISTORY_PAGE, ...(opts.before ? { before: opts.before } : {}) });
  const appRestorable = services.filter((s) => getAppModule(s.appKind)?.restore !== undefined).map((s) => s.id);
  const velero = veleroView(snapshot.velerobackups ?? [], snapshot.veleroschedules ?? [], services);
  return { services: list, backups: history.backups, ...(history.older ? { older: history.older } : {}), errors: [...cluster.errors, ...appErrors], running, appRestorable, velero };
}

/**
 * "Back up now" for a service with a backup CronJob: a Job made from the CronJob's template, as
 * `kubectl create job --from=cronjob/...` makes it (the CronJob as its owner). A second backup of
 * the same service while one runs, or while a restore, its preview or a drill works on it, is
 * refused, also when both triggers come at the same moment.
 */
export async function backupNow(serviceId: string, actor: string): Promise<{ namespace: string; job: string; cronJob: string }> {
  const [namespace, name] = serviceId.split("/") as [string, string | undefined];
  if (!name) throw new AppError("invalid_input", `${serviceId} is not namespace/name.`);
  if (!getConfig().backups.namespaces.includes(namespace)) throw new AppError("invalid_input", `${namespace} is not one of the namespaces that hold backups (backups.namespaces).`);
  const k = kc();
  // Held until the Job exists; from then on the running Job refuses the next trigger.
  return withServiceClaim(serviceId, "backup", actor, async () => {
    const [crons, jobs] = await Promise.all([listCronJobs(k, namespace), listJobs(k, namespace)]);
    const cron = crons.find((c) => c.metadata.annotations?.[BACKUP_OF] === name);
    if (!cron) throw new AppError("not_found", `${serviceId} has no backup CronJob: enable backups first (a pull request adds it).`);
    const busy = jobs.find((j) => jobFacts(j).workload === name && jobState(j).result === "running");
    if (busy) throw new AppError("conflict", `A backup or restore of ${serviceId} is running (Job ${busy.metadata.name}); wait until it ends.`);
    const jobName = await createJobFromCronJob(k, namespace, cron, { action: "backup", actor, trigger: "manual" });
    return { namespace, job: jobName, cronJob: cron.metadata.name };
  });
}

/** The state of one backup Job and its live log, for the page's progress panel. */
export async function jobProgress(namespace: string, jobName: string): Promise<{ state: "running" | "succeeded" | "failed"; reason?: string; log: string; pod?: string; backup?: BackupRecord }> {
  if (!getConfig().backups.namespaces.includes(namespace)) throw new AppError("invalid_input", `${namespace} does not hold backups.`);
  const k = kc();
  const jobs = await listJobs(k, namespace);
  const job = jobs.find((j) => j.metadata.name === jobName);
  if (!job) throw new AppError("not_found", `No backup Job ${namespace}/${jobName}.`);
  const state = jobState(job);
  const { log, pod } = await jobLog(namespace, jobName).catch((error: unknown) => ({ log: `(the log cannot be read: ${(error as Error).message})`, pod: undefined }));
  let backup: BackupRecord | undefined;
  if (state.result !== "running") {
    const crons = await listCronJobs(k, namespace);
    await syncJob(namespace, job, crons);
    backup = job.metadata.uid ? runOfJob(getDb(), job.metadata.uid) : undefined;
  }
  return { state: backup?.result === "failed" ? "failed" : state.result, ...(backup?.reason ? { reason: backup.reason } : state.reason ? { reason: state.reason } : {}), log, ...(pod ? { pod } : {}), ...(backup ? { backup } : {}) };
}


/**
 * A Job made from a backup CronJob's template (what `kubectl create job --from=cronjob/...` makes:
 * the CronJob as its owner), its backup container's environment set for `action` (verify, stage,
 * preview, a pre-restore backup): every Job the panel creates is one of these.
 */
export async function createJobFromCronJob(
  k: KubeConfig,
  namespace: string,
  cron: CronJob,
  opts: { action: "backup" | "verify" | "stage" | "preview"; actor: string; trigger: "manual" | "pre-restore" | "restore"; env?: Record<string, string> },
): Promise<string> {
  if (!cron.metadata.uid) throw new AppError("invalid_response", `The CronJob ${cron.metadata.name} has no UID.`);
  const workload = cron.metadata.annotations?.[BACKUP_OF] ?? "";
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(2, 14);
  const word = opts.action === "backup" ? (opts.trigger === "pre-restore" ? "pre" : "now") : opts.action;
  const suffix = `-${word}-${stamp}${Math.floor(Math.random() * 36 ** 2).toString(36).padStart(2, "0")}`;
  const jobName = `${cron.metadata.name.slice(0, 63 - suffix.length)}${suffix}`;
  const template = cron.spec.jobTemplate;
  const spec = structuredClone(template.spec) as { template?: { spec?: { containers?: Array<{ name?: string; env?: Array<{ name: string; value?: string }> }> } } };
  const env: Record<string, string> = { BACKUP_ACTION: opts.action, ...(opts.trigger === "pre-restore" ? { BACKUP_KIND: "pre-restore" } : {}), ...opts.env };
  for (const c of spec.template?.spec?.containers ?? []) {
    const list = (c.env ?? []).filter((e) => !(e.name in env));
    c.env = [...list, ...Object.entries(env).map(([name, value]) => ({ name, value }))];
  }
  const body = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}), [BACKUP_LABEL]: "true", [BACKUP_OF]: workload },
      annotations: {
        "cronjob.kubernetes.io/instantiate": "manual",
        [BACKUP_ACTION_ANNOTATION]: opts.action,
        [TRIGGER_ANNOTATION]: opts.trigger,
        [STARTED_BY_ANNOTATION]: opts.actor,
      },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cron.metadata.name, uid: cron.metadata.uid, controller: true }],
    },
    spec,
  };
  await kubeWrite(k, { kind: "create-job", namespace, body }, TIMEOUT);
  delete clusterHolder.__panelBackupCluster;
  return jobName;
}

const summaryHolder = globalThis as typeof globalThis & { __panelBackupSummary?: { at: number; sentence?: string; counts: ReturnType<typeof protectionCounts> } };

/**
 * The Overview's backup line ("Backups: 3 services without backups, 1 with stale backups"): from
 * the protection computed in the last minute, else computed now within 3 s; undefined when every
 * service that needs it is protected and fresh, or when it cannot be read in time.
 */
export async function backupBanner(now = Date.now()): Promise<{ sentence?: string; counts: ReturnType<typeof protectionCounts> } | undefined> {
  const cached = summaryHolder.__panelBackupSummary;
  if (cached && now - cached.at < 60_000) return cached;
  try {
    const view = await Promise.race([backupsView(now), sleep(3000).then(() => undefined)]);
    if (!view) return cached;
    const counts = protectionCounts(view.services);
    const sentence = protectionSentence(counts);
    summaryHolder.__panelBackupSummary = { at: now, counts, ...(sentence ? { sentence } : {}) };
    return summaryHolder.__panelBackupSummary;
  } catch {
    return cached;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
