import "server-only";
import { randomUUID } from "node:crypto";
import { BACKUP_OF, RESTORE_INIT_CONTAINER, RESTORE_LABEL } from "@/lib/backups/config-volume";
import { parseScriptOutput, type ScriptOutput } from "@/lib/backups/results";
import type { BackupRecord, OperationStep, OperationView, RestorePreview } from "@/lib/backups/types";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { recordAuditEvent } from "@/server/db/audit";
import { kubeGet, kubeGetText, kubeWrite } from "@/server/k8s/rest";
import { logger } from "@/server/observability/logger";
import { getLatestResults } from "@/server/probes/scheduler";
import type { HealthStatus } from "@/lib/services";
import { previewAppRestore, startAppRestore } from "./app-restore";
import { claimService as claimTrigger, withServiceClaim } from "./claims";
import { claimService, releaseService, runningOperation, sleep, waitHealthy } from "./operations";
import { backupOfJob, getBackup, insertRestore, lastRuns, markVerified, updateRestore } from "./history";
import { createJobFromCronJob, jobFacts, jobState, kc, listCronJobs, listJobs, podListSchema, syncJob, TIMEOUT, type CronJob, type KubeConfig } from "./service";

/**
 * Guarded restores of a volume backup: the archive checked first, a pre-restore backup taken and
 * checked before anything is touched, the archive staged on the volume by a Job, the service's pod
 * deleted so the restore init container applies it before the app starts (never a scale or a
 * patch of the Deployment: Argo CD's self-heal would undo it), then the panel's own verdict
 * awaited. A restore that fails after it started puts the pre-restore state back by itself.
 * One backup or restore per service at a time.
 */

export { getOperation, runningOperation } from "./operations";

/** A Job made from the CronJob, followed until it ends; its script output read from its log. */
async function runJob(
  k: KubeConfig,
  namespace: string,
  cron: CronJob,
  opts: Parameters<typeof createJobFromCronJob>[3],
  onLog: (job: string, log: string) => void,
): Promise<{ job: string; uid?: string; ok: boolean; output: ScriptOutput; reason?: string }> {
  const name = await createJobFromCronJob(k, namespace, cron, opts);
  const deadline = Date.now() + getConfig().backups.jobTimeoutSeconds * 1000 + 30_000;
  for (;;) {
    await sleep(1000);
    const job = (await listJobs(k, namespace)).find((j) => j.metadata.name === name);
    const log = await readJobLog(k, namespace, name).catch(() => "");
    if (log) onLog(name, log);
    if (!job) throw new AppError("not_found", `The Job ${namespace}/${name} disappeared.`);
    const state = jobState(job);
    if (state.result !== "running") {
      const output = parseScriptOutput(log);
      if (opts.action === "backup") await syncJob(namespace, job, [cron]);
      const ok = state.result === "succeeded" && output.result?.ok === true;
      const reason = output.result && !output.result.ok ? `${output.result.step ? `${output.result.step}: ` : ""}${output.result.error ?? "failed"}` : state.reason;
      return { job: name, ...(job.metadata.uid ? { uid: job.metadata.uid } : {}), ok, output, ...(reason ? { reason } : {}) };
    }
    if (Date.now() > deadline) throw new AppError("timeout", `The Job ${namespace}/${name} did not end in time.`);
  }
}

async function readJobLog(k: KubeConfig, namespace: string, job: string): Promise<string> {
  const pods = await kubeGet(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, podListSchema, { ...TIMEOUT, query: { labelSelector: `job-name=${job}` } });
  const pod = pods.items.at(-1);
  if (!pod) return "";
  return (await kubeGetText(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log`, { ...TIMEOUT, query: { container: "backup" } })).text;
}

/** The pods of a workload the panel may restart for a restore (its restore label). */
async function restorablePods(k: KubeConfig, namespace: string, workload: string) {
  const pods = await kubeGet(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, podListSchema, { ...TIMEOUT, query: { labelSelector: `${RESTORE_LABEL}=enabled` } });
  return pods.items.filter((p) => p.metadata.name.startsWith(`${workload}-`) && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
}

async function findCron(k: KubeConfig, namespace: string, workload: string): Promise<CronJob> {
  const cron = (await listCronJobs(k, namespace)).find((c) => c.metadata.annotations?.[BACKUP_OF] === workload);
  if (!cron) throw new AppError("not_found", `${namespace}/${workload} has no backup CronJob: enable backups first.`);
  return cron;
}

function restorableBackup(serviceId: string, backupId: number): BackupRecord {
  const backup = getBackup(getDb(), backupId);
  if (!backup || backup.serviceId !== serviceId) throw new AppError("not_found", `No backup ${backupId} of ${serviceId}.`);
  if (backup.result !== "succeeded" || !backup.archive) throw new AppError("invalid_input", `Backup ${backupId} of ${serviceId} did not succeed: there is nothing to restore.`);
  return backup;
}

async function refuseWhenBusy(k: KubeConfig, serviceId: string, namespace: string, workload: string): Promise<void> {
  const op = runningOperation(serviceId);
  if (op) throw new AppError("conflict", `A ${op.kind} of ${serviceId} is running (started by ${op.actor}); wait until it ends.`);
  const running = (await listJobs(k, namespace)).find((j) => jobFacts(j).workload === workload && jobState(j).result === "running");
  if (running) throw new AppError("conflict", `A backup or restore of ${serviceId} is running (Job ${running.metadata.name}); wait until it ends.`);
}

/** What a restore of a backup would change on the volume (a preview Job), before the typed confirmation. */
export async function previewRestore(serviceId: string, backupId: number, actor: string): Promise<RestorePreview> {
  const [namespace, workload] = serviceId.split("/") as [string, string];
  const backup = restorableBackup(serviceId, backupId);
  if (backup.source === "app") return previewAppRestore(serviceId, backup);
  const k = kc();
  const run = await withServiceClaim(serviceId, "restore preview", actor, async () => {
    const cron = await findCron(k, namespace, workload);
    await refuseWhenBusy(k, serviceId, namespace, workload);
    return runJob(k, namespace, cron, { action: "preview", actor, trigger: "restore", env: { BACKUP_ARCHIVE: backup.archive ?? "" } }, () => undefined);
  });
  if (!run.ok) throw new AppError("invalid_input", `The archive cannot be previewed: ${run.reason ?? "the preview Job failed"}.`);
  const r = run.output.result ?? { action: "preview", ok: true };
  return {
    serviceId,
    backup,
    method: "volume",
    files: run.output.preview,
    counts: { added: r.added ?? 0, changed: r.changed ?? 0, removed: r.removed ?? 0, unchanged: r.unchanged ?? 0 },
    settings: [],
    notes: r.excluded ? [`Kept as they are: ${r.excluded}.`] : [],
    confirmText: workload,
  };
}

/**
 * Starts a restore; resolves with the operation (the page follows it) once the request is
 * accepted: the confirmation matches, the backup can be restored, nothing else runs on the service.
 */
export async function startRestore(input: { serviceId: string; backupId: number; confirm: string; actor: string; role: "admin" | "viewer"; undoOf?: number }): Promise<OperationView> {
  const [namespace, workload] = input.serviceId.split("/") as [string, string];
  if (input.confirm.trim() !== workload) throw new AppError("invalid_input", `Type the service's name, ${workload}, to confirm the restore.`);
  const backup = restorableBackup(input.serviceId, input.backupId);
  if (backup.source === "app") return startAppRestore({ ...input, backup });
  if (!getConfig().backups.namespaces.includes(namespace)) throw new AppError("invalid_input", `${namespace} does not hold backups.`);
  const k = kc();
  // Held from here until the restore ends (or fails to start).
  const release = claimTrigger(input.serviceId, "restore", input.actor);
  try {
    return await beginRestore(input, { k, namespace, workload, backup, release });
  } catch (error) {
    release();
    throw error;
  }
}

async function beginRestore(
  input: { serviceId: string; actor: string; role: "admin" | "viewer"; undoOf?: number },
  { k, namespace, workload, backup, release }: { k: KubeConfig; namespace: string; workload: string; backup: BackupRecord; release: () => void },
): Promise<OperationView> {
  const cron = await findCron(k, namespace, workload);
  await refuseWhenBusy(k, input.serviceId, namespace, workload);
  const pods = await restorablePods(k, namespace, workload);
  if (pods.length === 0) {
    throw new AppError("invalid_input", `${input.serviceId} runs no pod with the label ${RESTORE_LABEL}: enabled and the restore init container; merge its "enable backups" change first.`);
  }
  const op: OperationView = {
    id: randomUUID(),
    kind: "restore",
    serviceId: input.serviceId,
    actor: input.actor,
    startedAt: Date.now(),
    state: "running",
    steps: [
      { name: "Check the archive's checksums", state: "pending" },
      { name: "Take a pre-restore backup", state: "pending" },
      { name: "Check the pre-restore backup", state: "pending" },
      { name: "Stage the archive on the volume", state: "pending" },
      { name: "Restart the service (delete its pod)", state: "pending" },
      { name: "Apply the archive before the app starts", state: "pending" },
      { name: "Wait until the service is healthy", state: "pending" },
    ],
    log: "",
  };
  claimService(op);
  const restoreId = insertRestore(getDb(), { serviceId: input.serviceId, backupId: backup.id, actor: input.actor, method: "volume", startedAt: op.startedAt, ...(input.undoOf !== undefined ? { undoOf: input.undoOf } : {}) });
  op.restoreId = restoreId;
  const baseline = getLatestResults().get(input.serviceId)?.verdict.status;
  void runRestore(op, { k, namespace, workload, cron, backup, restoreId, role: input.role, ...(baseline ? { baseline } : {}) }).finally(() => {
    releaseService(input.serviceId);
    release();
  });
  return op;
}

interface RestoreContext {
  k: KubeConfig;
  namespace: string;
  workload: string;
  cron: CronJob;
  backup: BackupRecord;
  restoreId: number;
  role: "admin" | "viewer";
  /** The panel's verdict on the service before the restore. */
  baseline?: HealthStatus;
}

class Stop extends Error {}

async function runRestore(op: OperationView, ctx: RestoreContext): Promise<void> {
  const { k, namespace, cron, backup } = ctx;
  const step = (i: number): OperationStep => op.steps[i] as OperationStep;
  const begin = (i: number) => Object.assign(step(i), { state: "running", startedAt: Date.now() });
  const done = (i: number, detail?: string) => Object.assign(step(i), { state: "done", finishedAt: Date.now(), ...(detail ? { detail } : {}) });
  const failAt = (i: number, detail: string): never => {
    Object.assign(step(i), { state: "failed", finishedAt: Date.now(), detail });
    for (const s of op.steps) if (s.state === "pending") s.state = "skipped";
    throw new Stop(detail);
  };
  const showLog = (job: string, log: string) => {
    op.log = log;
    op.logSource = `Job ${namespace}/${job}`;
  };
  let started = false;
  let preRestore: BackupRecord | undefined;
  try {
    // 1. The archive is what its checksums and manifest say.
    begin(0);
    const verify = await runJob(k, namespace, cron, { action: "verify", actor: op.actor, trigger: "restore", env: { BACKUP_ARCHIVE: backup.archive ?? "" } }, showLog);
    const failedChecks = verify.output.checks.filter((c) => !c.ok);
    markVerified(getDb(), backup.id, verify.ok, verify.ok ? `${verify.output.checks.length} checks passed` : (failedChecks.map((c) => `${c.check}${c.file ? ` ${c.file}` : ""}: ${c.detail}`).join("; ") || (verify.reason ?? "failed")));
    if (!verify.ok) failAt(0, `The archive failed its checks: ${failedChecks.map((c) => `${c.check}${c.file ? ` ${c.file}` : ""}: ${c.detail}`).join("; ") || verify.reason}. Nothing was changed.`);
    done(0, `${verify.output.checks.length} checks passed`);

    // 2-3. A pre-restore backup of the current state, checked, before anything is touched.
    begin(1);
    const pre = await runJob(k, namespace, cron, { action: "backup", actor: op.actor, trigger: "pre-restore" }, showLog);
    preRestore = pre.uid ? backupOfJob(getDb(), pre.uid) : undefined;
    if (!pre.ok || !preRestore?.archive) failAt(1, `The pre-restore backup failed: ${pre.reason ?? "no archive"}. Nothing was changed.`);
    updateRestore(getDb(), ctx.restoreId, { preRestoreBackupId: preRestore?.id ?? 0 });
    op.undoBackupId = preRestore?.id;
    done(1, preRestore?.archive);
    begin(2);
    const preVerify = await runJob(k, namespace, cron, { action: "verify", actor: op.actor, trigger: "restore", env: { BACKUP_ARCHIVE: preRestore?.archive ?? "" } }, showLog);
    markVerified(getDb(), preRestore?.id ?? 0, preVerify.ok, preVerify.ok ? `${preVerify.output.checks.length} checks passed` : (preVerify.reason ?? "failed"));
    if (!preVerify.ok) failAt(2, `The pre-restore backup failed its checks (${preVerify.reason ?? "see the log"}). Nothing was changed.`);
    done(2);

    // 4. Staged on the volume; nothing the app uses is touched.
    begin(3);
    const stage = await runJob(k, namespace, cron, { action: "stage", actor: op.actor, trigger: "restore", env: { BACKUP_ARCHIVE: backup.archive ?? "" } }, showLog);
    if (!stage.ok) failAt(3, `The archive could not be staged on the volume: ${stage.reason ?? "the Job failed"}. Nothing the service uses was changed.`);
    done(3);

    // 5-7. The pod deleted; the init container applies the archive; the service healthy again.
    started = true;
    const applied = await restartAndApply(op, ctx, 4);
    if (!applied.ok) {
      // The init container put the previous files back itself.
      failAt(5, `The archive could not be applied (${applied.reason}); the init container put the files the service had back, and it runs as before.`);
    }
    done(5, applied.reason);
    begin(6);
    const healthy = await waitHealthy(op.serviceId, ctx.baseline);
    if (!healthy.ok) {
      Object.assign(step(6), { state: "failed", finishedAt: Date.now(), detail: healthy.reason });
      throw new Stop(`The service did not become healthy after the restore (${healthy.reason}).`);
    }
    done(6, healthy.reason);
    op.state = "succeeded";
    op.message = `Restored ${backup.archive} to ${op.serviceId}; the service is healthy. The state before is kept as the pre-restore backup ${preRestore?.archive ?? ""} (undo restores it).`;
    updateRestore(getDb(), ctx.restoreId, { result: "succeeded" });
  } catch (error) {
    const reason = error instanceof Stop ? error.message : error instanceof AppError ? error.message : (error as Error).message;
    if (!(error instanceof Stop)) logger.error({ err: error, service: op.serviceId }, "restore failed");
    const runningStep = op.steps.find((s) => s.state === "running");
    if (runningStep) Object.assign(runningStep, { state: "failed", finishedAt: Date.now(), detail: reason });
    for (const s of op.steps) if (s.state === "pending") s.state = "skipped";
    let message = reason;
    let result: "failed" | "rolled-back" = "failed";
    if (started && preRestore?.archive && !/init container put the files/.test(reason)) {
      // The restore had started: put the pre-restore state back.
      try {
        const back = await runJob(k, namespace, cron, { action: "stage", actor: op.actor, trigger: "restore", env: { BACKUP_ARCHIVE: preRestore.archive } }, showLog);
        if (!back.ok) throw new Error(back.reason ?? "staging the pre-restore backup failed");
        const again = await restartAndApply(op, ctx, -1);
        if (!again.ok) throw new Error(again.reason);
        const healthy = await waitHealthy(op.serviceId, ctx.baseline);
        message = `${reason} The state before the restore was put back from the pre-restore backup ${preRestore.archive}${healthy.ok ? " and the service is healthy again" : `, but the service is not healthy yet (${healthy.reason})`}.`;
        result = "rolled-back";
      } catch (rollbackError) {
        message = `${reason} Putting the state before the restore back failed too (${(rollbackError as Error).message}): restore the pre-restore backup ${preRestore.archive} by hand (docs/backups.md).`;
      }
    } else if (/init container put the files/.test(reason)) {
      result = "rolled-back";
    }
    op.state = "failed";
    op.message = message;
    updateRestore(getDb(), ctx.restoreId, { result, reason: message });
  } finally {
    op.finishedAt = Date.now();
    recordAuditEvent(getDb(), {
      actor: op.actor,
      role: ctx.role,
      action: "backups.restore.finished",
      target: `${op.serviceId} (backup ${backup.id})`,
      input: { backupId: backup.id, restoreId: ctx.restoreId },
      result: op.state === "succeeded" ? "ok" : "error",
      ...(op.state === "succeeded" ? {} : { errorCode: "restore_failed", errorMessage: op.message ?? "" }),
    });
  }
}

/** Deletes the service's pod (by UID) and reads the new pod's restore init container's result. */
async function restartAndApply(op: OperationView, ctx: RestoreContext, stepIndex: number): Promise<{ ok: boolean; reason?: string }> {
  const { k, namespace, workload } = ctx;
  const step = stepIndex >= 0 ? op.steps[stepIndex] : undefined;
  if (step) Object.assign(step, { state: "running", startedAt: Date.now() });
  const pods = await restorablePods(k, namespace, workload);
  if (pods.length === 0) throw new AppError("not_found", `${namespace}/${workload} has no pod to restart.`);
  const old = new Set(pods.map((p) => p.metadata.uid));
  for (const pod of pods) {
    await kubeWrite(k, { kind: "delete-pod", namespace, name: pod.metadata.name, uid: pod.metadata.uid ?? "" }, TIMEOUT);
  }
  if (step) Object.assign(step, { state: "done", finishedAt: Date.now(), detail: `deleted ${pods.map((p) => p.metadata.name).join(", ")}` });
  const next = stepIndex >= 0 ? op.steps[stepIndex + 1] : undefined;
  if (next) Object.assign(next, { state: "running", startedAt: Date.now() });
  const deadline = Date.now() + getConfig().backups.restoreTimeoutSeconds * 1000;
  while (Date.now() < deadline) {
    await sleep(1000);
    const fresh = (await restorablePods(k, namespace, workload)).filter((p) => !old.has(p.metadata.uid));
    for (const pod of fresh) {
      const log = await kubeGetText(k, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log`, {
        ...TIMEOUT,
        query: { container: RESTORE_INIT_CONTAINER },
      })
        .then((r) => r.text)
        .catch(() => "");
      if (log) {
        op.log = log;
        op.logSource = `pod ${namespace}/${pod.metadata.name}, init container ${RESTORE_INIT_CONTAINER}`;
      }
      const result = parseScriptOutput(log).result;
      if (!result) continue;
      if (result.ok && result.applied) return { ok: true, reason: `applied in pod ${pod.metadata.name}` };
      if (result.ok) return { ok: false, reason: "the init container found nothing staged" };
      return { ok: false, reason: result.error ?? "the init container failed" };
    }
  }
  return { ok: false, reason: `no new pod applied the archive within ${getConfig().backups.restoreTimeoutSeconds} s` };
}

/**
 * The restore drill of one backup: a verify Job restores the archive into scratch space and checks
 * the checksums, the listing against the manifest, the app's configuration files and every SQLite
 * file's integrity; the backup is marked verified or not. Refused while the service is busy.
 */
export async function verifyBackup(serviceId: string, backupId: number, actor: string): Promise<{ ok: boolean; detail: string; checks: ScriptOutput["checks"] }> {
  const [namespace, workload] = serviceId.split("/") as [string, string];
  const backup = restorableBackup(serviceId, backupId);
  if (backup.source !== "volume") throw new AppError("invalid_input", `Backup ${backupId} is ${serviceId}'s own backup, kept by the app: restore drills check the archives of volume backups.`);
  const k = kc();
  const run = await withServiceClaim(serviceId, "restore drill", actor, async () => {
    const cron = await findCron(k, namespace, workload);
    await refuseWhenBusy(k, serviceId, namespace, workload);
    return runJob(k, namespace, cron, { action: "verify", actor, trigger: "restore", env: { BACKUP_ARCHIVE: backup.archive ?? "" } }, () => undefined);
  });
  const failed = run.output.checks.filter((c) => !c.ok);
  const detail = run.ok ? `${run.output.checks.length} checks passed` : failed.map((c) => `${c.check}${c.file ? ` ${c.file}` : ""}: ${c.detail}`).join("; ") || (run.reason ?? "the drill failed");
  markVerified(getDb(), backup.id, run.ok, detail);
  return { ok: run.ok, detail, checks: run.output.checks };
}

/**
 * Scheduled restore drills: every hour, the latest good backup of each service with a backup
 * CronJob is verified when it never was, or its last check is older than `backups.drillIntervalDays`.
 */
export function startDrills(): void {
  const h = globalThis as typeof globalThis & { __panelBackupDrills?: NodeJS.Timeout };
  if (h.__panelBackupDrills) return;
  const run = async () => {
    const days = getConfig().backups.drillIntervalDays;
    if (days === 0) return;
    const now = Date.now();
    for (const [serviceId, r] of lastRuns(getDb())) {
      const good = r.lastGood;
      if (!good || good.source !== "volume") continue;
      if (good.verification !== "unverified" && (good.verifiedAt ?? 0) > now - days * 86_400_000) continue;
      try {
        const result = await verifyBackup(serviceId, good.id, "restore drill");
        logger.info({ service: serviceId, backup: good.id, ok: result.ok, detail: result.detail }, "restore drill");
      } catch (error) {
        logger.warn({ service: serviceId, err: (error as Error).message }, "restore drill skipped");
      }
    }
  };
  h.__panelBackupDrills = setInterval(() => void run(), 3_600_000);
  h.__panelBackupDrills.unref();
  setTimeout(() => void run(), 120_000).unref();
}
