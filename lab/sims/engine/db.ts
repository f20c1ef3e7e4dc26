/**
 * The simulators' SQLite databases: real database files (better-sqlite3) with the tables and
 * column names of the real apps, written while the app runs, so a backup that copies a live
 * database file can tear it and `PRAGMA integrity_check` can tell.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** How a column's value is stored: booleans as 0/1, JSON as text (as the apps store settings). */
export type ColumnKind = "int" | "real" | "text" | "bool" | "json";

/** A table: its name and columns. The first column is the `INTEGER PRIMARY KEY` unless `noKey`. */
export interface TableSpec {
  name: string;
  columns: [string, ColumnKind][];
  /** The table has no integer primary key (FluentMigrator's `VersionInfo`, TypeORM's `migrations`). */
  noKey?: boolean;
}

/**
 * Opens (creating) a database. `wal`: journal_mode=WAL, as the *arr apps and Bazarr run on Linux
 * (the database then lives in three files while open: `x.db`, `x.db-wal`, `x.db-shm`).
 */
export function openDatabase(file: string, opts: { wal: boolean }): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma(opts.wal ? "journal_mode = WAL" : "journal_mode = DELETE");
    db.pragma("synchronous = NORMAL");
    // Fails here, at start, for a file that is not a database (as the apps fail to start).
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function sqlType(kind: ColumnKind): string {
  return kind === "int" || kind === "bool" ? "INTEGER" : kind === "real" ? "REAL" : "TEXT";
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the table when missing. */
export function ensureTable(db: Db, spec: TableSpec): void {
  const cols = spec.columns.map(([name, kind], i) =>
    i === 0 && spec.noKey !== true ? `${quote(name)} INTEGER PRIMARY KEY AUTOINCREMENT` : `${quote(name)} ${sqlType(kind)}`,
  );
  db.exec(`CREATE TABLE IF NOT EXISTS ${quote(spec.name)} (${cols.join(", ")})`);
}

function encode(v: unknown, kind: ColumnKind): unknown {
  if (v === undefined) return null;
  switch (kind) {
    case "bool":
      return v === true ? 1 : 0;
    case "json":
      return JSON.stringify(v);
    case "int":
    case "real":
      return typeof v === "number" ? v : v === null ? null : Number(v);
    case "text":
      return v === null ? null : typeof v === "string" ? v : JSON.stringify(v);
  }
}

function decode(v: unknown, kind: ColumnKind): unknown {
  if (v === null || v === undefined) return kind === "bool" ? false : null;
  switch (kind) {
    case "bool":
      return v === 1 || v === 1n || v === true;
    case "json":
      return typeof v === "string" ? (JSON.parse(v) as unknown) : v;
    case "int":
    case "real":
      return Number(v);
    case "text":
      return String(v);
  }
}

/** Replaces every row of the table (call inside a transaction). */
export function writeRows(db: Db, spec: TableSpec, rows: Record<string, unknown>[]): void {
  db.prepare(`DELETE FROM ${quote(spec.name)}`).run();
  if (rows.length === 0) return;
  const names = spec.columns.map(([n]) => n);
  const insert = db.prepare(`INSERT INTO ${quote(spec.name)} (${names.map(quote).join(", ")}) VALUES (${names.map(() => "?").join(", ")})`);
  for (const row of rows) insert.run(...spec.columns.map(([n, kind]) => encode(row[n], kind)));
}

/** Every row, decoded (columns the file lacks read as null). */
export function readRows(db: Db, spec: TableSpec): Record<string, unknown>[] {
  const present = new Set((db.prepare(`PRAGMA table_info(${quote(spec.name)})`).all() as { name: string }[]).map((c) => c.name));
  if (present.size === 0) return [];
  const order = spec.noKey === true ? "rowid" : quote(spec.columns[0]?.[0] ?? "rowid");
  const rows = db.prepare(`SELECT * FROM ${quote(spec.name)} ORDER BY ${order}`).all() as Record<string, unknown>[];
  return rows.map((r) => Object.fromEntries(spec.columns.map(([n, kind]) => [n, present.has(n) ? decode(r[n], kind) : decode(null, kind)])));
}

/**
 * A consistent copy of a live database through SQLite's online backup API (what the apps use:
 * `SQLiteConnection.BackupDatabase`, Python's `sqlite3.Connection.backup`), left in rollback-journal
 * mode like the apps leave their copies.
 */
export async function onlineBackup(db: Db, destination: string): Promise<void> {
  mkdirSync(dirname(destination), { recursive: true });
  await db.backup(destination);
  const copy = new Database(destination);
  try {
    copy.pragma("journal_mode = TRUNCATE");
  } finally {
    copy.close();
  }
}

/** `PRAGMA integrity_check` of a database file: `["ok"]` when it is sound. */
export function integrityCheck(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}
