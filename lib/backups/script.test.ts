/**
 * The backup script, run for real on directories: with dash and the GNU tools (the lab executor's
 * userland) and with busybox's sh and applets (the Alpine image of the backup Jobs), both with
 * Debian's sqlite3. Archives, manifests, checks, previews, staging and the init container's apply
 * are read back from disk.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScriptOutput } from "./results";
import { BACKUP_SCRIPT } from "./script";

let root: string;
let script: string;
let busyboxPath: string | undefined;

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "backup-script-"));
  script = path.join(root, "backup.sh");
  writeFileSync(script, BACKUP_SCRIPT);
  const busybox = which("busybox");
  const sqlite = which("sqlite3");
  if (busybox && sqlite) {
    // A PATH of busybox applets and the sqlite3 shell: the Alpine image's userland.
    busyboxPath = path.join(root, "busybox-bin");
    mkdirSync(busyboxPath);
    for (const applet of execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean)) {
      if (applet !== "sqlite3") symlinkSync(busybox, path.join(busyboxPath, applet));
    }
    symlinkSync(sqlite, path.join(busyboxPath, "sqlite3"));
  }
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Shell {
  name: string;
  run(env: Record<string, string>): { code: number; out: string };
}

const SHELLS: Shell[] = [
  {
    name: "dash with GNU tools",
    run: (env) => {
      const r = spawnSync("/bin/sh", [script], { env: { NODE_ENV: "test", PATH: "/usr/bin:/bin", ...env }, encoding: "utf8" });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
  },
  {
    name: "busybox",
    run: (env) => {
      if (!busyboxPath) throw new Error("busybox and sqlite3 are needed (lab/apps/install.sh installs them)");
      const r = spawnSync(path.join(busyboxPath, "sh"), [script], { env: { NODE_ENV: "test", PATH: busyboxPath, ...env }, encoding: "utf8" });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
  },
];

function sqlite(db: string, sql: string): string {
  return execFileSync("sqlite3", [db, sql], { encoding: "utf8" }).trim();
}

/** A configuration volume like Jellyseerr's or an *arr app's: JSON, XML, INI, YAML, a live WAL database, logs, a socket. */
async function makeVolume(dir: string): Promise<() => Promise<void>> {
  mkdirSync(path.join(dir, "db"), { recursive: true });
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  mkdirSync(path.join(dir, "empty"), { recursive: true });
  writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ main: { applicationTitle: "Jellyseerr" }, sonarr: [{ name: "Sonarr" }] }));
  writeFileSync(path.join(dir, "config.xml"), '<?xml version="1.0" encoding="utf-8"?>\n<Config>\n  <!-- a comment -->\n  <Port>8989</Port>\n  <UrlBase>/sonarr</UrlBase>\n  <Empty />\n</Config>\n');
  writeFileSync(path.join(dir, "qBittorrent.conf"), "[LegalNotice]\nAccepted=true\n\n[Preferences]\nWebUI\\Port=8080\nDownloads\\SavePath=/downloads/\n");
  writeFileSync(path.join(dir, "config.yaml"), "general:\n  ip: 0.0.0.0\n  port: 6767\n  base_url: ''\nsonarr:\n  ip: sonarr.media.svc.cluster.local\n  apikey: abc\n  excluded_tags: []\nnotes: |\n  free text: anything [goes]\n    here\nlist:\n  - one\n  - name: two\n");
  writeFileSync(path.join(dir, "logs", "app.txt"), "a log line\n");
  writeFileSync(path.join(dir, "file with spaces.txt"), "spaces\n");
  symlinkSync("settings.json", path.join(dir, "link.json"));
  const db = path.join(dir, "db", "db.sqlite3");
  sqlite(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('first');");
  // A writer holds the database open in WAL mode with rows still in the -wal file, like a running app.
  const writer = spawnSync("sh", ["-c", `printf 'PRAGMA wal_autocheckpoint=0;\\nINSERT INTO t VALUES ("second");\\n' | sqlite3 ${JSON.stringify(db)}`]);
  expect(writer.status).toBe(0);
  const socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(path.join(dir, "ipc-socket"), resolve));
  return () => new Promise<void>((resolve) => socketServer.close(() => resolve()));
}

describe.each(SHELLS)("the backup script under $name", (shell) => {
  let vol: string;
  let backups: string;
  let closeSocket: () => Promise<void>;
  const base = () => ({
    BACKUP_SOURCE: vol,
    BACKUP_ROOT: backups,
    BACKUP_DIR: "media/jellyseerr",
    BACKUP_NAME: "jellyseerr",
    BACKUP_SERVICE: "media/jellyseerr",
    BACKUP_EXCLUDE: "logs",
    BACKUP_CHECK: "settings.json:json config.xml:xml qBittorrent.conf:ini config.yaml:yaml",
    BACKUP_SCRATCH: path.join(root, "scratch"),
  });
  const run = (env: Record<string, string>) => {
    const r = shell.run({ ...base(), ...env });
    return { ...r, parsed: parseScriptOutput(r.out) };
  };
  const archives = () => readdirSync(path.join(backups, "media", "jellyseerr")).filter((f) => f.endsWith(".tar.gz")).sort();

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(root, "case-"));
    vol = path.join(dir, "config");
    backups = path.join(dir, "backups");
    mkdirSync(vol);
    mkdirSync(backups);
    mkdirSync(path.join(root, "scratch"), { recursive: true });
    closeSocket = await makeVolume(vol);
  });
  afterAll(async () => {
    await closeSocket?.();
  });

  it("backs up: a consistent database copy, every file with its SHA-256 in a manifest, sockets and excluded paths left out", () => {
    const r = run({ BACKUP_ACTION: "backup", BACKUP_KIND: "manual" });
    expect(r.code, r.out).toBe(0);
    const result = r.parsed.result;
    expect(result).toMatchObject({ action: "backup", ok: true, kind: "manual", files: 6, databases: ["db/db.sqlite3"] });
    const [archive] = archives();
    expect(archive).toMatch(/^jellyseerr-\d{8}-\d{6}\.tar\.gz$/);
    expect(result?.archive).toBe(`media/jellyseerr/${archive}`);
    const file = path.join(backups, "media", "jellyseerr", archive ?? "");
    expect(readFileSync(`${file}.sha256`, "utf8")).toBe(`${result?.sha256}  ${archive}\n`);
    expect(execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0]).toBe(result?.sha256);
    const listing = execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).split("\n").map((l) => l.replace(/^\.\//, "")).filter((l) => l && !l.endsWith("/"));
    expect(listing.sort()).toEqual([".k8s-nas-panel-manifest.json", "config.xml", "config.yaml", "db/db.sqlite3", "file with spaces.txt", "link.json", "qBittorrent.conf", "settings.json"].sort());
    const manifest = JSON.parse(readFileSync(file.replace(/\.tar\.gz$/, ".manifest.json"), "utf8")) as {
      archive: { name: string; sha256: string; size: number };
      service: string;
      files: Array<{ path: string; size: number; sha256: string; sqlite: boolean }>;
      links: Array<{ path: string; target: string }>;
    };
    expect(manifest.archive).toEqual({ name: archive, sha256: result?.sha256, size: result?.size });
    expect(manifest.service).toBe("media/jellyseerr");
    expect(manifest.links).toEqual([{ path: "link.json", target: "settings.json" }]);
    const settings = manifest.files.find((f) => f.path === "settings.json");
    expect(settings?.sha256).toBe(execFileSync("sha256sum", [path.join(vol, "settings.json")], { encoding: "utf8" }).split(" ")[0]);
    expect(manifest.files.find((f) => f.path === "db/db.sqlite3")?.sqlite).toBe(true);
    // The database copy holds the rows still in the live database's -wal file, and is sound.
    const out = path.join(root, `extract-${shell.name.replace(/\W/g, "")}`);
    mkdirSync(out, { recursive: true });
    execFileSync("tar", ["-xzf", file, "-C", out]);
    expect(sqlite(path.join(out, "db", "db.sqlite3"), "SELECT group_concat(x) FROM t;")).toBe("first,second");
    expect(sqlite(path.join(out, "db", "db.sqlite3"), "PRAGMA integrity_check;")).toBe("ok");
    expect(existsSync(path.join(out, "db", "db.sqlite3-wal"))).toBe(false);
  });

  it("verifies an archive: checksum, listing against the manifest, every file, the config files parse, integrity_check", () => {
    const r = run({ BACKUP_ACTION: "verify", BACKUP_ARCHIVE: "latest" });
    expect(r.code, r.out).toBe(0);
    expect(r.parsed.result).toMatchObject({ action: "verify", ok: true, files: 7 });
    expect(r.parsed.checks.map((c) => [c.check, c.file ?? "", c.ok])).toEqual([
      ["checksum", "", true],
      ["listing", "", true],
      ["files", "", true],
      ["config", "settings.json", true],
      ["config", "config.xml", true],
      ["config", "qBittorrent.conf", true],
      ["config", "config.yaml", true],
      ["sqlite", "db/db.sqlite3", true],
    ]);
  });

  it("finds a config file that does not parse, one that is missing, and an unknown format", () => {
    const r = run({ BACKUP_ACTION: "verify", BACKUP_ARCHIVE: "latest", BACKUP_CHECK: "settings.json:xml nothere.ini|config.xml:ini qBittorrent.conf:toml" });
    expect(r.code).toBe(2);
    expect(r.parsed.result).toMatchObject({ ok: false });
    const config = r.parsed.checks.filter((c) => c.check === "config");
    expect(config.map((c) => c.ok)).toEqual([false, false, false]);
    expect(config[0]?.detail).toMatch(/does not parse as xml/);
    expect(config[1]?.file).toBe("config.xml");
    expect(config[2]?.detail).toMatch(/unknown format toml/);
  });

  it("refuses an archive whose bytes changed (checksum), naming both sums, and changes nothing", () => {
    const [archive] = archives();
    const file = path.join(backups, "media", "jellyseerr", archive ?? "");
    const original = readFileSync(file);
    const copy = Buffer.from(original);
    copy[Math.floor(copy.length / 2)] = (copy[Math.floor(copy.length / 2)] ?? 0) ^ 0xff;
    writeFileSync(file, copy);
    try {
      for (const action of ["verify", "preview", "stage"]) {
        const r = run({ BACKUP_ACTION: action, BACKUP_ARCHIVE: `media/jellyseerr/${archive}` });
        expect(r.code, action).toBe(2);
        expect(r.parsed.result?.error).toMatch(/checksum mismatch/);
        expect(r.parsed.checks[0]).toMatchObject({ check: "checksum", ok: false });
      }
      expect(existsSync(path.join(vol, ".k8s-nas-panel-restore", "ready"))).toBe(false);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("previews a restore: files changed, added and removed with sizes; databases compared by content", () => {
    writeFileSync(path.join(vol, "settings.json"), JSON.stringify({ main: { applicationTitle: "Changed since" } }));
    writeFileSync(path.join(vol, "new-file.txt"), "new\n");
    rmSync(path.join(vol, "config.yaml"));
    const r = run({ BACKUP_ACTION: "preview", BACKUP_ARCHIVE: "latest" });
    expect(r.code, r.out).toBe(0);
    const byPath = Object.fromEntries(r.parsed.preview.map((p) => [p.path, p]));
    expect(byPath["settings.json"]).toMatchObject({ change: "changed", currentSize: readFileSync(path.join(vol, "settings.json")).length });
    expect(byPath["config.yaml"]).toMatchObject({ change: "added", currentSize: null });
    expect(byPath["new-file.txt"]).toMatchObject({ change: "removed", size: null, currentSize: 4 });
    expect(byPath["db/db.sqlite3"]).toBeUndefined();
    expect(r.parsed.result).toMatchObject({ ok: true, added: 1, changed: 1, removed: 1, unchanged: 5 });
  });

  it("stages a restore on the volume without touching the app's files, and the init container's apply puts it in place, keeping excluded paths", () => {
    const before = readFileSync(path.join(vol, "settings.json"), "utf8");
    const staged = run({ BACKUP_ACTION: "stage", BACKUP_ARCHIVE: "latest" });
    expect(staged.code, staged.out).toBe(0);
    expect(readFileSync(path.join(vol, "settings.json"), "utf8")).toBe(before);
    expect(JSON.parse(readFileSync(path.join(vol, ".k8s-nas-panel-restore", "ready"), "utf8"))).toMatchObject({ archive: `media/jellyseerr/${archives()[0]}` });
    const applied = run({ BACKUP_ACTION: "apply", BACKUP_RUNNING_MARKERS: "not-running" });
    expect(applied.code, applied.out).toBe(0);
    expect(applied.parsed.result).toMatchObject({ action: "apply", ok: true, applied: true });
    expect(JSON.parse(readFileSync(path.join(vol, "settings.json"), "utf8"))).toEqual({ main: { applicationTitle: "Jellyseerr" }, sonarr: [{ name: "Sonarr" }] });
    expect(existsSync(path.join(vol, "config.yaml"))).toBe(true);
    expect(existsSync(path.join(vol, "new-file.txt"))).toBe(false);
    expect(readFileSync(path.join(vol, "logs", "app.txt"), "utf8")).toBe("a log line\n");
    expect(sqlite(path.join(vol, "db", "db.sqlite3"), "SELECT group_concat(x) FROM t;")).toBe("first,second");
    expect(existsSync(path.join(vol, ".k8s-nas-panel-manifest.json"))).toBe(false);
    expect(readFileSync(path.join(vol, ".k8s-nas-panel-restore", "previous", "new-file.txt"), "utf8")).toBe("new\n");
    expect(existsSync(path.join(vol, ".k8s-nas-panel-restore", "ready"))).toBe(false);
    // The next start finds nothing staged, and needs no scratch space for that (the init container's is on the volume).
    const next = run({ BACKUP_ACTION: "apply", BACKUP_SCRATCH: path.join(vol, ".k8s-nas-panel-restore", "not-there") });
    expect(next.code, next.out).toBe(0);
    expect(next.parsed.result).toMatchObject({ ok: true, applied: false });
  });

  it("puts the volume back when a staged file is damaged before it is applied", () => {
    writeFileSync(path.join(vol, "settings.json"), "kept as it is");
    expect(run({ BACKUP_ACTION: "stage", BACKUP_ARCHIVE: "latest" }).code).toBe(0);
    writeFileSync(path.join(vol, ".k8s-nas-panel-restore", "staging", "config.xml"), "<damaged/>");
    const r = run({ BACKUP_ACTION: "apply" });
    expect(r.code, r.out).toBe(0);
    expect(r.parsed.result).toMatchObject({ ok: false, applied: false, rolledBack: true, error: expect.stringMatching(/differ from the archive/) });
    expect(readFileSync(path.join(vol, "settings.json"), "utf8")).toBe("kept as it is");
    expect(JSON.parse(readFileSync(path.join(vol, ".k8s-nas-panel-restore", "failed"), "utf8")).reason).toMatch(/differ/);
    expect(existsSync(path.join(vol, ".k8s-nas-panel-restore", "ready"))).toBe(false);
  });

  it("keeps the newest archives (BACKUP_KEEP) and the last five pre-restore ones apart", () => {
    const pre = run({ BACKUP_ACTION: "backup", BACKUP_KIND: "pre-restore" });
    expect(pre.parsed.result?.archive).toMatch(/-pre-restore\.tar\.gz$/);
    for (let i = 0; i < 2; i++) {
      // One archive per second at most: the names carry the time to the second.
      spawnSync("sleep", ["1.05"]);
      expect(run({ BACKUP_ACTION: "backup", BACKUP_KEEP: "2" }).code).toBe(0);
    }
    const list = archives();
    expect(list.filter((f) => !f.includes("pre-restore"))).toHaveLength(2);
    expect(list.filter((f) => f.includes("pre-restore"))).toHaveLength(1);
    expect(readdirSync(path.join(backups, "media", "jellyseerr")).filter((f) => f.endsWith(".manifest.json"))).toHaveLength(3);
    // "latest" never picks a pre-restore archive.
    expect(run({ BACKUP_ACTION: "verify", BACKUP_ARCHIVE: "latest", BACKUP_CHECK: "" }).parsed.result?.archive).toBe(`media/jellyseerr/${list.filter((f) => !f.includes("pre-restore")).at(-1)}`);
  });

  it("fails clearly, leaving no partial archive, when the backup volume cannot be written", () => {
    const blocked = path.join(root, `blocked-${shell.name.replace(/\W/g, "")}`);
    writeFileSync(blocked, "a file where a directory should be");
    const r = run({ BACKUP_ACTION: "backup", BACKUP_ROOT: blocked });
    expect(r.code).toBe(1);
    expect(r.parsed.result).toMatchObject({ action: "backup", ok: false, step: "write" });
    chmodSync(blocked, 0o644);
  });

  it("refuses an archive path outside the backup volume and an unknown action", () => {
    expect(run({ BACKUP_ACTION: "verify", BACKUP_ARCHIVE: "../etc/passwd" }).parsed.result).toMatchObject({ ok: false, error: expect.stringMatching(/leaves the backup volume/) });
    expect(run({ BACKUP_ACTION: "explode" }).code).toBe(3);
  });
});
