/**
 * The *arr apps' own backups, as Sonarr's `BackupService`, `BackupController` and
 * `BackupFileMapper` make, list, serve and restore them (Radarr, Lidarr and Prowlarr share the
 * code):
 *
 * - a backup is a ZIP archive `<folder>/<type>/<app>_backup_v<version>_<yyyy.MM.dd_HH.mm.ss>.zip`
 *   holding `config.xml`, `<app>.db` (a consistent copy of the live database made with SQLite's
 *   online backup API, left in rollback-journal mode) and `INFO`; the folder is the `Config`
 *   table's `backupfolder` (default `Backups`, relative to `/config`);
 * - the list is read from the folders (ids are `HashConverter.GetHashInt31("backup-<Type>-<name>")`);
 * - a restore writes `config.xml` over the current one and the database to `<app>.restore`, which
 *   the app moves into place at its next start; it answers `{"restartRequired": true}`;
 * - errors have the apps' shapes: a file that is not a ZIP archive fails in SharpZipLib (500), an
 *   archive without `config.xml` or a database is `RestoreBackupFailedException` (404), another
 *   extension is 415, no file 400.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { onlineBackup } from "../engine/db";
import type { SimAppHandle, SimResponse } from "../engine/types";
import { containerPath, volumePath } from "../engine/volume";
import { readZip, ZipError, createZip } from "../engine/zip";
import type { ArrFlavor, ArrState } from "./arr-sim";

export const BACKUP_TYPES = ["scheduled", "manual", "update"] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** One backup archive on the volume. */
export interface BackupFile {
  id: number;
  name: string;
  type: BackupType;
  size: number;
  /** Last write time, ISO 8601. */
  time: string;
  /** Absolute path on the volume. */
  file: string;
}

/** Extensions `restore/upload` accepts (`BackupController.ValidExtensions`). */
const VALID_EXTENSIONS = [".zip", ".db", ".xml"];

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `sonarr_backup_v4.0.19.0_2025.11.25_10.00.00.zip`, as `BackupService` names backups. */
export function backupName(app: string, version: string, d: Date): string {
  const stamp = `${d.getUTCFullYear()}.${pad(d.getUTCMonth() + 1)}.${pad(d.getUTCDate())}_${pad(d.getUTCHours())}.${pad(d.getUTCMinutes())}.${pad(d.getUTCSeconds())}`;
  return `${app.toLowerCase()}_backup_v${version}_${stamp}.zip`;
}

/** `BackupService.BackupFileRegex` of the app. */
export function backupFileRegex(app: string): RegExp {
  return new RegExp(`(nzbdrone|${app.toLowerCase()})_backup_(v[0-9.]+_)?[._0-9]+\\.zip`, "i");
}

/** `HashConverter.GetHashInt31`: the first four bytes of the SHA-1, little-endian, 31 bits. */
export function hashInt31(text: string): number {
  return createHash("sha1").update(text, "utf8").digest().readInt32LE(0) & 0x7fffffff;
}

/** The id the API gives a backup (`backup-<Type>-<name>`, the type as the enum spells it). */
export function backupId(type: BackupType, name: string): number {
  return hashInt31(`backup-${type.charAt(0).toUpperCase()}${type.slice(1)}-${name}`);
}

/** The backup folder on the volume (the `Config` table's `backupfolder`, relative to `/config`). */
export function backupFolder(s: ArrState): string | undefined {
  const dir = s.files?.dir;
  if (dir === undefined) return undefined;
  return volumePath(dir, s.configTable.backupfolder ?? "Backups");
}

/** The backups the folders hold, newest first. */
export function listBackups(s: ArrState, f: ArrFlavor): BackupFile[] {
  const folder = backupFolder(s);
  if (folder === undefined) return [];
  const re = backupFileRegex(f.names.appName);
  const out: BackupFile[] = [];
  for (const type of BACKUP_TYPES) {
    const d = join(folder, type);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (!re.test(name)) continue;
      const st = statSync(join(d, name));
      if (!st.isFile()) continue;
      out.push({ id: backupId(type, name), name, type, size: st.size, time: st.mtime.toISOString().replace(/\.\d{3}Z$/, "Z"), file: join(d, name) });
    }
  }
  return out.sort((a, b) => b.time.localeCompare(a.time));
}

/** A .NET exception answered through `SonarrErrorPipeline`: `{message, description}`. */
function exceptionAnswer(status: number, type: string, message: string, frame: string): SimResponse {
  return { status, json: { message, description: `${type}: ${message}\n   at ${frame}` }, unvalidated: true };
}

/** An `ApiException` (`BadRequestException`, `UnsupportedMediaTypeException`): `{message, content}`. */
function apiException(status: number, statusName: string, content: string): SimResponse {
  return { status, json: { message: `${statusName}: ${content}`, content }, unvalidated: true };
}

function stamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * `BackupService.Backup`: config.xml, a consistent copy of the live database and INFO, zipped
 * into `<folder>/<type>/`. Scheduled backups older than the retention are removed.
 */
export async function createBackup(s: ArrState, f: ArrFlavor, app: SimAppHandle, type: BackupType, at = new Date()): Promise<BackupFile> {
  const files = s.files;
  const folder = backupFolder(s);
  if (files === undefined || folder === undefined) {
    const where = s.configTable.backupfolder ?? "Backups";
    throw new Error(`Backup folder ${where} is not writable`);
  }
  const target = join(folder, type);
  mkdirSync(target, { recursive: true });
  const name = backupName(f.names.appName, app.version(), at);
  const temp = mkdtempSync(join(tmpdir(), `${files.name}_backup-`));
  try {
    const dbCopy = join(temp, `${files.name}.db`);
    await onlineBackup(files.db, dbCopy);
    rmSync(`${dbCopy}-journal`, { force: true });
    const entries = [
      { name: "config.xml", data: readFileSync(join(files.dir, "config.xml")), mtime: at },
      { name: `${files.name}.db`, data: readFileSync(dbCopy), mtime: at },
      { name: "INFO", data: Buffer.from(`v${app.version()}\n${stamp(at)}\n`), mtime: at },
    ];
    const file = join(target, name);
    writeFileSync(file, createZip(entries));
    utimesSync(file, at, at);
    if (type !== "manual") {
      const retentionDays = Number(s.configTable.backupretention ?? 28);
      for (const b of listBackups(s, f)) {
        if (b.type === type && Date.parse(b.time) + retentionDays * 86_400_000 < at.getTime()) rmSync(b.file, { force: true });
      }
    }
    const st = statSync(file);
    return { id: backupId(type, name), name, type, size: st.size, time: st.mtime.toISOString().replace(/\.\d{3}Z$/, "Z"), file };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * `BackupService.Restore` of an archive (or a bare database file): writes `config.xml` and
 * `<app>.restore` and answers `{"restartRequired": true}`; the restored state is loaded when the
 * app next starts (`POST system/restart`, or its pod restarting).
 */
export function restoreArchive(s: ArrState, app: SimAppHandle, data: Buffer, fileName: string): SimResponse {
  const files = s.files;
  if (files === undefined) return exceptionAnswer(500, "System.InvalidOperationException", "The app has no configuration folder", "NzbDrone.Core.Backup.BackupService.Restore(String backupFileName)");
  const restoreFile = join(files.dir, `${files.name}.restore`);
  const refusal = app.takeRestoreRefusal();
  if (refusal !== undefined) {
    return exceptionAnswer(
      500,
      "System.UnauthorizedAccessException",
      refusal.message ?? `Access to the path '${containerPath(files.dir, restoreFile)}' is denied.`,
      "System.IO.FileSystem.MoveFile(String sourceFullPath, String destFullPath, Boolean overwrite)",
    );
  }
  if (fileName.toLowerCase().endsWith(".zip")) {
    let entries;
    try {
      entries = readZip(data);
    } catch (err) {
      if (err instanceof ZipError && err.kind === "format") {
        return exceptionAnswer(500, "ICSharpCode.SharpZipLib.Zip.ZipException", err.message, "ICSharpCode.SharpZipLib.Zip.ZipFile.ReadEntries()");
      }
      return exceptionAnswer(500, "System.IO.IOException", `File ${fileName} failed archive validation.`, "NzbDrone.Common.ArchiveService.ExtractZip(String compressedFile, String destination)");
    }
    let restored = false;
    for (const e of entries) {
      // The archive is extracted to a temporary folder and only its top-level files are used.
      if (e.name.includes("/")) continue;
      const lower = e.name.toLowerCase();
      if (lower === "config.xml") {
        writeFileSync(join(files.dir, "config.xml"), e.data);
        restored = true;
      }
      if (lower === "nzbdrone.db" || lower === `${files.name}.db`) {
        writeFileSync(restoreFile, e.data);
        restored = true;
      }
    }
    if (!restored) {
      return exceptionAnswer(404, "NzbDrone.Core.Backup.RestoreBackupFailedException", "Unable to restore database file from backup", "NzbDrone.Core.Backup.BackupService.Restore(String backupFileName)");
    }
  } else {
    // A bare `.db` (or `.xml`) becomes the database to restore, unchecked, as in the app.
    writeFileSync(restoreFile, data);
  }
  app.env.log(`restore from ${basename(fileName)} staged; restart required`);
  return { status: 200, json: { restartRequired: true }, unvalidated: true };
}

/** The `restore/upload` checks before the restore: a file, with an extension the app accepts. */
export function checkUpload(file: { filename?: string } | undefined): SimResponse | undefined {
  if (file === undefined) return apiException(400, "BadRequest", "file must be provided");
  const m = /(\.[^./\\]*)$/.exec(file.filename ?? "");
  const ext = m?.[1] ?? "";
  if (!VALID_EXTENSIONS.includes(ext)) return apiException(415, "UnsupportedMediaType", `Invalid extension, must be one of: ${VALID_EXTENSIONS.join(", ")}`);
  return undefined;
}
