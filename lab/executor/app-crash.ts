import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP_CATALOGUE, isKnownAppKind } from '../../lib/apps/catalogue';
import { labDir } from '../paths';

/**
 * A real crash loop of an app: while a crash is set for a workload the lab's apps serve, every new
 * pod of it gets its app container run for real in the executor's sandbox, where it prints the
 * app's start-up log ending in the failure and exits with the crash's code. The executor then does
 * what a kubelet does (restarts with back-off, CrashLoopBackOff, restartCount, lastState), and the
 * log of each run is served through `pods/log` (`previous=true` gives the failed run before the
 * last restart). The app's own process (its simulator) is stopped meanwhile, so it is down like
 * the real app would be. `<labDir>/executor/app-crashes/<namespace>__<workload>.json`.
 */

export interface AppCrash {
  /** Exit code of every run (1..255). */
  exitCode: number;
  /** What each run prints (stdout), one entry a line, before it exits. */
  output: string[];
  /** Container that crashes (default: the pod's first container). */
  container?: string;
  /** How long a run lasts before it exits. */
  runMs: number;
  createdAt: string;
}

function crashDir(dir: string): string {
  return path.join(dir, 'executor', 'app-crashes');
}

function crashFile(namespace: string, workload: string, dir: string): string {
  return path.join(crashDir(dir), `${namespace}__${workload}.json`);
}

/**
 * The start-up log an app of `kind` prints when its database is corrupt: the *arr apps' own words
 * (Servarr's `CorruptDatabaseException` with its wiki link), a generic one for the others.
 */
export function defaultCrashOutput(kind: string | undefined, workload: string): string[] {
  const label = isKnownAppKind(kind) ? APP_CATALOGUE[kind].label : workload;
  if (kind && ['sonarr', 'radarr', 'lidarr', 'readarr', 'prowlarr'].includes(kind)) {
    const version = '4.0.14.2939';
    return [
      `[Info] Bootstrap: Starting ${label} - /app/${kind}/bin/${label} - Version ${version}`,
      '[Debug] Bootstrap: Console selected',
      '[Info] AppFolderInfo: Data directory is being overridden to [/config]',
      `[Info] MigrationController: *** Migrating data source=/config/${kind}.db;cache size=-20000;datetimekind=Utc;journal mode=Wal;pooling=True;version=3;busytimeout=100 ***`,
      '[Fatal] ConsoleApp: EPIC FAIL!',
      '',
      `[v${version}] NzbDrone.Core.Datastore.CorruptDatabaseException: Database file: /config/${kind}.db is corrupt, restore from backup if available. See: https://wiki.servarr.com/${kind}/faq#i-am-getting-an-error-database-disk-image-is-malformed`,
      ' ---> System.Data.SQLite.SQLiteException (0x800007EF): database disk image is malformed',
      '   at System.Data.SQLite.SQLite3.Reset(SQLiteStatement stmt)',
      '   at NzbDrone.Core.Datastore.Migration.Framework.MigrationController.Migrate(String connectionString, MigrationContext migrationContext, DatabaseType databaseType)',
    ];
  }
  return [`${label} starting`, `ERROR: cannot open the configuration in /config: file is corrupt`, `FATAL: ${label} exits`];
}

/** Sets a crash for a workload (replacing one already set). */
export function setAppCrash(namespace: string, workload: string, crash: Omit<AppCrash, 'createdAt'>, dir = labDir()): AppCrash {
  if (!Number.isInteger(crash.exitCode) || crash.exitCode < 1 || crash.exitCode > 255) throw new Error(`exit code must be 1..255 (got ${crash.exitCode})`);
  if (!Number.isFinite(crash.runMs) || crash.runMs < 0 || crash.runMs > 60_000) throw new Error(`runMs must be 0..60000 (got ${crash.runMs})`);
  const full: AppCrash = { ...crash, createdAt: new Date().toISOString() };
  const file = crashFile(namespace, workload, dir);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(full, null, 2) + '\n');
  renameSync(tmp, file);
  return full;
}

/** The crash set for a workload, if any (the executor reads it for every new pod). */
export function appCrashOf(namespace: string, workload: string, dir = labDir()): AppCrash | undefined {
  try {
    return JSON.parse(readFileSync(crashFile(namespace, workload, dir), 'utf8')) as AppCrash;
  } catch {
    return undefined;
  }
}

/** Every crash set, as `namespace/workload`. */
export function appCrashes(dir = labDir()): Record<string, AppCrash> {
  const d = crashDir(dir);
  if (!existsSync(d)) return {};
  const out: Record<string, AppCrash> = {};
  for (const f of readdirSync(d)) {
    const m = /^(.+)__(.+)\.json$/.exec(f);
    if (!m) continue;
    const crash = appCrashOf(m[1] as string, m[2] as string, dir);
    if (crash) out[`${m[1]}/${m[2]}`] = crash;
  }
  return out;
}

/** Lifts the crash of one workload, or of all; returns the workloads (`namespace/workload`) it was set for. */
export function clearAppCrashes(namespace?: string, workload?: string, dir = labDir()): string[] {
  const out: string[] = [];
  for (const key of Object.keys(appCrashes(dir))) {
    const [ns, wl] = key.split('/') as [string, string];
    if ((namespace && ns !== namespace) || (workload && wl !== workload)) continue;
    rmSync(crashFile(ns, wl, dir), { force: true });
    out.push(key);
  }
  return out;
}

/** The command the crashing container runs instead of the app: it prints the output, waits, exits. */
export function crashArgv(crash: AppCrash): string[] {
  const seconds = (crash.runMs / 1000).toFixed(3);
  return ['/bin/sh', '-c', `printf '%s\\n' "$LAB_CRASH_OUTPUT"; sleep ${seconds}; exit ${crash.exitCode}`];
}
