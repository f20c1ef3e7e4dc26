/**
 * Jellyfin's files on its `/config` volume, as the official image lays them out
 * (`JELLYFIN_DATA_DIR=/config`, `JELLYFIN_CONFIG_DIR=/config/config`):
 *
 *   config/system.xml, network.xml, encoding.xml   the server configuration
 *   data/jellyfin.db                                SQLite: __EFMigrationsHistory, Users, ApiKeys,
 *                                                   ActivityLogs
 *   data/device.txt                                 the server id
 *   data/backups/jellyfin-backup-<yyyyMMddHHmmss>.zip   backups (`/Backup/Create`)
 *   root/default/<Library>/                         libraries: `<type>.collection`, `*.mblink`
 *
 * Backups follow Jellyfin 10.11's `BackupService`: every table as `Database/<Table>.json`, the
 * migration history as `Database/HistoryRow.json`, `Config/*.xml`, `Root/...` and `manifest.json`
 * (engine 0.2.0). A restore is applied while the server restarts; an archive that is not a
 * Jellyfin backup makes that start fail, and the server comes back without it.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureTable, openDatabase, readRows, writeRows, type Db, type TableSpec } from "./engine/db";
import { isObject } from "./engine/spec";
import { containerPath } from "./engine/volume";
import { createZip, readZip, type ZipInput } from "./engine/zip";

/** The backup engine version of Jellyfin 10.11 (`_backupEngineVersion`). */
export const BACKUP_ENGINE_VERSION = "0.2.0";

export interface JellyfinLibrary {
  name: string;
  type: string;
  locations: string[];
}

/** Backup contents (`BackupOptionsDto`). */
export interface BackupOptions {
  Metadata: boolean;
  Trickplay: boolean;
  Subtitles: boolean;
  Database: boolean;
}

/** `manifest.json` of an archive. */
export interface BackupManifest {
  ServerVersion: string;
  BackupEngineVersion: string;
  DateCreated: string;
  DatabaseTables: string[];
  Options: BackupOptions;
}

const HISTORY: TableSpec = { name: "__EFMigrationsHistory", noKey: true, columns: [["MigrationId", "text"], ["ProductVersion", "text"]] };
const USERS: TableSpec = {
  name: "Users",
  noKey: true,
  columns: [["Id", "text"], ["Username", "text"], ["Password", "text"], ["AuthenticationProviderId", "text"], ["IsDisabled", "bool"], ["LastActivityDate", "text"]],
};
const API_KEYS: TableSpec = { name: "ApiKeys", columns: [["Id", "int"], ["DateCreated", "text"], ["DateLastActivity", "text"], ["Name", "text"], ["AccessToken", "text"]] };
const ACTIVITY: TableSpec = {
  name: "ActivityLogs",
  columns: [["Id", "int"], ["Name", "text"], ["Overview", "text"], ["Type", "text"], ["UserId", "text"], ["DateCreated", "text"], ["LogSeverity", "text"]],
};
/** The entity tables a backup carries (`JellyfinDbContext`'s sets the simulator keeps). */
export const ENTITY_TABLES = [USERS, API_KEYS, ACTIVITY];

export function configDir(dir: string): string {
  return join(dir, "config");
}

export function dataDir(dir: string): string {
  return join(dir, "data");
}

export function backupDir(dir: string): string {
  return join(dir, "data", "backups");
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The text of `<Name>` in an XML document (first occurrence). */
export function xmlElement(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>|<${name}\\s*/>`).exec(text);
  if (m === null) return undefined;
  return (m[1] ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Sets `<Name>` in an XML document, keeping everything else (added before the root's end). */
export function setXmlElement(text: string, root: string, name: string, value: string): string {
  const element = `<${name}>${xmlEscape(value)}</${name}>`;
  const re = new RegExp(`<${name}>[\\s\\S]*?</${name}>|<${name}\\s*/>`);
  if (re.test(text)) return text.replace(re, element);
  return text.replace(new RegExp(`</${root}>`), `  ${element}\n</${root}>`);
}

function xmlDocument(root: string, elements: [string, string][]): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<${root} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`,
    ...elements.map(([k, v]) => (v === "" ? `  <${k} />` : `  <${k}>${xmlEscape(v)}</${k}>`)),
    `</${root}>`,
    "",
  ].join("\n");
}

/** Writes the configuration files of a fresh server. */
export function seedConfig(dir: string, serverName: string): void {
  mkdirSync(configDir(dir), { recursive: true });
  const files: [string, string][] = [
    [
      "system.xml",
      xmlDocument("ServerConfiguration", [
        ["LogFileRetentionDays", "3"],
        ["IsStartupWizardCompleted", "true"],
        ["EnableMetrics", "false"],
        ["ServerName", serverName],
        ["UICulture", "en-US"],
        ["ActivityLogRetentionDays", "30"],
        ["LibraryScanFanoutConcurrency", "0"],
      ]),
    ],
    [
      "network.xml",
      xmlDocument("NetworkConfiguration", [
        ["BaseUrl", ""],
        ["EnableHttps", "false"],
        ["RequireHttps", "false"],
        ["InternalHttpPort", "8096"],
        ["InternalHttpsPort", "8920"],
        ["AutoDiscovery", "true"],
        ["EnableUPnP", "false"],
      ]),
    ],
    ["encoding.xml", xmlDocument("EncodingOptions", [["EncodingThreadCount", "-1"], ["HardwareAccelerationType", "none"]])],
  ];
  for (const [name, text] of files) if (!existsSync(join(configDir(dir), name))) writeFileSync(join(configDir(dir), name), text);
}

/** The server id (`data/device.txt`), created once. */
export function serverId(dir: string): string {
  const file = join(dataDir(dir), "device.txt");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir(dir), { recursive: true });
  const id = randomUUID().replace(/-/g, "");
  writeFileSync(file, id);
  return id;
}

/** Writes a library folder (`root/default/<name>`): its collection type and one `.mblink` per path. */
export function writeLibrary(dir: string, lib: JellyfinLibrary): void {
  const folder = join(dir, "root", "default", lib.name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${lib.type}.collection`), "");
  for (const loc of lib.locations) writeFileSync(join(folder, `${loc.split("/").filter(Boolean).pop() ?? "media"}.mblink`), loc);
  writeFileSync(join(folder, "options.xml"), xmlDocument("LibraryOptions", [["Enabled", "true"], ["EnableRealtimeMonitor", "true"]]));
}

/** The libraries under `root/default`. */
export function readLibraries(dir: string): JellyfinLibrary[] {
  const root = join(dir, "root", "default");
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const files = readdirSync(join(root, d.name));
      const type = files.find((f) => f.endsWith(".collection"))?.replace(/\.collection$/, "") ?? "mixed";
      const locations = files.filter((f) => f.endsWith(".mblink")).map((f) => readFileSync(join(root, d.name, f), "utf8").trim());
      return { name: d.name, type, locations };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Opens data/jellyfin.db, creating the tables of a fresh server. */
export function openJellyfinDb(dir: string, version: string): Db {
  const file = join(dataDir(dir), "jellyfin.db");
  const fresh = !existsSync(file);
  const db = openDatabase(file, { wal: true });
  try {
    db.transaction(() => {
      for (const t of [HISTORY, ...ENTITY_TABLES]) ensureTable(db, t);
      if (fresh) {
        writeRows(db, HISTORY, [{ MigrationId: "20250401000000_Lab", ProductVersion: "9.0.6" }]);
        writeRows(db, USERS, [{ Id: randomUUID(), Username: "admin", Password: null, AuthenticationProviderId: "Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider", IsDisabled: false }]);
      }
    })();
    logActivity(db, `Jellyfin Server ${version} started`, "ApplicationStart");
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** An ActivityLogs row, as the server writes on start, backups and changes. */
export function logActivity(db: Db, name: string, type: string): void {
  db.prepare(`INSERT INTO "ActivityLogs" ("Name", "Overview", "Type", "UserId", "DateCreated", "LogSeverity") VALUES (?, ?, ?, ?, ?, ?)`).run(
    name,
    null,
    type,
    "00000000000000000000000000000000",
    new Date().toISOString(),
    "Information",
  );
}

/** The API keys table (`ApiKeys`): the simulator's key is recorded there. */
export function recordApiKey(db: Db, key: string): void {
  const rows = readRows(db, API_KEYS);
  if (rows.some((r) => r.AccessToken === key)) return;
  db.transaction(() => writeRows(db, API_KEYS, [...rows, { Id: rows.length + 1, DateCreated: new Date().toISOString(), DateLastActivity: null, Name: "k8s-nas-panel", AccessToken: key }]))();
}

function filesUnder(base: string): string[] {
  if (!existsSync(base)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  walk(base);
  return out;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `BackupService.CreateBackupAsync`. Returns the manifest and the archive's container path. */
export function createJellyfinBackup(dir: string, db: Db, version: string, options: BackupOptions, at = new Date()): { manifest: BackupManifest; path: string } {
  const manifest: BackupManifest = {
    ServerVersion: version,
    BackupEngineVersion: BACKUP_ENGINE_VERSION,
    DateCreated: at.toISOString(),
    // Jellyfin records each set's CLR type name, which is DbSet`1 for all of them.
    DatabaseTables: [...ENTITY_TABLES.map(() => "DbSet`1"), "HistoryRow"],
    Options: options,
  };
  const entries: ZipInput[] = [];
  // One transaction: the tables are read as of one moment.
  db.transaction(() => {
    for (const t of ENTITY_TABLES) entries.push({ name: `Database/${t.name}.json`, data: Buffer.from(JSON.stringify(readRows(db, t))), mtime: at });
    entries.push({ name: "Database/HistoryRow.json", data: Buffer.from(JSON.stringify(readRows(db, HISTORY))), mtime: at });
  })();
  const config = configDir(dir);
  if (existsSync(config)) {
    for (const f of readdirSync(config)) {
      const full = join(config, f);
      if (statSync(full).isFile() && /\.(xml|json)$/.test(f)) entries.push({ name: `Config/${f}`, data: readFileSync(full), mtime: at });
    }
  }
  for (const [source, target] of [
    [join(config, "users"), "Config/users"],
    [join(config, "ScheduledTasks"), "Config/ScheduledTasks"],
    [join(dir, "root"), "Root"],
    [join(dataDir(dir), "collections"), "Data/collections"],
    [join(dataDir(dir), "playlists"), "Data/playlists"],
  ] as const) {
    for (const f of filesUnder(source)) entries.push({ name: `${target}/${relative(source, f)}`, data: readFileSync(f), mtime: at });
  }
  entries.push({ name: "manifest.json", data: Buffer.from(JSON.stringify(manifest)), mtime: at });
  const folder = backupDir(dir);
  mkdirSync(folder, { recursive: true });
  const name = `jellyfin-backup-${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}.zip`;
  const file = join(folder, name);
  writeFileSync(file, createZip(entries));
  utimesSync(file, at, at);
  return { manifest, path: containerPath(dir, file) };
}

/** `GetManifest`: the manifest of an archive, undefined when it has none or is not a ZIP archive. */
export function readManifest(file: string): BackupManifest | undefined {
  try {
    const entry = readZip(readFileSync(file)).find((e) => e.name === "manifest.json");
    if (entry === undefined) return undefined;
    const m = JSON.parse(entry.data.toString("utf8")) as unknown;
    return isObject(m) ? (m as unknown as BackupManifest) : undefined;
  } catch {
    return undefined;
  }
}

function versionParts(v: string): number[] {
  return v.split(".").map((x) => Number.parseInt(x, 10) || 0);
}

function newer(a: string, b: string): boolean {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

/**
 * `RestoreBackupAsync`, run while the server starts: copies Config/, Data/ and Root/ back and
 * reloads the tables. Throws (the start fails) for an archive that is not a Jellyfin backup, is
 * from a newer server or another backup engine, or has no migration history.
 */
export function restoreJellyfinBackup(dir: string, archive: string, version: string): void {
  const entries = readZip(readFileSync(archive));
  const manifestEntry = entries.find((e) => e.name === "manifest.json");
  if (manifestEntry === undefined) {
    throw new Error(`The loaded archive '${containerPath(dir, archive)}' does not appear to be a Jellyfin backup as its missing the 'manifest.json'.`);
  }
  const manifest = JSON.parse(manifestEntry.data.toString("utf8")) as BackupManifest;
  if (newer(String(manifest.ServerVersion), version) || manifest.BackupEngineVersion !== BACKUP_ENGINE_VERSION) {
    throw new Error(`The loaded archive '${containerPath(dir, archive)}' is made for a newer version of Jellyfin (${manifest.ServerVersion}) and cannot be loaded in this version.`);
  }
  const history = entries.find((e) => e.name === "Database/HistoryRow.json");
  if (manifest.Options.Database && history === undefined) throw new Error("Cannot restore backup that has no History data.");
  for (const [prefix, target] of [
    ["Config/", configDir(dir)],
    ["Data/", dataDir(dir)],
    ["Root/", join(dir, "root")],
  ] as const) {
    if (prefix === "Root/") rmSync(target, { recursive: true, force: true });
    for (const e of entries) {
      if (!e.name.startsWith(prefix) || e.name.endsWith("/")) continue;
      const file = join(target, e.name.slice(prefix.length));
      if (!file.startsWith(`${target}/`)) continue;
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, e.data);
    }
  }
  if (manifest.Options.Database) {
    const db = openDatabase(join(dataDir(dir), "jellyfin.db"), { wal: true });
    try {
      db.transaction(() => {
        writeRows(db, HISTORY, JSON.parse(history?.data.toString("utf8") ?? "[]") as Record<string, unknown>[]);
        for (const t of ENTITY_TABLES) {
          const entry = entries.find((e) => e.name === `Database/${t.name}.json`);
          if (entry !== undefined) writeRows(db, t, JSON.parse(entry.data.toString("utf8")) as Record<string, unknown>[]);
        }
      })();
    } finally {
      db.close();
    }
  }
}

/** `EnumerateBackups`: the archives of the backup folder that carry a manifest. */
export function listJellyfinBackups(dir: string): { manifest: BackupManifest; path: string }[] {
  const folder = backupDir(dir);
  if (!existsSync(folder)) return [];
  const out: { manifest: BackupManifest; path: string }[] = [];
  for (const f of readdirSync(folder).filter((n) => n.endsWith(".zip"))) {
    const manifest = readManifest(join(folder, f));
    if (manifest !== undefined) out.push({ manifest, path: containerPath(dir, join(folder, f)) });
  }
  return out;
}

