/**
 * Bazarr's files on its `/config` volume, as Bazarr 1.5 keeps them (`app/config.py`,
 * `app/database.py`, `utilities/backup.py`):
 *
 *   config/config.yaml   the settings (Dynaconf YAML): general, auth, sonarr, radarr, backup
 *   db/bazarr.db         SQLite (WAL): system, table_languages_profiles, alembic_version
 *   backup/              `bazarr_backup_v<version>_<YYYY.MM.DD_HH.MM.SS>.zip` (bazarr.db + config.yaml)
 *   restore/             an archive being restored: extracted here, applied at the next start
 *
 * Backups and restores behave as Bazarr's: the database goes into the archive through SQLite's
 * online backup API, a restore extracts the archive into `restore/` and restarts Bazarr, which
 * applies it only when both `config.yaml` and `bazarr.db` are there.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ensureTable, onlineBackup, openDatabase, readRows, writeRows, type Db, type TableSpec } from "./engine/db";
import type { JsonObject } from "./engine/spec";
import { isObject } from "./engine/spec";
import type { SimAppHandle } from "./engine/types";
import { volumePath } from "./engine/volume";
import { createZip, readZip } from "./engine/zip";

/** Bazarr's backup settings (`backup` section). */
export interface BazarrBackupSettings {
  folder: string;
  retention: number;
  frequency: string;
  day: number;
  hour: number;
}

/** Open files of a running Bazarr simulator. */
export interface BazarrFiles {
  dir: string;
  db: Db;
  /** config.yaml as last read or written. */
  configText: string;
}

/** One file of `GET system/backups`. */
export interface BazarrBackup {
  type: "backup";
  filename: string;
  size: string;
  date: string;
  file: string;
  mtimeMs: number;
}

export const LANGUAGE_PROFILES: TableSpec = {
  name: "table_languages_profiles",
  columns: [
    ["profileId", "int"],
    ["cutoff", "int"],
    ["originalFormat", "bool"],
    ["items", "json"],
    ["name", "text"],
    ["mustContain", "json"],
    ["mustNotContain", "json"],
    ["tag", "text"],
  ],
};
const SYSTEM: TableSpec = { name: "system", columns: [["id", "int"], ["configured", "text"], ["updated", "text"]] };
const ALEMBIC: TableSpec = { name: "alembic_version", noKey: true, columns: [["version_num", "text"]] };
/** The database migration of Bazarr 1.5.2. */
export const BAZARR_MIGRATION = "4274a5dfc4ad";

/** The settings sections the simulator keeps, as config.yaml holds them. */
export interface BazarrSettingsFile {
  general: JsonObject;
  auth: JsonObject;
  sonarr: JsonObject;
  radarr: JsonObject;
  backup: BazarrBackupSettings;
}

/** Reads config/config.yaml (`{}` when missing or empty, as Dynaconf starts from defaults). */
export function readConfigYaml(dir: string): { values: JsonObject; text: string | undefined } {
  const file = join(dir, "config", "config.yaml");
  if (!existsSync(file)) return { values: {}, text: undefined };
  const text = readFileSync(file, "utf8");
  const parsed = parseYaml(text) as unknown;
  if (parsed !== null && parsed !== undefined && !isObject(parsed)) throw new Error(`${file}: not a YAML mapping`);
  return { values: isObject(parsed) ? parsed : {}, text };
}

/** Writes config/config.yaml when its text changed. */
export function writeConfigYaml(files: BazarrFiles, settings: BazarrSettingsFile): void {
  const text = stringifyYaml(settings);
  if (text === files.configText) return;
  mkdirSync(join(files.dir, "config"), { recursive: true });
  writeFileSync(join(files.dir, "config", "config.yaml"), text);
  files.configText = text;
}

/** `restore_from_backup` (run at start): applies a complete restore left in `restore/`. */
export function applyRestore(dir: string, app: SimAppHandle): void {
  const restoreDir = join(dir, "restore");
  const config = join(restoreDir, "config.yaml");
  const database = join(restoreDir, "bazarr.db");
  if (existsSync(config) && existsSync(database)) {
    mkdirSync(join(dir, "config"), { recursive: true });
    mkdirSync(join(dir, "db"), { recursive: true });
    copyFileSync(config, join(dir, "config", "config.yaml"));
    rmSync(config, { force: true });
    const dest = join(dir, "db", "bazarr.db");
    copyFileSync(database, dest);
    rmSync(`${dest}-shm`, { force: true });
    rmSync(`${dest}-wal`, { force: true });
    rmSync(database, { force: true });
    app.env.log("Backup restored successfully. Bazarr will restart.");
  } else if (existsSync(config) || existsSync(database)) {
    app.env.log("Cannot restore a partial backup. You must have both config and database.");
    rmSync(config, { force: true });
  }
}

/** Opens db/bazarr.db, creating the tables of a fresh install. */
export function openBazarrDb(dir: string): { db: Db; fresh: boolean } {
  const file = join(dir, "db", "bazarr.db");
  const fresh = !existsSync(file);
  const db = openDatabase(file, { wal: true });
  try {
    db.transaction(() => {
      for (const t of [SYSTEM, LANGUAGE_PROFILES, ALEMBIC]) ensureTable(db, t);
      if (fresh) {
        writeRows(db, SYSTEM, [{ id: 1, configured: "0", updated: "0" }]);
        writeRows(db, ALEMBIC, [{ version_num: BAZARR_MIGRATION }]);
      }
    })();
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, fresh };
}

export function readLanguageProfiles(db: Db): JsonObject[] {
  return readRows(db, LANGUAGE_PROFILES) as JsonObject[];
}

export function writeLanguageProfiles(db: Db, profiles: JsonObject[]): void {
  db.transaction(() => writeRows(db, LANGUAGE_PROFILES, profiles))();
}

/** The backup folder on the volume (`backup.folder`, `/config/backup` by default). */
export function backupFolder(dir: string, settings: BazarrBackupSettings): string | undefined {
  return volumePath(dir, settings.folder);
}

/** `sizeof_fmt`: `2.4 KB`. */
export function sizeofFmt(num: number): string {
  let n = num;
  for (const unit of ["", "K", "M", "G", "T"]) {
    if (Math.abs(n) < 1000) return `${n.toFixed(1)} ${unit}B`;
    n /= 1000;
  }
  return `${n.toFixed(1)} PB`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `get_backup_files`: `bazarr_backup_v*.zip`, newest first. */
export function listBazarrBackups(dir: string, settings: BazarrBackupSettings): BazarrBackup[] {
  const folder = backupFolder(dir, settings);
  if (folder === undefined || !existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => /^bazarr_backup_v.*\.zip$/.test(n))
    .map((filename) => {
      const file = join(folder, filename);
      const st = statSync(file);
      const d = st.mtime;
      return { type: "backup" as const, filename, size: sizeofFmt(st.size), date: `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, "0")} ${d.getFullYear()}`, file, mtimeMs: st.mtimeMs };
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `backup_to_zip`: `bazarr.db` (online backup of the live database) and `config.yaml`. */
export async function createBazarrBackup(files: BazarrFiles, settings: BazarrBackupSettings, version: string, at = new Date()): Promise<string> {
  const folder = backupFolder(files.dir, settings);
  if (folder === undefined) throw new Error(`backup folder ${settings.folder} is outside the configuration volume`);
  mkdirSync(folder, { recursive: true });
  const name = `bazarr_backup_v${version}_${at.getFullYear()}.${pad(at.getMonth() + 1)}.${pad(at.getDate())}_${pad(at.getHours())}.${pad(at.getMinutes())}.${pad(at.getSeconds())}.zip`;
  const temp = mkdtempSync(join(tmpdir(), "bazarr_temp-"));
  try {
    const dbCopy = join(temp, "bazarr_temp.db");
    await onlineBackup(files.db, dbCopy);
    const file = join(folder, name);
    writeFileSync(
      file,
      createZip([
        { name: "bazarr.db", data: readFileSync(dbCopy), mtime: at },
        { name: "config.yaml", data: readFileSync(join(files.dir, "config", "config.yaml")), mtime: at },
      ]),
    );
    utimesSync(file, at, at);
    return name;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * `prepare_restore`: extracts the archive into `restore/`; false when it is missing or not a ZIP
 * archive (Bazarr logs and answers 500).
 */
export function prepareBazarrRestore(files: BazarrFiles, settings: BazarrBackupSettings, filename: string, log: (m: string) => void): boolean {
  const folder = backupFolder(files.dir, settings);
  const source = folder === undefined ? undefined : join(folder, filename.replace(/[/\\]/g, ""));
  if (source === undefined || !existsSync(source)) {
    log(`Unable to copy backup archive to restore/${filename}`);
    return false;
  }
  let entries;
  try {
    entries = readZip(readFileSync(source));
  } catch (err) {
    log(`Unable to extract files from backup archive ${filename}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  const restoreDir = join(files.dir, "restore");
  mkdirSync(restoreDir, { recursive: true });
  for (const e of entries) {
    const target = join(restoreDir, e.name);
    if (!target.startsWith(`${restoreDir}/`)) continue;
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, e.data);
  }
  return true;
}
