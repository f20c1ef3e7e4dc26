import "server-only";
import { randomUUID } from "node:crypto";
import type { BackupRecord, OperationStep, OperationView, RestorePreview } from "@/lib/backups/types";
import { AppError, toAppError } from "@/lib/errors";
import type { HealthStatus } from "@/lib/services";
import type { AppBackup, AppInstance, AppModule } from "@/server/apps/define";
import { getAppInstances } from "@/server/apps/instances";
import { getAppModule } from "@/server/apps/registry";
import { resolveApp } from "@/server/apps/resolve";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { recordAuditEvent } from "@/server/db/audit";
import { listServices, readSecretValue, readWorkloadEnv } from "@/server/k8s";
import { logger } from "@/server/observability/logger";
import { getLatestResults } from "@/server/probes/scheduler";
import { insertRestore, recordAppBackup, updateRestore } from "./history";
import { claimService, releaseService, waitHealthy } from "./operations";

/**
 * The apps' own backups (the *arr apps' `system/backup`, and any app module with the backup and
 * restore capabilities): read into the history, and restored through the app's own restore
 * endpoint, guarded as a volume restore is: typed confirmation, a pre-restore backup made by the
 * app first, the panel's verdict awaited, the pre-restore backup put back when the app does not
 * come back, every step audited. No app kind is named here: the registry's modules say what they can.
 */

/** A service whose app module can list and restore its own backups, bound to its instance. */
export interface AppBackupTarget {
  serviceId: string;
  name: string;
  module: AppModule;
  instance: AppInstance;
}

async function targetsOf(filter?: string): Promise<AppBackupTarget[]> {
  const config = getConfig();
  const services = (await listServices()).filter((s) => (filter === undefined || s.id === filter) && getAppModule(s.appKind)?.backup !== undefined);
  const out: AppBackupTarget[] = [];
  for (const service of services) {
    const resolution = await resolveApp(service, { config, readSecretValue, readWorkloadEnv, env: process.env, timeoutMs: config.kubernetes.requestTimeoutMs });
    if (!resolution) continue;
    out.push({ serviceId: service.id, name: service.name, module: resolution.module, instance: getAppInstances().get(resolution) });
  }
  return out;
}

async function targetOf(serviceId: string): Promise<AppBackupTarget> {
  const target = (await targetsOf(serviceId))[0];
  if (!target) throw new AppError("not_found", `${serviceId} is not an app the panel can reach with backups of its own.`);
  return target;
}

const ctx = () => ({ signal: AbortSignal.timeout(Math.max(getConfig().kubernetes.requestTimeoutMs, 30_000)) });

function record(target: AppBackupTarget, b: AppBackup, trigger: BackupRecord["trigger"], actor?: string): number {
  return recordAppBackup(getDb(), {
    serviceId: target.serviceId,
    appBackupId: b.id,
    name: b.name,
    createdAt: Date.parse(b.createdAt) || Date.now(),
    ...(b.sizeBytes !== undefined ? { sizeBytes: b.sizeBytes } : {}),
    trigger: trigger === "pre-restore" ? "pre-restore" : b.kind === "scheduled" ? "scheduled" : "manual",
    location: `${target.module.displayName}'s own backups: ${b.name}`,
    ...(actor ? { actor } : {}),
  });
}

/** Reads every app's own backup list into the history; resolves with what could not be read. */
export async function syncAppBackups(filter?: string): Promise<string[]> {
  const errors: string[] = [];
  const targets = await targetsOf(filter).catch((error: unknown) => {
    errors.push(`the apps' own backups: ${toAppError(error).message}`);
    return [];
  });
  await Promise.all(
    targets.map(async (t) => {
      try {
        for (const b of await (t.module.backup?.list(t.instance.client, ctx()) ?? [])) record(t, b, "scheduled");
      } catch (error) {
        errors.push(`${t.serviceId} (its own backups): ${toAppError(error).message}`);
      }
    }),
  );
  return errors;
}

const holder = globalThis as typeof globalThis & { __panelAppBackupSync?: { at: number; running?: Promise<string[]>; errors: string[] } };

/**
 * The apps' own backup lists, read again at most every `backups.refreshMinutes` in the background:
 * only the first read after the panel starts is awaited, for at most `waitMs`; the page then shows
 * what the history holds (the read goes on).
 */
export async function refreshAppBackups(waitMs = 1500): Promise<string[]> {
  const state = (holder.__panelAppBackupSync ??= { at: 0, errors: [] });
  const first = state.at === 0;
  if (!state.running && Date.now() - state.at >= getConfig().backups.refreshMinutes * 60_000) {
    state.at = Date.now();
    state.running = syncAppBackups()
      .then((errors) => (state.errors = errors))
      .finally(() => delete state.running);
  }
  if (state.running && first) await Promise.race([state.running, new Promise((r) => setTimeout(r, waitMs))]);
  return state.errors;
}

/** What a restore of one of the app's own backups replaces, before the typed confirmation. */
export async function previewAppRestore(serviceId: string, backup: BackupRecord): Promise<RestorePreview> {
  const target = await targetOf(serviceId);
  if (!target.module.restore) throw new AppError("invalid_input", `${target.module.displayName} cannot restore its backups through its API.`);
  const listed = await target.module.backup?.list(target.instance.client, ctx());
  const now = listed?.find((b) => b.id === backup.archive);
  if (!now) throw new AppError("not_found", `${target.module.displayName} no longer lists the backup ${backup.location ?? backup.archive}: it may have been removed by its retention.`);
  return {
    serviceId,
    backup,
    method: "app",
    files: [],
    counts: { added: 0, changed: 0, removed: 0, unchanged: 0 },
    settings: [],
    notes: [
      `${target.module.displayName} restores ${now.name} (${now.createdAt}) through its own API: its configuration and database are replaced by the backup's, and it restarts.`,
      `Before that, ${target.module.displayName} makes a backup of its current state (the pre-restore backup; undo restores it).`,
    ],
    confirmText: target.name,
  };
}

/** Starts a restore of one of the app's own backups; resolves with the operation once accepted. */
export async function startAppRestore(input: { serviceId: string; backup: BackupRecord; confirm: string; actor: string; role: "admin" | "viewer"; undoOf?: number }): Promise<OperationView> {
  const target = await targetOf(input.serviceId);
  if (input.confirm.trim() !== target.name) throw new AppError("invalid_input", `Type the service's name, ${target.name}, to confirm the restore.`);
  if (!target.module.restore) throw new AppError("invalid_input", `${target.module.displayName} cannot restore its backups through its API.`);
  const op: OperationView = {
    id: randomUUID(),
    kind: "restore",
    serviceId: input.serviceId,
    actor: input.actor,
    startedAt: Date.now(),
    state: "running",
    steps: [
      { name: `Check that ${target.module.displayName} lists the backup`, state: "pending" },
      { name: `Take a pre-restore backup through ${target.module.displayName}`, state: "pending" },
      { name: `Restore the backup through ${target.module.displayName} and restart it`, state: "pending" },
      { name: "Wait until the service is healthy", state: "pending" },
    ],
    log: "",
    logSource: `${target.module.displayName}'s API`,
  };
  claimService(op);
  const restoreId = insertRestore(getDb(), { serviceId: input.serviceId, backupId: input.backup.id, actor: input.actor, method: "app", startedAt: op.startedAt, ...(input.undoOf !== undefined ? { undoOf: input.undoOf } : {}) });
  op.restoreId = restoreId;
  const baseline = getLatestResults().get(input.serviceId)?.verdict.status;
  void runAppRestore(op, target, input.backup, restoreId, input.role, baseline).finally(() => releaseService(input.serviceId));
  return op;
}

class Stop extends Error {}

async function runAppRestore(op: OperationView, target: AppBackupTarget, backup: BackupRecord, restoreId: number, role: "admin" | "viewer", baseline: HealthStatus | undefined): Promise<void> {
  const app = target.module.displayName;
  const say = (line: string) => {
    op.log += `${new Date().toISOString()} ${line}\n`;
  };
  const step = (i: number): OperationStep => op.steps[i] as OperationStep;
  const begin = (i: number) => Object.assign(step(i), { state: "running", startedAt: Date.now() });
  const done = (i: number, detail?: string) => Object.assign(step(i), { state: "done", finishedAt: Date.now(), ...(detail ? { detail } : {}) });
  const capability = { backup: target.module.backup, restore: target.module.restore };
  let started = false;
  let pre: { id: number; appId: string; name: string } | undefined;
  try {
    if (!capability.backup || !capability.restore) throw new Stop(`${app} cannot restore its backups through its API.`);
    begin(0);
    const listed = await capability.backup.list(target.instance.client, ctx());
    const chosen = listed.find((b) => b.id === backup.archive);
    if (!chosen) throw new Stop(`${app} no longer lists the backup ${backup.location ?? backup.archive}. Nothing was changed.`);
    say(`${app} lists ${chosen.name}`);
    done(0, chosen.name);

    begin(1);
    const made = await capability.backup.create(target.instance.client, ctx()).catch((error: unknown) => {
      throw new Stop(`${app} could not make the pre-restore backup (${toAppError(error).message}). Nothing was changed.`);
    });
    pre = { id: record(target, made, "pre-restore", op.actor), appId: made.id, name: made.name };
    updateRestore(getDb(), restoreId, { preRestoreBackupId: pre.id });
    op.undoBackupId = pre.id;
    say(`pre-restore backup ${made.name}`);
    done(1, made.name);

    begin(2);
    started = true;
    // From here on the app may have replaced files, even when it then answers with an error: a
    // failure puts the pre-restore backup back.
    await capability.restore.restore(target.instance.client, chosen.id, ctx()).catch((error: unknown) => {
      throw new Stop(`${app} refused the restore: ${toAppError(error).message}.`);
    });
    say(`${app} restored ${chosen.name} and restarts`);
    done(2);

    begin(3);
    const healthy = await waitHealthy(op.serviceId, baseline);
    if (!healthy.ok) throw new Stop(`The service did not become healthy after the restore (${healthy.reason}).`);
    done(3, healthy.reason);
    op.state = "succeeded";
    op.message = `Restored ${chosen.name} to ${op.serviceId} through ${app}; the service is healthy. The state before is kept as the pre-restore backup ${pre.name} (undo restores it).`;
    updateRestore(getDb(), restoreId, { result: "succeeded" });
  } catch (error) {
    const reason = error instanceof Stop ? error.message : toAppError(error).message;
    if (!(error instanceof Stop)) logger.error({ err: error, service: op.serviceId }, "app restore failed");
    say(reason);
    const runningStep = op.steps.find((s) => s.state === "running");
    if (runningStep) Object.assign(runningStep, { state: "failed", finishedAt: Date.now(), detail: reason });
    for (const s of op.steps) if (s.state === "pending") s.state = "skipped";
    let message = reason;
    let result: "failed" | "rolled-back" = "failed";
    if (started && pre && capability.restore) {
      try {
        await capability.restore.restore(target.instance.client, pre.appId, ctx());
        const healthy = await waitHealthy(op.serviceId, baseline);
        message = `${reason} The state before the restore was put back from the pre-restore backup ${pre.name}${healthy.ok ? " and the service is healthy again" : `, but the service is not healthy yet (${healthy.reason})`}.`;
        result = "rolled-back";
      } catch (rollbackError) {
        message = `${reason} Putting the state before the restore back failed too (${toAppError(rollbackError).message}): restore the backup ${pre.name} from ${app}'s System > Backup page.`;
      }
      say(message);
    }
    op.state = "failed";
    op.message = message;
    updateRestore(getDb(), restoreId, { result, reason: message });
  } finally {
    op.finishedAt = Date.now();
    recordAuditEvent(getDb(), {
      actor: op.actor,
      role,
      action: "backups.restore.finished",
      target: `${op.serviceId} (backup ${backup.id}, through ${app})`,
      input: { backupId: backup.id, restoreId, method: "app" },
      result: op.state === "succeeded" ? "ok" : "error",
      ...(op.state === "succeeded" ? {} : { errorCode: "restore_failed", errorMessage: op.message ?? "" }),
    });
  }
}
