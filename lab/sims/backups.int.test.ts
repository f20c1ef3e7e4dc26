/**
 * The apps on their volumes and their own backup APIs, for real: every simulator keeps its state
 * in the files the real app uses, in its configuration volume's directory, and loads it when it
 * starts; the backup endpoints write real archives (a consistent database copy inside) and a
 * restore brings the saved state back after the app restarts, while corrupt or foreign archives
 * are refused in each app's own error shape, and the `refuseRestore` fault refuses one restore.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatorControl } from "./control";
import { integrityCheck } from "./engine/db";
import { createZip, readZip } from "./engine/zip";
import { call, startTestHost, starts, TEST_KEYS, waitForRestart, type TestHost } from "./test-support";

let t: TestHost;
let scratch: string;

beforeAll(async () => {
  t = await startTestHost();
  scratch = mkdtempSync(join(tmpdir(), "sims-backups-"));
});

afterAll(async () => {
  await t?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const control = (id: string) => new SimulatorControl(`${t.host.controlUrl}/__control/${id}`);

/** Restarts a simulator through its control endpoint (what a pod restart does) and waits. */
async function restart(id: string): Promise<void> {
  const before = starts(t.host, id);
  await control(id).restart();
  await waitForRestart(t.host, id, before);
}

function upload(url: string, headers: Record<string, string>, field: string, name: string, data: Buffer, extra: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  form.append(field, new Blob([new Uint8Array(data)]), name);
  return fetch(url, { method: "POST", headers, body: form, signal: AbortSignal.timeout(30_000) });
}

describe("apps on their volumes", () => {
  it("every simulator with state keeps it in its volume directory, in the real app's files, with sound databases", () => {
    const withFiles = [...t.host.sims.values()].filter((s) => s.storageLayout.length > 0);
    expect(withFiles.length).toBeGreaterThanOrEqual(9);
    for (const sim of withFiles) {
      const dir = t.dataDir(sim.id);
      expect(dir.startsWith(join(t.labDir, "volumes"))).toBe(true);
      for (const file of sim.storageLayout) {
        expect(existsSync(join(dir, file)), `${sim.id}: ${file}`).toBe(true);
        if (/\.(db|sqlite3)$/.test(file)) expect(integrityCheck(join(dir, file)), `${sim.id}: ${file}`).toEqual(["ok"]);
      }
    }
  });

  it("an *arr app loads config.xml at start: an edit on disk shows in its API after a restart", async () => {
    const base = t.base("radarr");
    const key = { "x-api-key": TEST_KEYS.radarr ?? "" };
    const file = join(t.dataDir("radarr"), "config.xml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/<InstanceName>[^<]*<\/InstanceName>/, "<InstanceName>Radarr edited on disk</InstanceName>"));
    expect(((await call(`${base}/api/v3/system/status`, { headers: key })).json as { instanceName: string }).instanceName).toBe("Radarr");
    await restart("radarr");
    expect(((await call(`${base}/api/v3/system/status`, { headers: key })).json as { instanceName: string }).instanceName).toBe("Radarr edited on disk");
  });

  it("Jellyseerr keeps its servers in settings.json across a restart, and reads an edited file", async () => {
    const url = (p: string) => `${t.base("jellyseerr")}/api/v1${p}`;
    const key = { "x-api-key": TEST_KEYS.jellyseerr ?? "" };
    const body = { name: "Sonarr", hostname: "sonarr.media.svc.cluster.local", port: 8989, apiKey: TEST_KEYS.sonarr, useSsl: false, baseUrl: "/sonarr", activeProfileId: 1, activeProfileName: "Any", activeDirectory: "/data/media/tv", is4k: false, enableSeasonFolders: true, isDefault: true };
    expect((await call(url("/settings/sonarr"), { method: "POST", headers: key, body })).status).toBe(201);
    await restart("jellyseerr");
    expect(((await call(url("/settings/sonarr"), { headers: key })).json as { name: string }[]).map((s) => s.name)).toEqual(["Sonarr"]);
    const file = join(t.dataDir("jellyseerr"), "settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8")) as { sonarr: { name: string }[] };
    settings.sonarr[0] = { ...settings.sonarr[0], name: "Sonarr from the file" };
    writeFileSync(file, JSON.stringify(settings));
    await restart("jellyseerr");
    expect(((await call(url("/settings/sonarr"), { headers: key })).json as { name: string }[]).map((s) => s.name)).toEqual(["Sonarr from the file"]);
  });

  it("a reset empties the volume and the app seeds it again", async () => {
    const dir = t.dataDir("lidarr");
    writeFileSync(join(dir, "stray.txt"), "x");
    await control("lidarr").reset();
    expect(existsSync(join(dir, "stray.txt"))).toBe(false);
    expect(existsSync(join(dir, "lidarr.db"))).toBe(true);
  });
});

const ARR = [
  { id: "sonarr", api: "/api/v3", name: "Sonarr" },
  { id: "radarr", api: "/api/v3", name: "Radarr" },
  { id: "lidarr", api: "/api/v1", name: "Lidarr" },
  { id: "readarr", api: "/api/v1", name: "Readarr" },
  { id: "prowlarr", api: "/api/v1", name: "Prowlarr" },
] as const;

describe.each(ARR)("$id backups", ({ id, api, name }) => {
  const url = (p: string) => `${t.base(id)}${p}`;
  const key = () => ({ "x-api-key": TEST_KEYS[id] ?? "" });
  const lower = name.toLowerCase();

  async function setInstanceName(value: string): Promise<void> {
    const current = (await call(url(`${api}/config/host`), { headers: key() })).json as Record<string, unknown>;
    const r = await call(url(`${api}/config/host/1`), { method: "PUT", headers: key(), body: { ...current, instanceName: value } });
    expect(r.status, r.text).toBe(202);
  }
  const instanceName = async () => ((await call(url(`${api}/system/status`), { headers: key() })).json as { instanceName: string }).instanceName;
  const tags = async () => ((await call(url(`${api}/tag`), { headers: key() })).json as { label: string }[]).map((x) => x.label);

  async function backup(): Promise<{ id: number; name: string; path: string; type: string }> {
    const cmd = await call(url(`${api}/command`), { method: "POST", headers: key(), body: { name: "Backup" } });
    expect(cmd.status).toBe(201);
    const cmdId = (cmd.json as { id: number }).id;
    await expect.poll(async () => ((await call(url(`${api}/command/${cmdId}`), { headers: key() })).json as { status: string }).status, { timeout: 10_000 }).toBe("completed");
    const list = (await call(url(`${api}/system/backup`), { headers: key() })).json as { id: number; name: string; path: string; type: string }[];
    const manual = list.find((b) => b.type === "manual");
    if (manual === undefined) throw new Error("no manual backup listed");
    return manual;
  }

  it("change a setting, Backup, change it again, restore through the restore endpoint: the first value is back after the restart", async () => {
    await setInstanceName(`${name} first`);
    expect((await call(url(`${api}/tag`), { method: "POST", headers: key(), body: { label: "first" } })).status).toBe(201);
    const saved = await backup();
    await setInstanceName(`${name} second`);
    expect((await call(url(`${api}/tag`), { method: "POST", headers: key(), body: { label: "second" } })).status).toBe(201);

    const restored = await call(url(`${api}/system/backup/restore/${saved.id}`), { method: "POST", headers: key() });
    expect([restored.status, restored.json]).toEqual([200, { restartRequired: true }]);
    // As in the real app, the restored state takes effect when the app restarts.
    expect(await instanceName()).toBe(`${name} second`);
    const before = starts(t.host, id);
    expect((await call(url(`${api}/system/restart`), { method: "POST", headers: key() })).json).toEqual({ restarting: true });
    await waitForRestart(t.host, id, before);
    expect(await instanceName()).toBe(`${name} first`);
    expect(await tags()).toEqual(["first"]);
    expect(existsSync(join(t.dataDir(id), `${lower}.restore`))).toBe(false);
  });

  it("writes a real archive: config.xml and a consistent copy of the live database, downloadable at /backup/manual/<file>", async () => {
    const saved = await backup();
    expect(saved.name).toMatch(new RegExp(`^${lower}_backup_v[\\d.]+_\\d{4}\\.\\d{2}\\.\\d{2}_\\d{2}\\.\\d{2}\\.\\d{2}\\.zip$`));
    const file = join(t.dataDir(id), "Backups", "manual", saved.name);
    expect(existsSync(file)).toBe(true);
    expect(execFileSync("unzip", ["-t", file]).toString()).toMatch(/No errors detected/);
    const entries = readZip(readFileSync(file));
    expect(entries.map((e) => e.name).sort()).toEqual(["INFO", "config.xml", `${lower}.db`].sort());
    expect(entries.find((e) => e.name === "config.xml")?.data.toString()).toMatch(/<ApiKey>/);
    const dbFile = join(scratch, `${id}-copy.db`);
    writeFileSync(dbFile, entries.find((e) => e.name === `${lower}.db`)?.data ?? Buffer.alloc(0));
    expect(integrityCheck(dbFile)).toEqual(["ok"]);
    // The live database runs in WAL mode; the copy is left in rollback-journal mode, like the apps leave it.
    const header = readFileSync(dbFile).subarray(18, 20);
    expect([...header]).toEqual([1, 1]);
    expect([...readFileSync(join(t.dataDir(id), `${lower}.db`)).subarray(18, 20)]).toEqual([2, 2]);
    const download = await fetch(url(saved.path));
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/x-zip-compressed");
    expect(Buffer.from(await download.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });

  it("restores an uploaded archive (restore/upload, multipart)", async () => {
    await setInstanceName(`${name} uploaded`);
    const saved = await backup();
    const archive = Buffer.from(await (await fetch(url(saved.path))).arrayBuffer());
    await setInstanceName(`${name} after`);
    const r = await upload(url(`${api}/system/backup/restore/upload`), key(), "restore", saved.name, archive);
    expect([r.status, await r.json()]).toEqual([200, { restartRequired: true }]);
    await restart(id);
    expect(await instanceName()).toBe(`${name} uploaded`);
  });

  it("refuses corrupt and foreign uploads in the app's error shapes, and changes nothing", async () => {
    await setInstanceName(`${name} kept`);
    const notZip = await upload(url(`${api}/system/backup/restore/upload`), key(), "restore", "backup.zip", Buffer.from("this is not a zip archive"));
    const notZipBody = (await notZip.json()) as { message: string; description: string };
    expect(notZip.status).toBe(500);
    expect(notZipBody.message).toBe("Cannot find central directory");
    expect(notZipBody.description).toMatch(/^ICSharpCode\.SharpZipLib\.Zip\.ZipException: Cannot find central directory/);

    const foreign = await upload(url(`${api}/system/backup/restore/upload`), key(), "restore", "other.zip", createZip([{ name: "notes.txt", data: Buffer.from("hello") }]));
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { message: string }).message).toBe("Unable to restore database file from backup");

    const tar = await upload(url(`${api}/system/backup/restore/upload`), key(), "restore", "backup.tar.gz", Buffer.from("x"));
    expect([tar.status, await tar.json()]).toEqual([
      415,
      { message: "UnsupportedMediaType: Invalid extension, must be one of: .zip, .db, .xml", content: "Invalid extension, must be one of: .zip, .db, .xml" },
    ]);
    const none = await fetch(url(`${api}/system/backup/restore/upload`), { method: "POST", headers: key(), body: new FormData() });
    expect([none.status, await none.json()]).toEqual([400, { message: "BadRequest: file must be provided", content: "file must be provided" }]);
    expect((await call(url(`${api}/system/backup/restore/999`), { method: "POST", headers: key() })).status).toBe(404);

    expect(existsSync(join(t.dataDir(id), `${lower}.restore`))).toBe(false);
    await restart(id);
    expect(await instanceName()).toBe(`${name} kept`);
  });

  it("the refuseRestore fault refuses the next restore in the app's shape, then restores work again", async () => {
    const saved = await backup();
    await control(id).refuseRestore();
    const refused = await call(url(`${api}/system/backup/restore/${saved.id}`), { method: "POST", headers: key() });
    expect(refused.status).toBe(500);
    expect(refused.json).toMatchObject({ message: `Access to the path '/config/${lower}.restore' is denied.` });
    expect((refused.json as { description: string }).description).toMatch(/^System\.UnauthorizedAccessException: /);
    expect(existsSync(join(t.dataDir(id), `${lower}.restore`))).toBe(false);
    await control(id).refuseRestore(1, "Disk quota exceeded");
    expect(((await call(url(`${api}/system/backup/restore/${saved.id}`), { method: "POST", headers: key() })).json as { message: string }).message).toBe("Disk quota exceeded");
    expect((await call(url(`${api}/system/backup/restore/${saved.id}`), { method: "POST", headers: key() })).status).toBe(200);
    await restart(id);
  });
});

describe("a restored database that is not one", () => {
  it("is accepted like the app accepts it, then the app cannot start until its volume is fixed", async () => {
    const url = (p: string) => `${t.base("sonarr")}${p}`;
    const key = { "x-api-key": TEST_KEYS.sonarr ?? "" };
    const r = await upload(url("/api/v3/system/backup/restore/upload"), key, "restore", "sonarr.db", Buffer.from("not sqlite ".repeat(200)));
    expect(r.status).toBe(200);
    await control("sonarr").restart().catch(() => undefined);
    const snap = await control("sonarr").snapshot();
    expect(snap.running).toBe(false);
    expect(snap.startError).toMatch(/not a database/);
    await expect(fetch(url("/ping"))).rejects.toThrow();
    await control("sonarr").reset();
    expect((await call(url("/ping"))).status).toBe(200);
  });
});

describe("Bazarr backups (system/backups)", () => {
  const url = (p: string) => `${t.base("bazarr")}/api${p}`;
  const key = { "x-api-key": TEST_KEYS.bazarr ?? "" };
  const setSonarrIp = async (ip: string) => expect((await call(url("/system/settings"), { method: "POST", headers: key, form: { "settings-sonarr-ip": ip } })).status).toBe(204);
  const sonarrIp = async () => ((await call(url("/system/settings"), { headers: key })).json as { sonarr: { ip: string } }).sonarr.ip;
  const backups = async () => ((await call(url("/system/backups"), { headers: key })).json as { data: { filename: string }[] }).data;

  it("backs up, and a restore (PATCH) brings the first value back after Bazarr restarts itself", async () => {
    await setSonarrIp("sonarr-first.media.svc.cluster.local");
    expect((await call(url("/system/backups"), { method: "POST", headers: key })).status).toBe(204);
    const [latest] = await backups();
    const file = join(t.dataDir("bazarr"), "backup", latest?.filename ?? "");
    expect(readZip(readFileSync(file)).map((e) => e.name).sort()).toEqual(["bazarr.db", "config.yaml"]);
    await setSonarrIp("sonarr-second.media.svc.cluster.local");
    const before = starts(t.host, "bazarr");
    expect((await call(url(`/system/backups?filename=${latest?.filename}`), { method: "PATCH", headers: key })).status).toBe(204);
    await waitForRestart(t.host, "bazarr", before);
    expect(await sonarrIp()).toBe("sonarr-first.media.svc.cluster.local");
  });

  it("answers a corrupt archive, a missing one and a refused restore as Bazarr does", async () => {
    const bad = "bazarr_backup_v1.5.2_2020.01.01_00.00.00.zip";
    writeFileSync(join(t.dataDir("bazarr"), "backup", bad), "garbage");
    const corrupt = await call(url(`/system/backups?filename=${bad}`), { method: "PATCH", headers: key });
    expect([corrupt.status, corrupt.json]).toEqual([500, "Error while restoring backup. Check logs."]);
    const missing = await call(url("/system/backups?filename=nope.zip"), { method: "DELETE", headers: key });
    expect([missing.status, missing.json]).toEqual([400, "Filename not provided"]);
    const [latest] = await backups();
    await control("bazarr").refuseRestore();
    const refused = await call(url(`/system/backups?filename=${latest?.filename}`), { method: "PATCH", headers: key });
    expect([refused.status, refused.json]).toEqual([500, "Error while restoring backup. Check logs."]);
    expect(existsSync(join(t.dataDir("bazarr"), "restore", "config.yaml"))).toBe(false);
  });
});

describe("Jellyfin backups (10.11 /Backup API)", () => {
  const url = (p: string) => `${t.base("jellyfin")}${p}`;
  const auth = { "x-emby-token": TEST_KEYS.jellyfin ?? "" };
  const serverName = async () => ((await call(url("/System/Info/Public"))).json as { ServerName: string }).ServerName;

  it("backs up, and a restore brings the first server name back after its restart", async () => {
    await control("jellyfin").set({ serverName: "jellyfin-first" });
    const created = (await call(url("/Backup/Create"), { method: "POST", headers: auth, body: {} })).json as { Path: string };
    const archive = readZip(readFileSync(join(t.dataDir("jellyfin"), "data", "backups", created.Path.split("/").pop() ?? "")));
    expect(archive.map((e) => e.name)).toEqual(expect.arrayContaining(["manifest.json", "Config/system.xml", "Database/HistoryRow.json", "Database/ApiKeys.json"]));
    await control("jellyfin").set({ serverName: "jellyfin-second" });
    const before = starts(t.host, "jellyfin");
    expect((await call(url("/Backup/Restore"), { method: "POST", headers: auth, body: { ArchiveFileName: created.Path } })).status).toBe(204);
    await waitForRestart(t.host, "jellyfin", before);
    expect(await serverName()).toBe("jellyfin-first");
  });

  it("has no manifest for a foreign archive (204), and restoring one fails at start and leaves the server as it was", async () => {
    await control("jellyfin").set({ serverName: "jellyfin-kept" });
    writeFileSync(join(t.dataDir("jellyfin"), "data", "backups", "foreign.zip"), createZip([{ name: "notes.txt", data: Buffer.from("hi") }]));
    expect((await call(url("/Backup/Manifest?path=foreign.zip"), { headers: auth })).status).toBe(204);
    expect(((await call(url("/Backup"), { headers: auth })).json as { Path: string }[]).some((b) => b.Path.endsWith("foreign.zip"))).toBe(false);
    const before = starts(t.host, "jellyfin");
    expect((await call(url("/Backup/Restore"), { method: "POST", headers: auth, body: { ArchiveFileName: "foreign.zip" } })).status).toBe(204);
    await waitForRestart(t.host, "jellyfin", before);
    expect(await serverName()).toBe("jellyfin-kept");
    const missing = await call(url("/Backup/Restore"), { method: "POST", headers: auth, body: { ArchiveFileName: "nope.zip" } });
    expect([missing.status, (missing.json as { title: string }).title]).toEqual([404, "Not Found"]);
  });

  it("the refuseRestore fault answers 500 ProblemDetails", async () => {
    await control("jellyfin").refuseRestore(1, "Access denied (lab)");
    const r = await call(url("/Backup/Restore"), { method: "POST", headers: auth, body: { ArchiveFileName: "foreign.zip" } });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ status: 500, detail: "Access denied (lab)" });
  });
});

describe("SABnzbd configuration backup", () => {
  const api = (q: string) => `${t.base("sabnzbd")}/api?output=json&apikey=${TEST_KEYS.sabnzbd}&${q}`;
  const completeDir = async () => ((await call(api("mode=get_config&section=misc"))).json as { config: { misc: { complete_dir: string } } }).config.misc.complete_dir;

  it("backs up sabnzbd.ini, and an uploaded backup is applied when SABnzbd restarts", async () => {
    await call(api("mode=set_config&section=misc&keyword=complete_dir&value=/data/first"));
    const made = (await call(api("mode=config&name=create_backup"))).json as { value: { result: boolean; message: string } };
    const file = join(t.dataDir("sabnzbd"), made.value.message.replace(/^\/config\//, ""));
    expect(readZip(readFileSync(file)).map((e) => e.name)).toEqual(["history1.db", "sabnzbd.ini"]);
    await call(api("mode=set_config&section=misc&keyword=complete_dir&value=/data/second"));
    const r = await upload(`${t.base("sabnzbd")}/config/general/uploadConfig`, {}, "config_backup_file", "backup.zip", readFileSync(file), { apikey: TEST_KEYS.sabnzbd ?? "" });
    expect(await r.json()).toEqual({ value: { success: true, restart_req: true } });
    expect(await completeDir()).toBe("/data/second");
    const before = starts(t.host, "sabnzbd");
    expect((await call(api("mode=restart"))).json).toEqual({ status: true });
    await waitForRestart(t.host, "sabnzbd", before);
    expect(await completeDir()).toBe("/data/first");
  });

  it("refuses an invalid archive, a request without the key, and a refused restore in SABnzbd's shapes", async () => {
    const target = `${t.base("sabnzbd")}/config/general/uploadConfig`;
    const bad = await upload(target, {}, "config_backup_file", "backup.zip", Buffer.from("nope"), { apikey: TEST_KEYS.sabnzbd ?? "" });
    expect(await bad.json()).toEqual({ status: false, error: "Invalid backup archive" });
    const foreign = await upload(target, {}, "config_backup_file", "backup.zip", createZip([{ name: "other.ini", data: Buffer.from("x") }]), { apikey: TEST_KEYS.sabnzbd ?? "" });
    expect(await foreign.json()).toEqual({ status: false, error: "Invalid backup archive" });
    const noKey = await upload(target, {}, "config_backup_file", "backup.zip", Buffer.from("nope"));
    expect([noKey.status, await noKey.text()]).toEqual([403, "API Key Required"]);
    await control("sabnzbd").refuseRestore();
    const made = (await call(api("mode=config&name=create_backup"))).json as { value: { message: string } };
    const archive = readFileSync(join(t.dataDir("sabnzbd"), made.value.message.replace(/^\/config\//, "")));
    const refused = await upload(target, {}, "config_backup_file", "backup.zip", archive, { apikey: TEST_KEYS.sabnzbd ?? "" });
    expect(await refused.json()).toEqual({ status: false, error: "Invalid backup archive" });
    expect(((await control("sabnzbd").snapshot()).state as { restorePending: boolean }).restorePending).toBe(false);
  });
});
