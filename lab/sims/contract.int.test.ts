/**
 * Contract tests: every operation each simulator implements is called at least once with a
 * request the official spec accepts, and every response is checked against the spec (the host
 * runs in `throw` mode: a response that does not match becomes a 500 and a recorded violation).
 * Each simulator also refuses a spec-violating request in its app's error shape and, where the
 * app has auth, answers a request without credentials the way the app does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SABNZBD_CATEGORIES } from "./sabnzbd";
import { call, startTestHost, starts, TEST_KEYS, waitForRestart, type TestHost } from "./test-support";

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost();
});

afterAll(async () => {
  await t?.stop();
});

const arrKey = (id: string) => ({ "x-api-key": TEST_KEYS[id] ?? "" });

/** Operations of `id` that never answered below 400. */
function unexercised(id: string): string[] {
  const sim = t.host.sims.get(id);
  if (sim === undefined) throw new Error(`no simulator ${id}`);
  const counters = sim.counters().byOperation;
  return sim.operationIds.filter((op) => !Object.keys(counters[op] ?? {}).some((status) => Number(status) < 400));
}

function sabSettings(category: string, field: string): { name: string; value: unknown }[] {
  return [
    { name: "host", value: "sabnzbd.media.svc.cluster.local" },
    { name: "port", value: 8080 },
    { name: "urlBase", value: "/sabnzbd" },
    { name: "apiKey", value: TEST_KEYS.sabnzbd },
    { name: field, value: category },
  ];
}

/** `host`: a fresh install's authentication and the instance-name rule's message (Readarr's controller predates Sonarr v4's). */
const V4_HOST = { authenticationMethod: "forms", instanceNameRule: (app: string) => `Must start or end with ${app}` };
const ARR = [
  { id: "sonarr", api: "/api/v3", category: "tv", field: "tvCategory", media: true, host: V4_HOST },
  { id: "radarr", api: "/api/v3", category: "movies", field: "movieCategory", media: true, host: V4_HOST },
  { id: "lidarr", api: "/api/v1", category: "music", field: "musicCategory", media: true, host: V4_HOST },
  { id: "readarr", api: "/api/v1", category: "books", field: "musicCategory", media: true, host: { authenticationMethod: "none", instanceNameRule: () => "Must contain readarr" } },
  { id: "prowlarr", api: "/api/v1", category: "prowlarr", field: "category", media: false, host: V4_HOST },
] as const;

describe.each(ARR)("$id simulator", ({ id, api, category, field, host: hostRules }) => {
  const url = (p: string) => `${t.base(id)}${p}`;
  const key = () => arrKey(id);

  it("serves /ping without a key and refuses the API without one (401, empty body)", async () => {
    expect((await call(url("/ping"))).json).toEqual({ status: "OK" });
    expect((await call(url("/ping"), { method: "HEAD" })).status).toBe(200);
    const noKey = await call(url(`${api}/system/status`));
    expect(noKey.status).toBe(401);
    expect(noKey.text).toBe("");
    expect((await call(url(`${api}/system/status`), { headers: { "x-api-key": "wrong" } })).status).toBe(401);
  });

  it("reports its version and URL base, by header or apikey query, with X-Application-Version", async () => {
    const byHeader = await call(url(`${api}/system/status`), { headers: key() });
    expect(byHeader.status).toBe(200);
    const s = byHeader.json as { appName: string; version: string; urlBase: string };
    expect(s.urlBase).toBe(t.urlBase(id));
    expect(byHeader.headers.get("x-application-version")).toBe(s.version);
    const byQuery = await call(url(`${api}/system/status?apikey=${TEST_KEYS[id]}`));
    expect(byQuery.status).toBe(200);
  });

  it("redirects (307) a request that lacks the URL base, as UrlBaseMiddleware does", async () => {
    const sim = t.host.sims.get(id);
    const r = await call(`${sim?.url()}${api}/system/status`, { headers: key() });
    expect(r.status).toBe(307);
    expect(r.headers.get("location")).toBe(`${t.urlBase(id)}${api}/system/status`);
  });

  it("refuses a spec-violating body with ASP.NET's ValidationProblemDetails, and an empty name with a failures array", async () => {
    const badType = await call(url(`${api}/downloadclient`), {
      method: "POST",
      headers: key(),
      body: { name: "x", implementation: "Sabnzbd", configContract: "SabnzbdSettings", enable: "yes", fields: [] },
    });
    expect(badType.status).toBe(400);
    const pd = badType.json as { title: string; errors: Record<string, string[]> };
    expect(pd.title).toBe("One or more validation errors occurred.");
    expect(Object.keys(pd.errors)).toContain("$.enable");
    const unknown = await call(url(`${api}/downloadclient`), { method: "POST", headers: key(), body: { name: "x", nmae: "typo", fields: [] } });
    expect(unknown.status).toBe(400);
    expect(Object.keys((unknown.json as { errors: Record<string, unknown> }).errors)).toContain("$.nmae");
    const noName = await call(url(`${api}/downloadclient`), { method: "POST", headers: key(), body: { name: "", implementation: "Sabnzbd", configContract: "SabnzbdSettings", fields: [] } });
    expect(noName.status).toBe(400);
    expect(noName.json).toEqual(expect.arrayContaining([expect.objectContaining({ propertyName: "Name", errorMessage: "'Name' must not be empty.", severity: "error" })]));
  });

  it("exercises tags, download clients (schema, test, create, read, update, testall, delete)", async () => {
    expect((await call(url(`${api}/tag`), { headers: key() })).json).toEqual([]);
    expect((await call(url(`${api}/tag`), { method: "POST", headers: key(), body: { label: "Lab" } })).status).toBe(201);
    const schema = (await call(url(`${api}/downloadclient/schema`), { headers: key() })).json as { implementation: string }[];
    expect(schema.map((s) => s.implementation)).toEqual(expect.arrayContaining(["QBittorrent", "Sabnzbd"]));
    const body = { name: "SABnzbd", implementation: "Sabnzbd", configContract: "SabnzbdSettings", enable: true, protocol: "usenet", priority: 1, tags: [], fields: sabSettings(category, field) };
    const test = await call(url(`${api}/downloadclient/test`), { method: "POST", headers: key(), body });
    expect(test.status, test.text).toBe(200);
    const created = await call(url(`${api}/downloadclient`), { method: "POST", headers: key(), body });
    expect(created.status, created.text).toBe(201);
    const dc = created.json as { id: number; fields: { name: string; value?: unknown }[] };
    expect(created.headers.get("location")).toBe(`${t.urlBase(id)}${api}/downloadclient/${dc.id}`);
    // Secrets come back masked, except from Readarr 0.3, whose fields have no privacy.
    const masks = id !== "readarr";
    expect(dc.fields.find((f) => f.name === "apiKey")?.value).toBe(masks ? "********" : TEST_KEYS.sabnzbd);
    const one = await call(url(`${api}/downloadclient/${dc.id}`), { headers: key() });
    expect(one.status).toBe(200);
    const list = (await call(url(`${api}/downloadclient`), { headers: key() })).json as unknown[];
    expect(list).toHaveLength(1);
    const renamed = await call(url(`${api}/downloadclient/${dc.id}`), {
      method: "PUT",
      headers: key(),
      body: { ...body, id: dc.id, name: "SABnzbd (usenet)", fields: body.fields.map((f) => (f.name === "apiKey" && masks ? { ...f, value: "********" } : f)) },
    });
    expect(renamed.status, renamed.text).toBe(202);
    expect((renamed.json as { name: string }).name).toBe("SABnzbd (usenet)");
    const all = await call(url(`${api}/downloadclient/testall`), { method: "POST", headers: key() });
    expect(all.status, all.text).toBe(200);
    expect(all.json).toEqual([{ id: dc.id, isValid: true, validationFailures: [] }]);
    expect((await call(url(`${api}/downloadclient/${dc.id}`), { method: "DELETE", headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/downloadclient/${dc.id}`), { headers: key() })).status).toBe(404);
  });

  it("exercises health, backups, the Backup command, restores and the restart", async () => {
    expect((await call(url(`${api}/health`), { headers: key() })).status).toBe(200);
    const before = (await call(url(`${api}/system/backup`), { headers: key() })).json as { id: number; type: string }[];
    const cmd = await call(url(`${api}/command`), { method: "POST", headers: key(), body: { name: "Backup" } });
    expect(cmd.status, cmd.text).toBe(201);
    expect((cmd.json as { status: string }).status).toBe("queued");
    const cmdId = (cmd.json as { id: number }).id;
    await expect.poll(async () => ((await call(url(`${api}/command/${cmdId}`), { headers: key() })).json as { status: string }).status, { timeout: 10_000 }).toBe("completed");
    expect((await call(url(`${api}/command`), { headers: key() })).json).toHaveLength(1);
    const after = (await call(url(`${api}/system/backup`), { headers: key() })).json as { id: number; type: string; name: string; path: string }[];
    expect(after).toHaveLength(before.length + 1);
    const manual = after.find((b) => b.type === "manual");
    expect(manual?.path).toBe(`/backup/manual/${manual?.name}`);
    const archive = await fetch(url(manual?.path ?? ""));
    expect(archive.status).toBe(200);
    const bytes = Buffer.from(await archive.arrayBuffer());
    const restored = await call(url(`${api}/system/backup/restore/${manual?.id}`), { method: "POST", headers: key() });
    expect([restored.status, restored.json]).toEqual([200, { restartRequired: true }]);
    const form = new FormData();
    form.append("restore", new Blob([bytes]), manual?.name ?? "backup.zip");
    const upload = await fetch(url(`${api}/system/backup/restore/upload`), { method: "POST", headers: key(), body: form });
    expect([upload.status, await upload.json()]).toEqual([200, { restartRequired: true }]);
    expect((await call(url(`${api}/system/backup/${manual?.id}`), { method: "DELETE", headers: key() })).status).toBe(200);
    const startsBefore = starts(t.host, id);
    const restart = await call(url(`${api}/system/restart`), { method: "POST", headers: key() });
    expect([restart.status, restart.json]).toEqual([200, { restarting: true }]);
    await waitForRestart(t.host, id, startsBefore);
  });

  it("reads and writes the host settings (config/host) with the controller's validation", async () => {
    const host = await call(url(`${api}/config/host`), { headers: key() });
    expect(host.status).toBe(200);
    const current = host.json as Record<string, unknown>;
    expect(current).toMatchObject({ id: 1, urlBase: t.urlBase(id), apiKey: TEST_KEYS[id], backupFolder: "Backups", authenticationMethod: hostRules.authenticationMethod });
    const appName = `${id.charAt(0).toUpperCase()}${id.slice(1)}`;
    const saved = await call(url(`${api}/config/host/1`), { method: "PUT", headers: key(), body: { ...current, instanceName: `${appName} (lab)`, backupRetention: 14 } });
    expect(saved.status, saved.text).toBe(202);
    expect(saved.json).toMatchObject({ instanceName: `${appName} (lab)`, backupRetention: 14 });
    const bad = await call(url(`${api}/config/host/1`), { method: "PUT", headers: key(), body: { ...current, instanceName: "Lab", backupRetention: 200 } });
    expect(bad.status).toBe(400);
    expect((bad.json as { propertyName: string; errorMessage: string }[]).map((f) => [f.propertyName, f.errorMessage])).toEqual([
      ["InstanceName", hostRules.instanceNameRule(appName)],
      ["BackupRetention", "'Backup Retention' must be between 1 and 90. You entered 200."],
    ]);
  });

});

describe.each(ARR.filter((a) => a.media))("$id simulator (media apps)", ({ id, api, category }) => {
  const url = (p: string) => `${t.base(id)}${p}`;
  const key = () => arrKey(id);

  it("exercises root folders, quality profiles and the indexer test Prowlarr calls", async () => {
    const rfBody: Record<string, unknown> = { path: `/data/media/${category}` };
    if (id === "lidarr" || id === "readarr") Object.assign(rfBody, { name: "Library", defaultQualityProfileId: 1, defaultMetadataProfileId: 1 });
    const rf = await call(url(`${api}/rootfolder`), { method: "POST", headers: key(), body: rfBody });
    expect(rf.status, rf.text).toBe(201);
    const rfId = (rf.json as { id: number }).id;
    expect(((await call(url(`${api}/rootfolder/${rfId}`), { headers: key() })).json as { accessible: boolean }).accessible).toBe(true);
    expect((await call(url(`${api}/rootfolder`), { headers: key() })).json).toHaveLength(1);
    expect((await call(url(`${api}/rootfolder/${rfId}`), { method: "DELETE", headers: key() })).status).toBe(200);
    const profiles = (await call(url(`${api}/qualityprofile`), { headers: key() })).json as { id: number }[];
    expect(profiles.length).toBeGreaterThan(0);
    expect((await call(url(`${api}/qualityprofile/${profiles[0]?.id}`), { headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/indexer`), { headers: key() })).json).toEqual([]);
    const idx = await call(url(`${api}/indexer/test`), {
      method: "POST",
      headers: key(),
      body: { name: "Test", implementation: "Newznab", configContract: "NewznabSettings", protocol: "usenet", priority: 25, enableRss: true, fields: [{ name: "baseUrl", value: "http://prowlarr/1/" }] },
    });
    expect(idx.status, idx.text).toBe(200);
    if (id === "lidarr" || id === "readarr") expect((await call(url(`${api}/metadataprofile`), { headers: key() })).status).toBe(200);
  });

});

describe("prowlarr simulator (applications and indexer proxies)", () => {
  const id = "prowlarr";
  const api = "/api/v1";
  const url = (p: string) => `${t.base(id)}${p}`;
  const key = () => arrKey(id);

  it("exercises applications (target test through the address map) and indexer proxies", async () => {
    const appBody = {
      name: "Sonarr",
      implementation: "Sonarr",
      configContract: "SonarrSettings",
      syncLevel: "fullSync",
      tags: [],
      fields: [
        { name: "prowlarrUrl", value: "http://prowlarr.media.svc.cluster.local:9696/prowlarr" },
        { name: "baseUrl", value: "http://sonarr.media.svc.cluster.local:8989/sonarr" },
        { name: "apiKey", value: TEST_KEYS.sonarr },
      ],
    };
    expect(((await call(url(`${api}/applications/schema`), { headers: key() })).json as { implementation: string }[]).map((s) => s.implementation)).toEqual(["Sonarr", "Radarr", "Lidarr", "Readarr"]);
    expect((await call(url(`${api}/applications/test`), { method: "POST", headers: key(), body: appBody })).status).toBe(200);
    const created = await call(url(`${api}/applications`), { method: "POST", headers: key(), body: appBody });
    expect(created.status, created.text).toBe(201);
    const appId = (created.json as { id: number }).id;
    expect((await call(url(`${api}/applications/${appId}`), { headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/applications`), { headers: key() })).json).toHaveLength(1);
    const put = await call(url(`${api}/applications/${appId}`), { method: "PUT", headers: key(), body: { ...appBody, id: appId, syncLevel: "addOnly", fields: appBody.fields.map((f) => (f.name === "apiKey" ? { ...f, value: "********" } : f)) } });
    expect(put.status, put.text).toBe(202);
    expect((await call(url(`${api}/applications/testall`), { method: "POST", headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/applications/${appId}`), { method: "DELETE", headers: key() })).status).toBe(200);

    const proxyBody = { name: "FlareSolverr", implementation: "FlareSolverr", configContract: "FlareSolverrSettings", tags: [], fields: [{ name: "host", value: "http://flaresolverr.media.svc.cluster.local:8191/" }, { name: "requestTimeout", value: 60 }] };
    expect(((await call(url(`${api}/indexerproxy/schema`), { headers: key() })).json as { implementation: string }[])[0]?.implementation).toBe("FlareSolverr");
    expect((await call(url(`${api}/indexerproxy/test`), { method: "POST", headers: key(), body: proxyBody })).status).toBe(200);
    const proxy = await call(url(`${api}/indexerproxy`), { method: "POST", headers: key(), body: proxyBody });
    expect(proxy.status, proxy.text).toBe(201);
    const proxyId = (proxy.json as { id: number }).id;
    expect((await call(url(`${api}/indexerproxy/${proxyId}`), { headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/indexerproxy`), { headers: key() })).json).toHaveLength(1);
    expect((await call(url(`${api}/indexerproxy/${proxyId}`), { method: "PUT", headers: key(), body: { ...proxyBody, id: proxyId, name: "FlareSolverr lab" } })).status).toBe(202);
    expect((await call(url(`${api}/indexerproxy/testall`), { method: "POST", headers: key() })).status).toBe(200);
    expect((await call(url(`${api}/indexerproxy/${proxyId}`), { method: "DELETE", headers: key() })).status).toBe(200);
  });
});

describe("SABnzbd simulator", () => {
  const api = (q: string) => `${t.base("sabnzbd")}/api?output=json&${q}`;

  it("answers version and auth without a key, and 403 with the reason without a valid one", async () => {
    expect((await call(api("mode=version"))).json).toEqual({ version: "4.5.5" });
    expect((await call(api("mode=auth"))).json).toEqual({ auth: "apikey" });
    const missing = await call(api("mode=queue"));
    expect([missing.status, missing.text]).toEqual([403, "API Key Required"]);
    const wrong = await call(api("mode=queue&apikey=nope"));
    expect([wrong.status, wrong.text]).toEqual([403, "API Key Incorrect"]);
  });

  it("serves queue, fullstatus, status, get_config, get_cats, warnings and history", async () => {
    const key = `apikey=${TEST_KEYS.sabnzbd}`;
    expect(((await call(api(`mode=queue&${key}`))).json as { queue: { version: string } }).queue.version).toBe("4.5.5");
    expect(((await call(api(`mode=fullstatus&${key}&skip_dashboard=1`))).json as { status: { servers: unknown[] } }).status.servers).toHaveLength(1);
    expect((await call(api(`mode=status&${key}`))).status).toBe(200);
    const config = (await call(api(`mode=get_config&${key}`))).json as { config: { misc: { url_base: string }; categories: { name: string }[] } };
    expect(config.config.misc.url_base).toBe("/sabnzbd");
    expect(config.config.categories.map((c) => c.name)).toEqual(expect.arrayContaining(["tv", "movies", "music"]));
    expect((await call(api(`mode=get_cats&${key}`))).json).toEqual({ categories: SABNZBD_CATEGORIES });
    expect(SABNZBD_CATEGORIES).toEqual(expect.arrayContaining(["*", "tv", "movies", "music", "prowlarr"]));
    expect((await call(api(`mode=warnings&${key}`))).json).toEqual({ warnings: [] });
    expect((await call(api(`mode=history&${key}`))).status).toBe(200);
  });

  it("sets configuration, makes a configuration backup and restarts", async () => {
    const key = `apikey=${TEST_KEYS.sabnzbd}`;
    expect((await call(api(`mode=set_config&section=misc&keyword=pre_check&value=1&${key}`))).json).toEqual({ config: { misc: { pre_check: 1 } } });
    expect((await call(api(`mode=set_config&section=misc&keyword=nope&value=1&${key}`))).json).toEqual({ status: false, error: "Config item does not exist" });
    const backup = (await call(api(`mode=config&name=create_backup&${key}`))).json as { value: { result: boolean; message: string } };
    expect(backup.value.result).toBe(true);
    expect(backup.value.message).toMatch(/^\/config\/backups\/sabnzbd_backup_4\.5\.5_[\d._]+\.zip$/);
    const before = starts(t.host, "sabnzbd");
    expect((await call(api(`mode=restart&${key}`))).json).toEqual({ status: true });
    await waitForRestart(t.host, "sabnzbd", before);
  });

  it("answers a mode outside the spec with SABnzbd's JSON error, and serves under url_base only", async () => {
    expect((await call(api(`mode=nonsense&apikey=${TEST_KEYS.sabnzbd}`))).json).toEqual({ status: false, error: "not implemented" });
    const root = await call(`${t.host.sims.get("sabnzbd")?.url()}/`);
    expect([root.status, root.headers.get("location")]).toEqual([303, "/sabnzbd/"]);
    expect((await call(`${t.host.sims.get("sabnzbd")?.url()}/api?mode=version`)).status).toBe(404);
  });

});

describe("Jellyfin simulator", () => {
  const url = (p: string) => `${t.base("jellyfin")}${p}`;
  const auth = { authorization: `MediaBrowser Client="test", Token="${TEST_KEYS.jellyfin}"` };

  it("serves /health, public info and ping without auth", async () => {
    const health = await call(url("/health"));
    expect([health.status, health.text]).toEqual([200, "Healthy"]);
    const info = (await call(url("/System/Info/Public"))).json as { Version: string; ProductName: string; Id: string };
    expect(info.ProductName).toBe("Jellyfin Server");
    expect(info.Version).toBe("10.11.3");
    expect((await call(url("/System/Ping"))).json).toBe("Jellyfin Server");
    expect((await call(url("/System/Ping"), { method: "POST" })).status).toBe(200);
  });

  it("needs the API key for /System/Info (Authorization, X-Emby-Token or api_key) and answers 401 otherwise", async () => {
    expect((await call(url("/System/Info"))).status).toBe(401);
    expect((await call(url("/System/Info"), { headers: { authorization: 'MediaBrowser Token="wrong"' } })).status).toBe(401);
    expect((await call(url("/System/Info"), { headers: auth })).status).toBe(200);
    expect((await call(url("/System/Info"), { headers: { "x-emby-token": TEST_KEYS.jellyfin ?? "" } })).status).toBe(200);
    expect(((await call(url(`/Library/VirtualFolders?api_key=${TEST_KEYS.jellyfin}`))).json as unknown[]).length).toBe(3);
  });

  it("routes case-insensitively like ASP.NET", async () => {
    expect((await call(url("/system/info/public"))).status).toBe(200);
  });

  it("creates, lists, describes and restores backups (10.11 backup API)", async () => {
    const created = await call(url("/Backup/Create"), { method: "POST", headers: auth, body: { Metadata: false, Database: true } });
    expect(created.status, created.text).toBe(200);
    const manifest = created.json as { Path: string; BackupEngineVersion: string; Options: { Database: boolean } };
    expect(manifest.BackupEngineVersion).toBe("0.2.0");
    expect(manifest.Path).toMatch(/^\/config\/data\/backups\/jellyfin-backup-\d{14}\.zip$/);
    expect(((await call(url("/Backup"), { headers: auth })).json as { Path: string }[]).map((b) => b.Path)).toContain(manifest.Path);
    expect(((await call(url(`/Backup/Manifest?path=${encodeURIComponent(manifest.Path)}`), { headers: auth })).json as { Path: string }).Path).toBe(manifest.Path);
    const missing = await call(url("/Backup/Manifest?path=nope.zip"), { headers: auth });
    expect([missing.status, (missing.json as { title: string }).title]).toEqual([404, "Not Found"]);
    const name = manifest.Path.split("/").pop() ?? "";
    const before = starts(t.host, "jellyfin");
    expect((await call(url("/Backup/Restore"), { method: "POST", headers: auth, body: { ArchiveFileName: name } })).status).toBe(204);
    await waitForRestart(t.host, "jellyfin", before);
  });

});

describe.each(["jellyseerr", "seerr"])("%s simulator", (id) => {
  const url = (p: string) => `${t.base(id)}/api/v1${p}`;
  const key = () => ({ "x-api-key": TEST_KEYS[id] ?? "" });
  const sonarrBody = {
    name: "Sonarr",
    hostname: "sonarr.media.svc.cluster.local",
    port: 8989,
    apiKey: TEST_KEYS.sonarr,
    useSsl: false,
    baseUrl: "/sonarr",
    activeProfileId: 4,
    activeProfileName: "HD-1080p",
    activeDirectory: "/data/media/tv",
    is4k: false,
    enableSeasonFolders: true,
    isDefault: true,
  };
  const radarrBody = {
    name: "Radarr",
    hostname: "radarr.media.svc.cluster.local",
    port: 7878,
    apiKey: TEST_KEYS.radarr,
    useSsl: false,
    baseUrl: "/radarr",
    activeProfileId: 4,
    activeProfileName: "HD-1080p",
    activeDirectory: "/data/media/movies",
    is4k: false,
    minimumAvailability: "released",
    isDefault: true,
  };

  it("serves status publicly and answers 403 on settings without the key", async () => {
    const status = (await call(url("/status"))).json as { version: string };
    expect(status.version).toBe(id === "seerr" ? "3.1.0" : "2.7.3");
    expect((await call(url("/status/appdata"))).status).toBe(200);
    expect((await call(url("/settings/public"))).status).toBe(200);
    const denied = await call(url("/settings/main"));
    expect([denied.status, denied.json]).toEqual([403, { status: 403, error: "You do not have permission to access this endpoint" }]);
    expect(((await call(url("/settings/main"), { headers: key() })).json as { apiKey: string }).apiKey).toBe(TEST_KEYS[id]);
    expect(((await call(url("/auth/me"), { headers: key() })).json as { id: number }).id).toBe(1);
  });

  it("refuses spec violations like express-openapi-validator (missing required, read-only id)", async () => {
    const missing = await call(url("/settings/sonarr/test"), { method: "POST", headers: key(), body: { hostname: "x", apiKey: "k", useSsl: false } });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({
      message: "request/body/port must have required property 'port'",
      errors: [{ path: "/body/port", message: "must have required property 'port'", errorCode: "required.openapi.validation" }],
    });
    const readOnly = await call(url("/settings/sonarr"), { method: "POST", headers: key(), body: { ...sonarrBody, id: 7 } });
    expect(readOnly.status).toBe(400);
    expect((readOnly.json as { errors: { path: string }[] }).errors[0]?.path).toBe("/body/id");
  });

  it("tests, creates, updates and deletes Sonarr and Radarr servers, and connects Jellyfin", async () => {
    const st = await call(url("/settings/sonarr/test"), { method: "POST", headers: key(), body: { hostname: sonarrBody.hostname, port: 8989, apiKey: sonarrBody.apiKey, useSsl: false, baseUrl: "/sonarr" } });
    expect(st.status, st.text).toBe(200);
    expect((st.json as { urlBase: string }).urlBase).toBe("/sonarr");
    const s = await call(url("/settings/sonarr"), { method: "POST", headers: key(), body: sonarrBody });
    expect(s.status, s.text).toBe(201);
    expect((await call(url("/settings/sonarr"), { headers: key() })).json).toHaveLength(1);
    expect((await call(url("/settings/sonarr/0"), { method: "PUT", headers: key(), body: { ...sonarrBody, name: "Sonarr main" } })).status).toBe(200);
    expect((await call(url("/settings/sonarr/0"), { method: "DELETE", headers: key() })).status).toBe(200);

    expect((await call(url("/settings/radarr/test"), { method: "POST", headers: key(), body: { hostname: radarrBody.hostname, port: 7878, apiKey: radarrBody.apiKey, useSsl: false, baseUrl: "/radarr" } })).status).toBe(200);
    expect((await call(url("/settings/radarr"), { method: "POST", headers: key(), body: radarrBody })).status).toBe(201);
    expect((await call(url("/settings/radarr"), { headers: key() })).json).toHaveLength(1);
    const profiles = (await call(url("/settings/radarr/0/profiles"), { headers: key() })).json as { id: number; name: string }[];
    expect(profiles.map((p) => p.name)).toContain("HD-1080p");
    expect((await call(url("/settings/radarr/0"), { method: "PUT", headers: key(), body: { ...radarrBody, name: "Radarr main" } })).status).toBe(200);
    expect((await call(url("/settings/radarr/0"), { method: "DELETE", headers: key() })).status).toBe(200);

    const jf = await call(url("/settings/jellyfin"), { method: "POST", headers: key(), body: { ip: "jellyfin.media.svc.cluster.local", port: 80, useSsl: false, urlBase: "", apiKey: TEST_KEYS.jellyfin } });
    expect(jf.status, jf.text).toBe(200);
    expect(((await call(url("/settings/jellyfin"), { headers: key() })).json as { serverId: string }).serverId).toMatch(/^[0-9a-f]{32}$/);
  });

});

describe("Bazarr simulator", () => {
  const url = (p: string) => `${t.base("bazarr")}${p}`;
  const key = { "x-api-key": TEST_KEYS.bazarr ?? "" };

  it("pings without a key and refuses the API without one (401 in flask-restx's shape)", async () => {
    expect((await call(url("/api/system/ping"))).json).toEqual({ status: "OK" });
    const denied = await call(url("/api/system/status"));
    expect(denied.status).toBe(401);
    expect((denied.json as { message: string }).message).toMatch(/could not verify that you are authorized/);
  });

  it("saves Sonarr and Radarr connection settings, reports their versions, and checks values like Dynaconf", async () => {
    const form = {
      "settings-general-use_sonarr": "true",
      "settings-general-use_radarr": "true",
      "settings-sonarr-ip": "sonarr.media.svc.cluster.local",
      "settings-sonarr-port": "8989",
      "settings-sonarr-base_url": "/sonarr",
      "settings-sonarr-apikey": TEST_KEYS.sonarr ?? "",
      "settings-radarr-ip": "radarr.media.svc.cluster.local",
      "settings-radarr-port": "7878",
      "settings-radarr-base_url": "/radarr",
      "settings-radarr-apikey": TEST_KEYS.radarr ?? "",
    };
    expect((await call(url("/api/system/settings"), { method: "POST", headers: key, form })).status).toBe(204);
    const settings = (await call(url("/api/system/settings"), { headers: key })).json as { sonarr: { ip: string; port: number; base_url: string }; general: { use_sonarr: boolean } };
    expect(settings.sonarr).toMatchObject({ ip: "sonarr.media.svc.cluster.local", port: 8989, base_url: "/sonarr" });
    expect(settings.general.use_sonarr).toBe(true);
    const status = (await call(url(`/api/system/status?apikey=${TEST_KEYS.bazarr}`))).json as { data: { sonarr_version: string; radarr_version: string } };
    expect(status.data.sonarr_version).toBe("4.0.19.0");
    expect(status.data.radarr_version).toBe("6.0.4.0");
    const bad = await call(url("/api/system/settings"), { method: "POST", headers: key, form: { "settings-sonarr-port": "70000" } });
    expect([bad.status, bad.text]).toEqual([406, "sonarr.port must lte 65535 but it is 70000 in env main"]);
  });

  it("serves health, language profiles, backups and the web UI's connection test", async () => {
    expect((await call(url("/api/system/health"), { headers: key })).json).toEqual({ data: [] });
    expect(((await call(url("/api/system/languages/profiles"), { headers: key })).json as unknown[]).length).toBe(1);
    expect((await call(url("/api/system/backups"), { method: "POST", headers: key })).status).toBe(204);
    const backups = ((await call(url("/api/system/backups"), { headers: key })).json as { data: { filename: string; type: string; size: string; date: string }[] }).data;
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ type: "backup", filename: expect.stringMatching(/^bazarr_backup_v1\.5\.2_[\d._]+\.zip$/), size: expect.stringMatching(/^\d+\.\d (K|M)?B$/) });
    const filename = backups[0]?.filename ?? "";
    const before = starts(t.host, "bazarr");
    expect((await call(url(`/api/system/backups?filename=${filename}`), { method: "PATCH", headers: key })).status).toBe(204);
    await waitForRestart(t.host, "bazarr", before);
    expect((await call(url(`/api/system/backups?filename=${filename}`), { method: "DELETE", headers: key })).status).toBe(204);
    expect((await call(url("/api/system/backups"), { headers: key })).json).toEqual({ data: [] });
    const ok = await call(url(`/test/http/sonarr.media.svc.cluster.local:8989/sonarr/api/v3/system/status?apikey=${TEST_KEYS.sonarr}`));
    expect(ok.json).toEqual({ status: true, version: "4.0.19.0", code: 200 });
    const noBase = await call(url(`/test/http/sonarr.media.svc.cluster.local:8989/api/v3/system/status?apikey=${TEST_KEYS.sonarr}`));
    expect(noBase.json).toEqual({ status: false, error: "Wrong URL Base.", code: 307 });
  });

  it("refuses a body that is not the documented form", async () => {
    const r = await call(url("/api/system/settings"), { method: "POST", headers: key, body: { "settings-sonarr-port": 5 } });
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toBe("Input payload validation failed");
  });

});

describe("Gluetun control server simulator", () => {
  const id = "gluetun-qbittorrent";
  const url = (p: string) => `${t.base(id)}${p}`;
  const key = { "x-api-key": TEST_KEYS[id] ?? "" };

  it("needs the API key, and answers 404 / 405 for unknown routes and methods", async () => {
    expect([(await call(url("/v1/publicip/ip"))).status, (await call(url("/v1/publicip/ip"))).text]).toEqual([401, "Unauthorized\n"]);
    expect((await call(url("/v1/nope"), { headers: key })).status).toBe(404);
    expect((await call(url("/v1/publicip/ip"), { method: "POST", headers: key })).status).toBe(405);
  });

  it("serves version, VPN/OpenVPN/DNS/updater status, settings, public IP and port forwarding", async () => {
    expect(((await call(url("/v1/version"), { headers: key })).json as { version: string }).version).toBe("v3.41.1");
    expect((await call(url("/v1/vpn/status"), { headers: key })).json).toEqual({ status: "running" });
    expect((await call(url("/v1/vpn/settings"), { headers: key })).status).toBe(200);
    expect((await call(url("/v1/openvpn/status"), { headers: key })).json).toEqual({ status: "running" });
    expect((await call(url("/v1/openvpn/portforwarded"), { headers: key })).json).toEqual({ port: 0 });
    expect((await call(url("/v1/dns/status"), { headers: key })).json).toEqual({ status: "running" });
    expect((await call(url("/v1/updater/status"), { headers: key })).json).toEqual({ status: "completed" });
    expect(((await call(url("/v1/publicip/ip"), { headers: key })).json as { public_ip: string }).public_ip).toBe("198.51.100.23");
    expect((await call(url("/v1/portforward"), { method: "PUT", headers: key, body: { ports: [51413] } })).status).toBe(200);
    expect((await call(url("/v1/portforward"), { headers: key })).json).toEqual({ port: 51413, ports: [51413] });
    expect((await call(url("/v1/dns/status"), { method: "PUT", headers: key, body: { status: "stopped" } })).json).toEqual({ outcome: "stopped" });
    expect((await call(url("/v1/updater/status"), { method: "PUT", headers: key, body: { status: "running" } })).status).toBe(200);
    expect((await call(url("/v1/openvpn/status"), { method: "PUT", headers: key, body: { status: "running" } })).json).toEqual({ outcome: "already running" });
    expect((await call(url("/v1/vpn/status"), { method: "PUT", headers: key, body: { status: "stopped" } })).json).toEqual({ outcome: "stopped" });
    expect((await call(url("/v1/publicip/ip"), { headers: key })).json).toEqual({ public_ip: "" });
  });

  it("refuses a status outside the spec", async () => {
    const r = await call(url("/v1/vpn/status"), { method: "PUT", headers: key, body: { status: "paused" } });
    expect(r.status).toBe(400);
  });

});

describe("FlareSolverr simulator", () => {
  const url = (p: string) => `${t.base("flaresolverr")}${p}`;

  it("serves the welcome message, health and the v1 commands", async () => {
    expect(((await call(url("/"))).json as { msg: string }).msg).toBe("FlareSolverr is ready!");
    expect((await call(url("/health"))).json).toEqual({ status: "ok" });
    expect(((await call(url("/v1"), { method: "POST", body: { cmd: "sessions.list" } })).json as { sessions: string[] }).sessions).toEqual([]);
    const created = (await call(url("/v1"), { method: "POST", body: { cmd: "sessions.create", session: "lab" } })).json as { session: string };
    expect(created.session).toBe("lab");
    expect(((await call(url("/v1"), { method: "POST", body: { cmd: "sessions.list" } })).json as { sessions: string[] }).sessions).toEqual(["lab"]);
    expect((await call(url("/v1"), { method: "POST", body: { cmd: "sessions.destroy", session: "lab" } })).status).toBe(200);
    const solved = (await call(url("/v1"), { method: "POST", body: { cmd: "request.get", url: "https://example.org/", maxTimeout: 60000 } })).json as { solution: { status: number } };
    expect(solved.solution.status).toBe(200);
  });

  it("answers errors as FlareSolverr does: 500 with status error, Bottle's JSON 404", async () => {
    const bad = await call(url("/v1"), { method: "POST", body: { cmd: "nope" } });
    expect(bad.status).toBe(500);
    expect((bad.json as { message: string }).message).toBe("Error: Request parameter 'cmd' = 'nope' is invalid.");
    const wrongType = await call(url("/v1"), { method: "POST", body: { cmd: "request.get", maxTimeout: "soon" } });
    expect(wrongType.status).toBe(500);
    expect((await call(url("/nope"))).json).toEqual({ error: "Not found: '/nope'", status_code: 404 });
  });

});

describe("Grafana simulator", () => {
  it("answers /api/health under the sub-path of its root URL, with its version, and 404 elsewhere", async () => {
    expect(t.urlBase("grafana")).toBe("/grafana");
    const health = await call(`${t.base("grafana")}/api/health`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ database: "ok", version: "11.2.0" });
    expect((await call(`${t.base("grafana").replace(/\/grafana$/, "")}/api/health`)).status).toBe(404);
  });
});

describe("Homepage simulator", () => {
  it("answers /api/healthcheck with plain text up", async () => {
    const r = await call(`${t.base("homepage")}/api/healthcheck`);
    expect([r.status, r.text]).toEqual([200, "up"]);
  });
});

describe("coverage", () => {
  it.each(["sonarr", "radarr", "lidarr", "readarr", "prowlarr", "sabnzbd", "jellyfin", "jellyseerr", "seerr", "bazarr", "gluetun-qbittorrent", "flaresolverr", "grafana", "homepage"])(
    "%s: every implemented operation answered successfully at least once, and no response broke the spec",
    (id) => {
      expect(unexercised(id)).toEqual([]);
      expect(t.host.sims.get(id)?.violations()).toEqual([]);
    },
  );
});
