import "server-only";
import type { PanelDb } from "@/server/db/open";
import type { BackupRecord, BackupResult, BackupSource, BackupTrigger, RestoreRecord, Verification } from "@/lib/backups/types";

/** A row of `backup_runs` (migration 0005). */
interface Row {
  id: number;
  service_id: string;
  source: BackupSource;
  trigger: BackupTrigger;
  started_at: number;
  finished_at: number | null;
  result: BackupResult;
  reason: string | null;
  size_bytes: number | null;
  location: string | null;
  archive: string | null;
  sha256: string | null;
  files: number | null;
  job_namespace: string | null;
  job_name: string | null;
  job_uid: string | null;
  actor: string | null;
  verification: Verification;
  verified_at: number | null;
  verify_detail: string | null;
}

function toRecord(r: Row): BackupRecord {
  return {
    id: r.id,
    serviceId: r.service_id,
    source: r.source,
    trigger: r.trigger,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result: r.result,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.size_bytes !== null ? { sizeBytes: r.size_bytes } : {}),
    ...(r.location !== null ? { location: r.location } : {}),
    ...(r.archive !== null ? { archive: r.archive } : {}),
    ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
    ...(r.files !== null ? { files: r.files } : {}),
    ...(r.job_name !== null ? { jobName: r.job_name } : {}),
    verification: r.verification,
    ...(r.verified_at !== null ? { verifiedAt: r.verified_at } : {}),
    ...(r.verify_detail !== null ? { verifyDetail: r.verify_detail } : {}),
  };
}

/** What a backup Job's run is known to be, recorded by its UID. */
export interface JobRun {
  serviceId: string;
  trigger: BackupTrigger;
  startedAt: number;
  finishedAt: number | null;
  result: BackupResult;
  reason?: string;
  sizeBytes?: number;
  location?: string;
  archive?: string;
  sha256?: string;
  files?: number;
  jobNamespace: string;
  jobName: string;
  jobUid: string;
  actor?: string;
  /** The checks after the backup (the script verifies its archive before it says ok). */
  verification?: Verification;
}

/** The recorded run of a Job, by its UID. */
export function runOfJob(db: PanelDb, uid: string): (BackupRecord & { finished: boolean }) | undefined {
  const row = db.$client.prepare("SELECT * FROM backup_runs WHERE job_uid = ?").get(uid) as Row | undefined;
  return row ? { ...toRecord(row), finished: row.result !== "running" } : undefined;
}

/** Records a Job's run, or updates it (a running Job that finished). Resolves with its id. */
export function recordJobRun(db: PanelDb, run: JobRun): number {
  touch(db);
  const existing = db.$client.prepare("SELECT id FROM backup_runs WHERE job_uid = ?").get(run.jobUid) as { id: number } | undefined;
  const values = {
    service_id: run.serviceId,
    source: "volume",
    trigger: run.trigger,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    result: run.result,
    reason: run.reason ?? null,
    size_bytes: run.sizeBytes ?? null,
    location: run.location ?? null,
    archive: run.archive ?? null,
    sha256: run.sha256 ?? null,
    files: run.files ?? null,
    job_namespace: run.jobNamespace,
    job_name: run.jobName,
    job_uid: run.jobUid,
    actor: run.actor ?? null,
    verification: run.verification ?? "unverified",
    verified_at: run.verification === "verified" ? (run.finishedAt ?? Date.now()) : null,
  };
  if (existing) {
    db.$client
      .prepare(
        `UPDATE backup_runs SET finished_at = @finished_at, result = @result, reason = @reason, size_bytes = @size_bytes, location = @location,
         archive = @archive, sha256 = @sha256, files = @files, verification = @verification, verified_at = @verified_at WHERE id = @id`,
      )
      .run({ ...values, id: existing.id });
    return existing.id;
  }
  const info = db.$client
    .prepare(
      `INSERT INTO backup_runs (service_id, source, trigger, started_at, finished_at, result, reason, size_bytes, location, archive, sha256, files,
       job_namespace, job_name, job_uid, actor, verification, verified_at)
       VALUES (@service_id, @source, @trigger, @started_at, @finished_at, @result, @reason, @size_bytes, @location, @archive, @sha256, @files,
       @job_namespace, @job_name, @job_uid, @actor, @verification, @verified_at)`,
    )
    .run(values);
  return Number(info.lastInsertRowid);
}

/** One of an app's own backups, as its API lists it. */
export interface AppBackupRun {
  serviceId: string;
  /** The app's id of the backup (what its restore names). */
  appBackupId: string;
  name: string;
  createdAt: number;
  sizeBytes?: number;
  trigger: BackupTrigger;
  /** Where it is, for a person: `Sonarr's backups: sonarr_backup_v4.0.19.0_2026.12.01_03.30.00.zip`. */
  location: string;
  actor?: string;
}

/**
 * Records an app's own backup once (by service and the app's id); resolves with its id. A backup
 * already recorded keeps its row, marked pre-restore when the panel made it for a restore.
 */
export function recordAppBackup(db: PanelDb, b: AppBackupRun): number {
  const existing = db.$client.prepare("SELECT id FROM backup_runs WHERE service_id = ? AND source = 'app' AND archive = ?").get(b.serviceId, b.appBackupId) as { id: number } | undefined;
  if (existing) {
    // A read of the app's list may have recorded the panel's own pre-restore backup first.
    if (b.trigger === "pre-restore") {
      touch(db);
      db.$client.prepare("UPDATE backup_runs SET trigger = 'pre-restore', actor = COALESCE(?, actor) WHERE id = ?").run(b.actor ?? null, existing.id);
    }
    return existing.id;
  }
  touch(db);
  const info = db.$client
    .prepare(
      `INSERT INTO backup_runs (service_id, source, trigger, started_at, finished_at, result, size_bytes, location, archive, actor, verification)
       VALUES (?, 'app', ?, ?, ?, 'succeeded', ?, ?, ?, ?, 'unverified')`,
    )
    .run(b.serviceId, b.trigger, b.createdAt, b.createdAt, b.sizeBytes ?? null, b.location, b.appBackupId, b.actor ?? null);
  return Number(info.lastInsertRowid);
}

/** The newest backups, newest first (all services, or one). */
export function listBackups(db: PanelDb, opts: { serviceId?: string; limit?: number } = {}): BackupRecord[] {
  const limit = opts.limit ?? 200;
  const rows = (
    opts.serviceId !== undefined
      ? db.$client.prepare("SELECT * FROM backup_runs WHERE service_id = ? ORDER BY started_at DESC, id DESC LIMIT ?").all(opts.serviceId, limit)
      : db.$client.prepare("SELECT * FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT ?").all(limit)
  ) as Row[];
  return rows.map(toRecord);
}

/** Where a page of the history starts: the last row of the page before it (`<startedAt>.<id>`). */
export interface HistoryCursor {
  startedAt: number;
  id: number;
}

/** Reads a cursor from the page's `older` parameter; undefined for anything else. */
export function parseHistoryCursor(text: string | undefined | null): HistoryCursor | undefined {
  const m = /^(\d{1,16})\.(\d{1,12})$/.exec(text ?? "");
  return m ? { startedAt: Number(m[1]), id: Number(m[2]) } : undefined;
}

/** The cursor text of a row (what the "older" link carries). */
export function historyCursorText(c: HistoryCursor): string {
  return `${c.startedAt}.${c.id}`;
}

/** One page of the history, newest first, and the cursor of the next (older) page when there is one. */
export interface HistoryPage {
  backups: BackupRecord[];
  older?: HistoryCursor;
}

/**
 * The history one page at a time (all services, or one), newest first: the `limit` rows older than
 * `before` (the newest when absent). Reads `limit + 1` rows to know whether an older page exists.
 */
export function backupHistoryPage(db: PanelDb, opts: { serviceId?: string; limit?: number; before?: HistoryCursor } = {}): HistoryPage {
  const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (opts.serviceId !== undefined) {
    where.push("service_id = ?");
    params.push(opts.serviceId);
  }
  if (opts.before) {
    where.push("(started_at < ? OR (started_at = ? AND id < ?))");
    params.push(opts.before.startedAt, opts.before.startedAt, opts.before.id);
  }
  const sql = `SELECT * FROM backup_runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, id DESC LIMIT ?`;
  const rows = db.$client.prepare(sql).all(...params, limit + 1) as Row[];
  const backups = rows.slice(0, limit).map(toRecord);
  const last = backups.at(-1);
  return rows.length > limit && last ? { backups, older: { startedAt: last.startedAt, id: last.id } } : { backups };
}

/**
 * What `lastRuns` last computed, per database: kept until the history changes. Every write of this
 * module bumps `generation`; `PRAGMA data_version` changes when another connection commits.
 */
// On globalThis: the server's bundles (instrumentation, pages, route handlers) each get their own copy
// of this module, and a write in one must be seen by the cache of every other.
const holder = globalThis as typeof globalThis & {
  __panelBackupLastRuns?: WeakMap<PanelDb, { key: string; value: Map<string, { lastGood?: BackupRecord; lastRun?: BackupRecord }> }>;
  __panelBackupGenerations?: WeakMap<PanelDb, number>;
};
const lastRunsCache = (holder.__panelBackupLastRuns ??= new WeakMap());
const generations = (holder.__panelBackupGenerations ??= new WeakMap());
const touch = (db: PanelDb) => generations.set(db, (generations.get(db) ?? 0) + 1);

/**
 * Per service: the newest good backup and the newest finished run (computed again only after the
 * history changed). The apps' own backups do not count: they stay on the volume they would protect.
 */
export function lastRuns(db: PanelDb): Map<string, { lastGood?: BackupRecord; lastRun?: BackupRecord }> {
  const key = `${generations.get(db) ?? 0}:${String(db.$client.pragma("data_version", { simple: true }))}`;
  const cached = lastRunsCache.get(db);
  if (cached?.key === key) return new Map(cached.value);
  const value = computeLastRuns(db);
  lastRunsCache.set(db, { key, value });
  return new Map(value);
}

function computeLastRuns(db: PanelDb): Map<string, { lastGood?: BackupRecord; lastRun?: BackupRecord }> {
  const out = new Map<string, { lastGood?: BackupRecord; lastRun?: BackupRecord }>();
  const good = db.$client
    .prepare(
      "SELECT b.* FROM backup_runs b JOIN (SELECT service_id, MAX(COALESCE(finished_at, started_at)) AS at FROM backup_runs WHERE result = 'succeeded' AND source != 'app' GROUP BY service_id) g ON g.service_id = b.service_id AND COALESCE(b.finished_at, b.started_at) = g.at AND b.result = 'succeeded' AND b.source != 'app'",
    )
    .all() as Row[];
  for (const r of good) out.set(r.service_id, { ...out.get(r.service_id), lastGood: toRecord(r) });
  const runs = db.$client
    .prepare(
      "SELECT b.* FROM backup_runs b JOIN (SELECT service_id, MAX(started_at) AS at FROM backup_runs WHERE result != 'running' AND source != 'app' GROUP BY service_id) g ON g.service_id = b.service_id AND b.started_at = g.at AND b.result != 'running' AND b.source != 'app'",
    )
    .all() as Row[];
  for (const r of runs) out.set(r.service_id, { ...out.get(r.service_id), lastRun: toRecord(r) });
  return out;
}

/** A backup by id. */
export function getBackup(db: PanelDb, id: number): BackupRecord | undefined {
  const row = db.$client.prepare("SELECT * FROM backup_runs WHERE id = ?").get(id) as Row | undefined;
  return row ? toRecord(row) : undefined;
}

/** The backup made by a Job. */
export function backupOfJob(db: PanelDb, uid: string): BackupRecord | undefined {
  const row = db.$client.prepare("SELECT * FROM backup_runs WHERE job_uid = ?").get(uid) as Row | undefined;
  return row ? toRecord(row) : undefined;
}

/** Marks a backup verified (or not), with what the checks said. */
export function markVerified(db: PanelDb, id: number, ok: boolean, detail: string, at = Date.now()): void {
  touch(db);
  db.$client.prepare("UPDATE backup_runs SET verification = ?, verified_at = ?, verify_detail = ? WHERE id = ?").run(ok ? "verified" : "failed", at, detail, id);
}

interface RestoreRow {
  id: number;
  service_id: string;
  backup_id: number;
  pre_restore_backup_id: number | null;
  actor: string;
  method: "app" | "volume";
  started_at: number;
  finished_at: number | null;
  result: RestoreRecord["result"];
  reason: string | null;
  undo_of: number | null;
}

function toRestore(r: RestoreRow): RestoreRecord {
  return {
    id: r.id,
    serviceId: r.service_id,
    backupId: r.backup_id,
    ...(r.pre_restore_backup_id !== null ? { preRestoreBackupId: r.pre_restore_backup_id } : {}),
    actor: r.actor,
    method: r.method,
    startedAt: r.started_at,
    ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
    result: r.result,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.undo_of !== null ? { undoOf: r.undo_of } : {}),
  };
}

/** Records a restore as it starts; resolves with its id. */
export function insertRestore(db: PanelDb, r: { serviceId: string; backupId: number; actor: string; method: "app" | "volume"; startedAt: number; undoOf?: number }): number {
  const info = db.$client
    .prepare("INSERT INTO backup_restores (service_id, backup_id, actor, method, started_at, result, undo_of) VALUES (?, ?, ?, ?, ?, 'running', ?)")
    .run(r.serviceId, r.backupId, r.actor, r.method, r.startedAt, r.undoOf ?? null);
  return Number(info.lastInsertRowid);
}

/** Updates a restore (its pre-restore backup, or how it ended). */
export function updateRestore(db: PanelDb, id: number, patch: { preRestoreBackupId?: number; result?: RestoreRecord["result"]; reason?: string; finishedAt?: number }): void {
  if (patch.preRestoreBackupId !== undefined) db.$client.prepare("UPDATE backup_restores SET pre_restore_backup_id = ? WHERE id = ?").run(patch.preRestoreBackupId, id);
  if (patch.result !== undefined) {
    db.$client.prepare("UPDATE backup_restores SET result = ?, reason = ?, finished_at = ? WHERE id = ?").run(patch.result, patch.reason ?? null, patch.finishedAt ?? Date.now(), id);
  }
}

/** The newest restores, newest first. */
export function listRestores(db: PanelDb, limit = 100): RestoreRecord[] {
  return (db.$client.prepare("SELECT * FROM backup_restores ORDER BY started_at DESC, id DESC LIMIT ?").all(limit) as RestoreRow[]).map(toRestore);
}
