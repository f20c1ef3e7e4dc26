import "server-only";
import type { Migration } from "./types";

/**
 * The backup history: one row per backup run (a Job made from a backup CronJob, by its UID), kept
 * after the Jobs themselves are garbage-collected, with what the run said in its log (archive,
 * size, SHA-256) and whether the archive was verified; and every restore with its pre-restore backup.
 */
export const migration: Migration = {
  id: 7,
  name: "backup history",
  sql: `
    CREATE TABLE backup_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      service_id TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('volume', 'app', 'velero')),
      trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'pre-restore')),
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      result TEXT NOT NULL CHECK (result IN ('running', 'succeeded', 'failed')),
      reason TEXT,
      size_bytes INTEGER,
      location TEXT,
      archive TEXT,
      sha256 TEXT,
      files INTEGER,
      job_namespace TEXT,
      job_name TEXT,
      job_uid TEXT UNIQUE,
      actor TEXT,
      verification TEXT NOT NULL DEFAULT 'unverified' CHECK (verification IN ('verified', 'failed', 'unverified')),
      verified_at INTEGER,
      verify_detail TEXT
    );
    CREATE INDEX backup_runs_service ON backup_runs (service_id, started_at);
    CREATE TABLE backup_restores (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      service_id TEXT NOT NULL,
      backup_id INTEGER NOT NULL,
      pre_restore_backup_id INTEGER,
      actor TEXT NOT NULL,
      method TEXT NOT NULL CHECK (method IN ('app', 'volume')),
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      result TEXT NOT NULL CHECK (result IN ('running', 'succeeded', 'failed', 'rolled-back')),
      reason TEXT,
      undo_of INTEGER
    );
    CREATE INDEX backup_restores_service ON backup_restores (service_id, started_at);
  `,
};
