/**
 * The backups model shared by the server (history, Jobs, the apps' own backups, Velero) and the
 * pages. Plain serialisable data.
 */

/**
 * Where a backup comes from: a backup Job on the service's volume (`volume`), the app's own backup
 * API (`app`), or Velero (`velero`, read-only).
 */
export type BackupSource = "volume" | "app" | "velero";

/** Why a backup was made. */
export type BackupTrigger = "scheduled" | "manual" | "pre-restore";

/** How a backup run ended (`running` while it goes on). */
export type BackupResult = "running" | "succeeded" | "failed";

/** Whether the archive was checked (the restore drill, or the checks after "back up now"). */
export type Verification = "verified" | "failed" | "unverified";

/** One check of a verification, as the page lists it. */
export interface VerificationCheck {
  check: string;
  ok: boolean;
  file?: string;
  detail: string;
}

/** One backup in the history. */
export interface BackupRecord {
  id: number;
  /** `namespace/workload` of the service it protects. */
  serviceId: string;
  source: BackupSource;
  trigger: BackupTrigger;
  startedAt: number;
  finishedAt: number | null;
  result: BackupResult;
  /** Why it failed, in the words of the Job, the script or the app. */
  reason?: string;
  sizeBytes?: number;
  /** Where the archive is, for a person: `media/backups: media/jellyseerr/jellyseerr-20260101-033000.tar.gz`. */
  location?: string;
  /** What a restore names: the archive's path on the backup volume, or the app's backup id. */
  archive?: string;
  sha256?: string;
  files?: number;
  /** The Job that made it (volume backups). */
  jobName?: string;
  verification: Verification;
  verifiedAt?: number;
  verifyDetail?: string;
  checks?: VerificationCheck[];
  /** True once the archive is known to be gone (retention). */
  gone?: boolean;
}

/** How a service is protected. */
export type ProtectionMethod =
  | {
      kind: "volume";
      /** The CronJob: `namespace/name`. */
      cronJob: string;
      schedule: string;
      suspended: boolean;
      /** The claim the archives go to. */
      backupClaim?: string;
      intervalHours: number | null;
      /** False when the app's workload lacks the restore init container (restores then need it first). */
      restoreReady: boolean;
    }
  | {
      kind: "app";
      /** The app's own backup schedule, when it has one (the *arr apps' backup interval). */
      intervalHours: number | null;
      /** What to know about it ("copies stay on the app's own volume"). */
      note: string;
    }
  | { kind: "velero"; schedule: string; name: string; intervalHours: number | null };

/**
 * A service's protection at a glance: `fresh` (the last good backup is within its schedule),
 * `stale` (older than the schedule's interval plus 2 h: 26 h for daily), `never` (a schedule, but
 * no good backup yet), `unprotected` (state that nothing backs up), `not-needed` (no state of its
 * own: its configuration lives in Git).
 */
export type ProtectionState = "fresh" | "stale" | "never" | "unprotected" | "not-needed";

/** What the panel knows about one service's backups. */
export interface ServiceProtection {
  serviceId: string;
  namespace: string;
  name: string;
  displayName: string;
  state: ProtectionState;
  /** One line that says it: "daily volume backup, last good 3 h ago (verified)". */
  summary: string;
  methods: ProtectionMethod[];
  /** The tightest schedule's interval, in hours. */
  intervalHours?: number;
  staleAfterHours?: number;
  lastGood?: { id: number; at: number; source: BackupSource; verification: Verification };
  lastRun?: { id: number; at: number; result: BackupResult; reason?: string };
  /** Age of the last good backup in hours. */
  ageHours?: number;
  /** What "back up now" does for it, if anything. */
  backupNow?: "volume" | "app";
  /** Whether "enable backups" can be offered, and why not when it cannot. */
  enable: { offered: boolean; reason?: string };
  /** A backup or restore of it running now. */
  busy?: { kind: OperationKind; id: string; startedAt: number };
}

/** The kinds of operation the panel runs on a service, one at a time. */
export type OperationKind = "backup" | "verify" | "restore" | "preview";

/** One step of an operation, as the page shows it. */
export interface OperationStep {
  name: string;
  state: "pending" | "running" | "done" | "failed" | "skipped";
  detail?: string;
  startedAt?: number;
  finishedAt?: number;
}

/** A running or finished operation (back up now, verify, restore, undo), polled by the page. */
export interface OperationView {
  id: string;
  kind: OperationKind;
  serviceId: string;
  actor: string;
  startedAt: number;
  finishedAt?: number;
  state: "running" | "succeeded" | "failed";
  /** The outcome in one or two sentences ("Restored ...; the state before was put back ..."). */
  message?: string;
  steps: OperationStep[];
  /** The live log of the Job (or the app's answers), newest last, read through the API server. */
  log: string;
  /** The pod whose log is shown. */
  logSource?: string;
  /** History rows this operation produced. */
  backupId?: number;
  restoreId?: number;
  /** The backup an "undo" would restore (the pre-restore backup of a restore). */
  undoBackupId?: number;
}

/** A restore in the history. */
export interface RestoreRecord {
  id: number;
  serviceId: string;
  backupId: number;
  preRestoreBackupId?: number;
  actor: string;
  method: "app" | "volume";
  startedAt: number;
  finishedAt?: number;
  result: "running" | "succeeded" | "failed" | "rolled-back";
  reason?: string;
  /** The restore this one undid. */
  undoOf?: number;
}

/** A file a restore would change. */
export interface RestoreFileChange {
  path: string;
  change: "added" | "changed" | "removed";
  size: number | null;
  currentSize: number | null;
}

/** A setting that differs between the archive and the running app (the *arr apps' host settings). */
export interface SettingDifference {
  setting: string;
  now: string;
  inBackup: string;
}

/** What the restore dialog shows before the typed confirmation. */
export interface RestorePreview {
  serviceId: string;
  backup: BackupRecord;
  method: "app" | "volume";
  files: RestoreFileChange[];
  counts: { added: number; changed: number; removed: number; unchanged: number };
  settings: SettingDifference[];
  /** What stays as it is (excluded paths, the app's own backup folder). */
  notes: string[];
  /** The text to type to confirm (the service's name). */
  confirmText: string;
}
