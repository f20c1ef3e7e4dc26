/**
 * The *arr apps' files on their `/config` volume, laid out as Sonarr, Radarr, Lidarr and Prowlarr
 * keep them (`AppFolderInfo`, `ConfigFileProvider`, `DatabaseRestorationService`):
 *
 *   config.xml      `<Config>` with BindAddress, Port, ApiKey, AuthenticationMethod, UrlBase, ...
 *   sonarr.db       SQLite in WAL mode (`sonarr.db-wal`, `sonarr.db-shm` while it runs): VersionInfo,
 *                   Config, Users, Tags, DownloadClients, RootFolders, QualityProfiles, Commands,
 *                   ScheduledTasks (Lidarr: MetadataProfiles; Prowlarr: Applications, IndexerProxies)
 *   sonarr.restore  a restored database, moved over `sonarr.db` at the next start
 *   Backups/        the app's backups (see `./backups.ts`)
 *
 * The app loads everything from these files when it starts and writes them after every change,
 * and a background task updates `ScheduledTasks` as the apps' scheduler does.
 */
import { randomBytes, randomUUID, pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTable, openDatabase, readRows, writeRows, type ColumnKind, type Db, type TableSpec } from "../engine/db";
import type { JsonObject } from "../engine/spec";
import type { SimAppHandle, SimStorage } from "../engine/types";
import type { ArrFlavor, ArrState, CommandRecord, ProviderStore } from "./arr-sim";
import type { ProviderRecord } from "./providers";

/** Open files of a running *arr simulator. */
export interface ArrFiles {
  dir: string;
  /** `sonarr`: names `sonarr.db`, `sonarr.restore`, `sonarr_backup_...`. */
  name: string;
  db: Db;
  /** config.xml as last read or written (rewritten only when it changes). */
  configText: string;
  tables: ArrTables;
  ticker?: NodeJS.Timeout;
}

interface ArrTables {
  versionInfo: TableSpec;
  config: TableSpec;
  users: TableSpec;
  tags: TableSpec;
  rootFolders: TableSpec;
  commands: TableSpec;
  scheduledTasks: TableSpec;
  qualityProfiles?: TableSpec;
  metadataProfiles?: TableSpec;
  providers: { table: TableSpec; pick: (s: ArrState) => ProviderStore }[];
}

/** A user of Forms authentication (`Users` table; the password stored hashed). */
export interface ArrUser {
  id: number;
  identifier: string;
  username: string;
  password: string;
  salt: string;
  iterations: number;
}

/** A scheduled task (`ScheduledTasks`): the apps' scheduler updates these as it runs. */
export interface ScheduledTask {
  id: number;
  typeName: string;
  /** Minutes. */
  interval: number;
  lastExecution: string;
  lastStartTime: string;
}

/** Commands kept in the `Commands` table. */
const COMMANDS_KEPT = 100;

/** What the scheduler of a fresh install holds (type name, interval in minutes). */
const SCHEDULED: [string, number][] = [
  ["NzbDrone.Core.Download.RefreshMonitoredDownloadsCommand", 1],
  ["NzbDrone.Core.HealthCheck.CheckHealthCommand", 360],
  ["NzbDrone.Core.Housekeeping.HousekeepingCommand", 1440],
  ["NzbDrone.Core.Update.Commands.ApplicationUpdateCheckCommand", 360],
  ["NzbDrone.Core.Backup.BackupCommand", 10080],
];

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function camel(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function kindOf(v: unknown): ColumnKind {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "real";
  if (typeof v === "string") return "text";
  return "json";
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function xmlUnescape(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/** Thrown when config.xml cannot be read (`InvalidConfigFileException`: the app does not start). */
export class InvalidConfigFileError extends Error {}

/** Parses config.xml (`<Config><Key>value</Key>...</Config>`). */
export function parseConfigXml(text: string, file = "/config/config.xml", appName = "Sonarr"): Map<string, string> {
  const body = /<Config\s*>([\s\S]*)<\/Config\s*>|<Config\s*\/>/.exec(text);
  if (body === null) {
    throw new InvalidConfigFileError(`${file} is corrupt or invalid. Please delete the config file and ${appName} will recreate it.`);
  }
  const out = new Map<string, string>();
  const re = /<([A-Za-z_][\w.-]*)\s*(?:\/>|>([\s\S]*?)<\/\1\s*>)/g;
  for (let m = re.exec(body[1] ?? ""); m !== null; m = re.exec(body[1] ?? "")) {
    if (m[1] !== undefined) out.set(m[1], xmlUnescape((m[2] ?? "").trim()));
  }
  return out;
}

/** config.xml as the apps write it (`XDocument.ToString()`: no declaration, two-space indent). */
export function renderConfigXml(values: Map<string, string>): string {
  const lines = [...values].map(([k, v]) => (v === "" ? `  <${k}></${k}>` : `  <${k}>${xmlEscape(v)}</${k}>`));
  return `<Config>\n${lines.join("\n")}\n</Config>`;
}

/** The branch a fresh install reports (`ConfigFileProvider.Branch`). */
export function defaultBranch(f: ArrFlavor): string {
  return f.hostConfig?.branch ?? (f.kind === "sonarr" ? "main" : "master");
}

/** config.xml values of a fresh install, in the order the apps write them. */
function configDefaults(f: ArrFlavor, app: SimAppHandle): [string, string][] {
  return [
    ["BindAddress", "*"],
    ["Port", String(f.port)],
    ["SslPort", String(f.sslPort)],
    ["EnableSsl", "False"],
    ["LaunchBrowser", "True"],
    ["ApiKey", app.apiKey ?? randomBytes(16).toString("hex")],
    ["AuthenticationMethod", f.hostConfig?.authenticationMethod ?? "Forms"],
    // The lab's clients are on loopback: the setting lets them fetch backups as a LAN client can.
    ...(f.hostConfig?.without.includes("authenticationRequired") ? [] : [["AuthenticationRequired", "DisabledForLocalAddresses"] as [string, string]]),
    ["Branch", defaultBranch(f)],
    ["LogLevel", "info"],
    ["SslCertPath", ""],
    ["SslCertPassword", ""],
    ["UrlBase", app.urlBase],
    ["InstanceName", f.names.appName],
    ["UpdateMechanism", "Docker"],
  ];
}

function providerTable(name: string, st: ProviderStore): TableSpec | undefined {
  if (st.templates.length === 0) return undefined;
  const extras = new Map<string, ColumnKind>();
  for (const t of st.templates) {
    for (const [k, v] of Object.entries(t.extras)) if (t.fixedExtras?.includes(k) !== true) extras.set(k, kindOf(v));
  }
  return {
    name,
    columns: [
      ["Id", "int"],
      ["Name", "text"],
      ["Implementation", "text"],
      ["ConfigContract", "text"],
      ["Settings", "json"],
      ["Tags", "json"],
      ...[...extras].map(([k, kind]): [string, ColumnKind] => [pascal(k), kind]),
    ],
  };
}

function profileTable(name: string, samples: JsonObject[]): TableSpec | undefined {
  if (samples.length === 0) return undefined;
  const cols = new Map<string, ColumnKind>([["Id", "int"]]);
  for (const p of samples) for (const [k, v] of Object.entries(p)) if (k !== "id") cols.set(pascal(k), kindOf(v));
  return { name, columns: [...cols] };
}

function arrTables(f: ArrFlavor, s: ArrState): ArrTables {
  const providers: ArrTables["providers"] = [];
  for (const [name, pick] of [
    ["DownloadClients", (x: ArrState) => x.downloadClients],
    ["Applications", (x: ArrState) => x.applications],
    ["IndexerProxies", (x: ArrState) => x.indexerProxies],
  ] as const) {
    const table = providerTable(name, pick(s));
    if (table !== undefined) providers.push({ table, pick });
  }
  return {
    versionInfo: { name: "VersionInfo", noKey: true, columns: [["Version", "int"], ["AppliedOn", "text"], ["Description", "text"]] },
    config: { name: "Config", columns: [["Id", "int"], ["Key", "text"], ["Value", "text"]] },
    users: { name: "Users", columns: [["Id", "int"], ["Identifier", "text"], ["Username", "text"], ["Password", "text"], ["Salt", "text"], ["Iterations", "int"]] },
    tags: { name: "Tags", columns: [["Id", "int"], ["Label", "text"]] },
    rootFolders: {
      name: "RootFolders",
      columns: [
        ["Id", "int"],
        ["Path", "text"],
        // Apps that store named root folders with default profiles (Lidarr).
        ...(f.rootFolderFields !== undefined
          ? ([
              ["Name", "text"],
              ["DefaultMetadataProfileId", "int"],
              ["DefaultQualityProfileId", "int"],
              ["DefaultMonitorOption", "text"],
              ["DefaultNewItemMonitorOption", "text"],
              ["DefaultTags", "json"],
            ] as [string, ColumnKind][])
          : []),
      ],
    },
    commands: {
      name: "Commands",
      columns: [
        ["Id", "int"],
        ["Name", "text"],
        ["Body", "json"],
        ["Priority", "int"],
        ["Status", "text"],
        ["Result", "text"],
        ["QueuedAt", "text"],
        ["StartedAt", "text"],
        ["EndedAt", "text"],
        ["Trigger", "text"],
        ["Message", "text"],
      ],
    },
    scheduledTasks: {
      name: "ScheduledTasks",
      columns: [["Id", "int"], ["TypeName", "text"], ["Interval", "real"], ["LastExecution", "text"], ["LastStartTime", "text"], ["Priority", "int"]],
    },
    qualityProfiles: profileTable("QualityProfiles", s.qualityProfiles),
    metadataProfiles: profileTable("MetadataProfiles", s.metadataProfiles),
    providers,
  };
}

function allTables(t: ArrTables): TableSpec[] {
  return [t.versionInfo, t.config, t.users, t.tags, t.rootFolders, t.commands, t.scheduledTasks, t.qualityProfiles, t.metadataProfiles, ...t.providers.map((p) => p.table)].filter(
    (x): x is TableSpec => x !== undefined,
  );
}

function providerRow(r: ProviderRecord, store: ProviderStore): Record<string, unknown> {
  const t = store.templates.find((x) => x.implementation === r.implementation);
  const row: Record<string, unknown> = { Id: r.id, Name: r.name, Implementation: r.implementation, ConfigContract: r.configContract, Settings: r.settings, Tags: r.tags };
  for (const [k, v] of Object.entries(r.extras)) if (t?.fixedExtras?.includes(k) !== true) row[pascal(k)] = v;
  return row;
}

function providerRecord(row: Record<string, unknown>, store: ProviderStore): ProviderRecord | undefined {
  const t = store.templates.find((x) => x.implementation === row.Implementation);
  if (t === undefined || typeof row.Id !== "number") return undefined;
  const extras: JsonObject = {};
  for (const [k, def] of Object.entries(t.extras)) {
    const v = row[pascal(k)];
    extras[k] = t.fixedExtras?.includes(k) === true || v === null || v === undefined ? def : v;
  }
  return {
    id: row.Id,
    name: String(row.Name ?? ""),
    implementation: t.implementation,
    configContract: String(row.ConfigContract ?? t.configContract),
    tags: Array.isArray(row.Tags) ? row.Tags.filter((x): x is number => typeof x === "number") : [],
    settings: typeof row.Settings === "object" && row.Settings !== null ? (row.Settings as Record<string, unknown>) : {},
    extras,
  };
}

function profileRow(p: JsonObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k === "id" ? "Id" : pascal(k), v]));
}

function profileObject(row: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k === "Id" ? "id" : camel(k), v]));
}

/** A Forms user with a PBKDF2 password (`UserService`: SHA-512, 10 000 iterations). */
export function hashedUser(id: number, username: string, password: string): ArrUser {
  const salt = randomBytes(16);
  return {
    id,
    identifier: randomUUID(),
    username,
    password: pbkdf2Sync(password, salt, 10_000, 32, "sha512").toString("base64"),
    salt: salt.toString("base64"),
    iterations: 10_000,
  };
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function commandRow(c: CommandRecord): Record<string, unknown> {
  return {
    Id: c.id,
    Name: c.name,
    Body: { name: c.name, trigger: "manual", requiresDiskAccess: c.name === "Backup", isExclusive: false },
    Priority: 2,
    Status: c.status,
    Result: c.result,
    QueuedAt: c.queued,
    StartedAt: c.started,
    EndedAt: c.ended,
    Trigger: "manual",
    Message: c.message,
  };
}

function commandRecord(row: Record<string, unknown>): CommandRecord {
  const status = String(row.Status ?? "completed");
  const result = String(row.Result ?? "successful");
  return {
    id: Number(row.Id),
    name: String(row.Name ?? ""),
    queued: String(row.QueuedAt ?? ""),
    started: String(row.StartedAt ?? row.QueuedAt ?? ""),
    ended: String(row.EndedAt ?? row.QueuedAt ?? ""),
    // A command that was running when the app stopped is orphaned; the API shows it failed.
    status: status === "queued" || status === "started" ? "failed" : (status as CommandRecord["status"]),
    result: (["unknown", "successful", "unsuccessful"].includes(result) ? result : "unknown") as CommandRecord["result"],
    message: String(row.Message ?? ""),
  };
}

/** Moves a restored database into place, as `DatabaseRestorationService` does at start. */
function applyPendingRestore(dir: string, name: string, app: SimAppHandle): void {
  const restore = join(dir, `${name}.restore`);
  if (!existsSync(restore)) return;
  app.env.log("Restoring Database");
  const db = join(dir, `${name}.db`);
  for (const suffix of ["-shm", "-wal", "-journal", ""]) rmSync(`${db}${suffix}`, { force: true });
  renameSync(restore, db);
}

/** Writes everything the API can change to the database (one transaction) and config.xml. */
function saveArr(s: ArrState): void {
  const files = s.files;
  if (files === undefined) return;
  const text = renderConfigXml(s.configXml);
  if (text !== files.configText) {
    writeFileSync(join(files.dir, "config.xml"), text);
    files.configText = text;
  }
  const t = files.tables;
  files.db.transaction(() => {
    writeRows(files.db, t.config, Object.entries(s.configTable).map(([Key, Value], i) => ({ Id: i + 1, Key, Value })));
    writeRows(
      files.db,
      t.users,
      s.users.map((u) => ({ Id: u.id, Identifier: u.identifier, Username: u.username, Password: u.password, Salt: u.salt, Iterations: u.iterations })),
    );
    writeRows(files.db, t.tags, s.tags.map((x) => ({ Id: x.id, Label: x.label })));
    for (const p of t.providers) {
      const store = p.pick(s);
      writeRows(files.db, p.table, [...store.items.values()].map((r) => providerRow(r, store)));
    }
    writeRows(
      files.db,
      t.rootFolders,
      s.rootFolders.map((r) => ({
        Id: r.id,
        Path: r.path,
        Name: r.fields?.name,
        DefaultMetadataProfileId: r.fields?.defaultMetadataProfileId,
        DefaultQualityProfileId: r.fields?.defaultQualityProfileId,
        DefaultMonitorOption: r.fields?.defaultMonitorOption,
        DefaultNewItemMonitorOption: r.fields?.defaultNewItemMonitorOption,
        DefaultTags: r.fields?.defaultTags,
      })),
    );
    writeRows(files.db, t.commands, s.commands.slice(-COMMANDS_KEPT).map(commandRow));
  })();
}

function seedDatabase(db: Db, t: ArrTables, s: ArrState, f: ArrFlavor): void {
  const now = iso(new Date());
  db.transaction(() => {
    writeRows(db, t.versionInfo, [{ Version: f.migrationVersion, AppliedOn: now, Description: "lab_seed" }]);
    if (t.qualityProfiles !== undefined) writeRows(db, t.qualityProfiles, s.qualityProfiles.map(profileRow));
    if (t.metadataProfiles !== undefined) writeRows(db, t.metadataProfiles, s.metadataProfiles.map(profileRow));
    writeRows(
      db,
      t.scheduledTasks,
      SCHEDULED.map(([typeName, interval], i) => ({ Id: i + 1, TypeName: typeName, Interval: interval, LastExecution: now, LastStartTime: now, Priority: 1 })),
    );
  })();
}

function readDatabase(db: Db, t: ArrTables, s: ArrState): void {
  s.configTable = Object.fromEntries(readRows(db, t.config).map((r) => [String(r.Key), String(r.Value ?? "")]));
  s.users = readRows(db, t.users).map((r) => ({
    id: Number(r.Id),
    identifier: String(r.Identifier ?? ""),
    username: String(r.Username ?? ""),
    password: String(r.Password ?? ""),
    salt: String(r.Salt ?? ""),
    iterations: Number(r.Iterations ?? 10_000),
  }));
  s.tags = readRows(db, t.tags).map((r) => ({ id: Number(r.Id), label: String(r.Label ?? "") }));
  for (const p of t.providers) {
    const store = p.pick(s);
    store.items.clear();
    store.status.clear();
    for (const row of readRows(db, p.table)) {
      const rec = providerRecord(row, store);
      if (rec !== undefined) store.items.set(rec.id, rec);
    }
    store.nextId = Math.max(0, ...store.items.keys()) + 1;
  }
  s.rootFolders = readRows(db, t.rootFolders).map((r) => ({
    id: Number(r.Id),
    path: String(r.Path ?? ""),
    ...(t.rootFolders.columns.length > 2
      ? {
          fields: {
            name: r.Name,
            defaultMetadataProfileId: r.DefaultMetadataProfileId,
            defaultQualityProfileId: r.DefaultQualityProfileId,
            defaultMonitorOption: r.DefaultMonitorOption,
            defaultNewItemMonitorOption: r.DefaultNewItemMonitorOption,
            defaultTags: r.DefaultTags ?? [],
          },
        }
      : {}),
  }));
  s.nextRootFolderId = Math.max(0, ...s.rootFolders.map((r) => r.id)) + 1;
  if (t.qualityProfiles !== undefined) s.qualityProfiles = readRows(db, t.qualityProfiles).map(profileObject);
  if (t.metadataProfiles !== undefined) s.metadataProfiles = readRows(db, t.metadataProfiles).map(profileObject);
  s.commands = readRows(db, t.commands).map(commandRecord);
  s.nextCommandId = Math.max(0, ...s.commands.map((c) => c.id)) + 1;
  s.scheduledTasks = readRows(db, t.scheduledTasks).map((r) => ({
    id: Number(r.Id),
    typeName: String(r.TypeName ?? ""),
    interval: Number(r.Interval ?? 0),
    lastExecution: String(r.LastExecution ?? ""),
    lastStartTime: String(r.LastStartTime ?? ""),
  }));
}

/**
 * What the apps' scheduler writes while they run: the short-interval tasks' last execution
 * (`ScheduledTasks`), so the database file changes under a backup that copies it.
 */
export function startScheduler(s: ArrState): void {
  const files = s.files;
  if (files === undefined || files.ticker !== undefined) return;
  const update = files.db.prepare(`UPDATE "ScheduledTasks" SET "LastExecution" = ?, "LastStartTime" = ? WHERE "Interval" <= 1`);
  files.ticker = setInterval(() => {
    const now = iso(new Date());
    try {
      update.run(now, now);
      for (const task of s.scheduledTasks) if (task.interval <= 1) task.lastExecution = task.lastStartTime = now;
    } catch {
      // The database is closing (the app stops).
    }
  }, s.schedulerIntervalMs);
  files.ticker.unref();
}

export function stopScheduler(s: ArrState): void {
  if (s.files?.ticker !== undefined) clearInterval(s.files.ticker);
  if (s.files !== undefined) s.files.ticker = undefined;
}

/** Storage of an *arr simulator on its `/config` volume. */
export function arrStorage(f: ArrFlavor): SimStorage<ArrState> {
  const name = f.names.appName.toLowerCase();
  return {
    layout: ["config.xml", `${name}.db`],
    load: (dir, seed, app) => {
      const s = seed();
      applyPendingRestore(dir, name, app);

      const configFile = join(dir, "config.xml");
      const values = existsSync(configFile) ? parseConfigXml(readFileSync(configFile, "utf8"), "/config/config.xml", f.names.appName) : new Map<string, string>();
      let changed = !existsSync(configFile);
      for (const [k, v] of configDefaults(f, app)) {
        if (!values.has(k)) {
          values.set(k, v);
          changed = true;
        }
      }
      const configText = renderConfigXml(values);
      if (changed) writeFileSync(configFile, configText);
      s.configXml = values;

      const dbFile = join(dir, `${name}.db`);
      const fresh = !existsSync(dbFile);
      const db = openDatabase(dbFile, { wal: true });
      try {
        const tables = arrTables(f, s);
        db.transaction(() => {
          for (const t of allTables(tables)) ensureTable(db, t);
        })();
        if (fresh) {
          seedDatabase(db, tables, s, f);
          s.users = [hashedUser(1, "admin", randomBytes(12).toString("base64url"))];
        }
        s.files = { dir, name, db, configText: changed ? configText : readFileSync(configFile, "utf8"), tables };
        if (fresh) saveArr(s);
        else readDatabase(db, tables, s);
      } catch (err) {
        db.close();
        s.files = undefined;
        throw err;
      }
      s.freshInstall = fresh;
      return s;
    },
    save: (s) => saveArr(s),
    close: (s) => {
      stopScheduler(s);
      s.files?.db.close();
      s.files = undefined;
    },
  };
}
