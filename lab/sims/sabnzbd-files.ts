/**
 * SABnzbd's files on its `/config` volume, as SABnzbd 4.5 keeps them (`sabnzbd/config.py`,
 * `sabnzbd/constants.py`):
 *
 *   sabnzbd.ini          the configuration (configobj: `[misc]`, `[servers]` with `[[name]]`
 *                        subsections, `[categories]`, and any other section kept as it is)
 *   admin/history1.db    the history database (SQLite)
 *   backups/             configuration backups (`backup_dir`, seeded to `/config/backups`):
 *                        `sabnzbd_backup_<version>_<YYYY.MM.DD_HH.MM.SS>.zip` with sabnzbd.ini
 *                        and the admin files
 *
 * A configuration restore is held in memory until SABnzbd restarts (`RESTORE_DATA`), then written
 * over sabnzbd.ini and the admin files and loaded.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTable, openDatabase, type Db, type TableSpec } from "./engine/db";
import { containerPath, volumePath } from "./engine/volume";
import { createZip, readZip } from "./engine/zip";

/** A configobj file: top-level keys, then sections with keys and `[[sub]]` sections. */
export interface IniFile {
  top: Map<string, string>;
  sections: Map<string, { values: Map<string, string>; subs: Map<string, Map<string, string>> }>;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

function quoteValue(v: string): string {
  return v === "" || /^\s|\s$|[#,"]/.test(v) ? `"${v.replace(/"/g, "'")}"` : v;
}

/** Parses a configobj file (what SABnzbd writes, and what the fixture's init scripts edit). */
export function parseIni(text: string): IniFile {
  const ini: IniFile = { top: new Map(), sections: new Map() };
  let section: string | undefined;
  let sub: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const subM = /^\[\[(.*)\]\]$/.exec(line);
    const secM = /^\[([^[\]]*)\]$/.exec(line);
    if (subM !== null && section !== undefined) {
      sub = subM[1] ?? "";
      ini.sections.get(section)?.subs.set(sub, new Map());
      continue;
    }
    if (secM !== null) {
      section = secM[1] ?? "";
      sub = undefined;
      if (!ini.sections.has(section)) ini.sections.set(section, { values: new Map(), subs: new Map() });
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = unquote(line.slice(eq + 1));
    if (section === undefined) ini.top.set(key, value);
    else if (sub !== undefined) ini.sections.get(section)?.subs.get(sub)?.set(key, value);
    else ini.sections.get(section)?.values.set(key, value);
  }
  return ini;
}

/** Writes a configobj file the way SABnzbd saves sabnzbd.ini. */
export function renderIni(ini: IniFile): string {
  const out: string[] = [];
  for (const [k, v] of ini.top) out.push(`${k} = ${quoteValue(v)}`);
  for (const [name, sec] of ini.sections) {
    out.push(`[${name}]`);
    for (const [k, v] of sec.values) out.push(`${k} = ${quoteValue(v)}`);
    for (const [subName, values] of sec.subs) {
      out.push(`[[${subName}]]`);
      for (const [k, v] of values) out.push(`${k} = ${quoteValue(v)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** The section `name`, created when missing. */
export function section(ini: IniFile, name: string): { values: Map<string, string>; subs: Map<string, Map<string, string>> } {
  let s = ini.sections.get(name);
  if (s === undefined) {
    s = { values: new Map(), subs: new Map() };
    ini.sections.set(name, s);
  }
  return s;
}

const HISTORY: TableSpec = {
  name: "history",
  columns: [
    ["id", "int"],
    ["completed", "int"],
    ["name", "text"],
    ["nzb_name", "text"],
    ["category", "text"],
    ["status", "text"],
    ["nzo_id", "text"],
    ["storage", "text"],
    ["bytes", "int"],
    ["time_added", "int"],
  ],
};

/** Opens admin/history1.db (the history SABnzbd keeps next to its configuration). */
export function openHistoryDb(dir: string): Db {
  const db = openDatabase(join(dir, "admin", "history1.db"), { wal: false });
  try {
    ensureTable(db, HISTORY);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Files of the admin folder a backup carries (`CONFIG_BACKUP_FILES`). */
const ADMIN_FILES = ["totals10.sab", "rss_data.sab", "history1.db"];

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * `create_config_backup`: sabnzbd.ini and the admin files zipped into `backup_dir` (else
 * `complete_dir`); returns the archive's container path, or false when it cannot be written
 * (SABnzbd answers `{"value": {"result": false, "message": false}}`).
 */
export function createSabBackup(dir: string, misc: Map<string, string>, version: string, at = new Date()): string | false {
  const target = misc.get("backup_dir") || misc.get("complete_dir") || "";
  const folder = target === "" ? undefined : volumePath(dir, target);
  if (folder === undefined) return false;
  mkdirSync(folder, { recursive: true });
  const name = `sabnzbd_backup_${version}_${at.getFullYear()}.${pad(at.getMonth() + 1)}.${pad(at.getDate())}_${pad(at.getHours())}.${pad(at.getMinutes())}.${pad(at.getSeconds())}.zip`;
  const entries = ADMIN_FILES.filter((f) => existsSync(join(dir, "admin", f))).map((f) => ({ name: f, data: readFileSync(join(dir, "admin", f)), mtime: at }));
  entries.push({ name: "sabnzbd.ini", data: readFileSync(join(dir, "sabnzbd.ini")), mtime: at });
  const file = join(folder, name);
  writeFileSync(file, createZip(entries));
  utimesSync(file, at, at);
  return containerPath(dir, file);
}

/** `validate_config_backup`: a ZIP archive that holds a sabnzbd.ini. */
export function validSabBackup(data: Buffer): boolean {
  try {
    return readZip(data).some((e) => e.name === "sabnzbd.ini");
  } catch {
    return false;
  }
}

/** `restore_config_backup`: sabnzbd.ini first, then the admin files the archive holds. */
export function applySabRestore(dir: string, data: Buffer): void {
  const entries = readZip(data);
  const ini = entries.find((e) => e.name === "sabnzbd.ini");
  if (ini === undefined) return;
  writeFileSync(join(dir, "sabnzbd.ini"), ini.data);
  mkdirSync(join(dir, "admin"), { recursive: true });
  for (const e of entries) if (ADMIN_FILES.includes(e.name)) writeFileSync(join(dir, "admin", e.name), e.data);
}
