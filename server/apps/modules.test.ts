import { afterEach, describe, expect, it } from "vitest";
import { fakeArrHandler, startFakeApp, type FakeApp, type FakeHandler } from "@/scripts/fake-apps";
import { APP_CATALOGUE, KNOWN_APP_KINDS } from "@/lib/apps/catalogue";
import type { AppModule, AppTarget } from "./define";
import { MAX_LOGIN_FAILURES, QbittorrentClient } from "./qbittorrent/client";
import { APP_IDS, APP_MODULE_LIST, APP_MODULES, getAppModule, hasAppModule } from "./registry";

const KEY = "5f2c9d1e8a7b4c3d2e1f0a9b8c7d6e5f";
const apps: FakeApp[] = [];

async function serve(handler: FakeHandler): Promise<FakeApp> {
  const app = await startFakeApp(handler);
  apps.push(app);
  return app;
}

function target(app: FakeApp, extra: Partial<AppTarget> = {}): AppTarget {
  return { baseUrl: app.url, apiKey: KEY, timeoutMs: 500, ...extra };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe("every module of the registry passes the same contract", () => {
  it("is keyed by its own id, and its facts are its catalogue entry's", () => {
    expect(APP_IDS.length).toBeGreaterThan(0);
    for (const id of APP_IDS) {
      const m = APP_MODULES[id];
      const entry = APP_CATALOGUE[id];
      expect([id, m.id, m.displayName, m.defaultPort ?? null, m.fixedPort ?? null, m.credential]).toEqual([id, id, entry.label, entry.port, entry.fixedPort, entry.credential]);
      expect(getAppModule(id)).toBe(m);
      expect(hasAppModule(id)).toBe(true);
    }
    for (const kind of KNOWN_APP_KINDS.filter((k) => !hasAppModule(k))) expect(getAppModule(kind)).toBeUndefined();
    expect(hasAppModule("other")).toBe(false);
  });

  for (const id of APP_IDS) {
    const m = APP_MODULES[id] as AppModule;
    describe(id, () => {
      it("has the credential capabilities its credential needs", () => {
        const instance = m.connect({ baseUrl: "http://127.0.0.1:1", timeoutMs: 100 });
        expect([id, typeof instance.checkCredentials === "function"]).toEqual([id, m.credential.type !== "none"]);
        expect([id, typeof instance.login === "function", m.hasLogin]).toEqual([id, m.credential.type === "login", m.credential.type === "login"]);
        expect([id, typeof instance.observeVpn === "function"]).toEqual([id, m.isVpn]);
      });

      it("holds only links that start from it", () => {
        for (const link of m.integrations(APP_MODULE_LIST)) expect([id, link.from]).toEqual([id, id]);
      });

      it("is down with `unreachable` when nothing listens, and never throws", async () => {
        const h = await m.connect({ baseUrl: "http://127.0.0.1:9", apiKey: KEY, username: "admin", password: KEY, timeoutMs: 1000 }).health();
        expect([id, h.status, h.errorCode]).toEqual([id, "down", "unreachable"]);
        expect(h.detail).toMatch(new RegExp(`^${m.displayName} is unreachable`));
      });

      it("is down with `timeout` when the app accepts the connection and never answers", async () => {
        const app = await serve(() => ({ hang: true }));
        const h = await m.connect({ ...target(app), username: "admin", password: KEY, timeoutMs: 200 }).health();
        expect([id, h.status, h.errorCode]).toEqual([id, "down", "timeout"]);
      });

      it("never repeats its key or password, even when the app echoes them in an error", async () => {
        const app = await serve((req) => ({ status: 500, json: { message: `bad request ${req.headers["x-api-key"] ?? ""} ${KEY}` } }));
        const h = await m.connect({ ...target(app), username: "admin", password: KEY }).health();
        expect([id, h.status === "down" || h.status === "unknown"]).toEqual([id, true]);
        expect(JSON.stringify(h)).not.toContain(KEY);
      });

      if (m.credential.type !== "none") {
        it("its credential check rejects with `unauthorized` when the app refuses every request with 401", async () => {
          const app = await serve(() => ({ status: 401, text: "Unauthorized" }));
          const instance = m.connect({ ...target(app), username: "admin", password: KEY });
          await expect(instance.checkCredentials?.()).rejects.toMatchObject({ code: "unauthorized" });
        });
      }
    });
  }
});

describe("*arr health", () => {
  it("is up with the version, sends the key in X-Api-Key and never in the query", async () => {
    const app = await serve(fakeArrHandler({ apiKey: KEY, urlBase: "/sonarr", version: "4.0.19.2979" }));
    const h = await APP_MODULES.sonarr.connect({ ...target(app), baseUrl: `${app.url}/sonarr` }).health();
    expect(h).toMatchObject({ status: "up", version: "4.0.19.2979", checks: [], detail: "Sonarr 4.0.19.2979" });
    expect(h.latencyMs).toBeGreaterThan(0);
    expect(app.requests.map((r) => r.path).sort()).toEqual(["/sonarr/api/v3/health", "/sonarr/api/v3/system/status", "/sonarr/ping"]);
    expect(app.requests.every((r) => !r.query.has("apikey"))).toBe(true);
  });

  it("reports the app's errors verbatim with their wiki links, errors first: degraded", async () => {
    const app = await serve(
      fakeArrHandler({
        apiKey: KEY,
        health: [
          { source: "UpdateCheck", type: "notice", message: "New update is available" },
          { source: "IndexerStatusCheck", type: "error", message: "Indexers unavailable due to failures", wikiUrl: "https://wiki.servarr.com/sonarr/system#indexers-are-unavailable-due-to-failures" },
          { source: "RootFolderCheck", type: "warning", message: "Missing root folder: /data/media/tv" },
        ],
      }),
    );
    const h = await APP_MODULES.sonarr.connect(target(app)).health();
    expect(h.status).toBe("degraded");
    expect(h.detail).toBe("Sonarr reports: Indexers unavailable due to failures");
    expect(h.checks.map((c) => [c.name, c.status, c.message])).toEqual([
      ["IndexerStatusCheck", "down", "Indexers unavailable due to failures"],
      ["RootFolderCheck", "degraded", "Missing root folder: /data/media/tv"],
      ["UpdateCheck", "up", "New update is available"],
    ]);
    expect(h.checks[0]?.url).toBe("https://wiki.servarr.com/sonarr/system#indexers-are-unavailable-due-to-failures");
  });

  it("accepts the wikiUrl as the spec's HttpUri object too", async () => {
    const app = await serve((req) =>
      req.path === "/api/v3/health"
        ? { json: [{ source: "X", type: "warning", message: "m", wikiUrl: { fullUri: "https://wiki/x" } }] }
        : fakeArrHandler()(req),
    );
    const h = await APP_MODULES.radarr.connect(target(app)).health();
    expect(h.checks[0]?.url).toBe("https://wiki/x");
  });

  it("Lidarr and Prowlarr use API v1", async () => {
    const app = await serve((req) => {
      if (req.path === "/api/v1/system/status") return { json: { version: "2.14.5.4836" } };
      if (req.path === "/api/v1/health") return { json: [] };
      if (req.path === "/ping") return { json: { status: "OK" } };
      return undefined;
    });
    expect((await APP_MODULES.lidarr.connect(target(app)).health()).version).toBe("2.14.5.4836");
    expect((await APP_MODULES.prowlarr.connect(target(app)).health()).status).toBe("up");
  });

  it("a rejected key is unknown (the app answers, its health cannot be read); a missing URL base is down", async () => {
    const app = await serve(fakeArrHandler({ apiKey: "another-key-entirely", urlBase: "/sonarr" }));
    const wrongKey = await APP_MODULES.sonarr.connect({ ...target(app), baseUrl: `${app.url}/sonarr` }).health();
    expect(wrongKey).toMatchObject({ status: "unknown", errorCode: "unauthorized", detail: "Sonarr rejected the API key (HTTP 401)" });
    expect(JSON.stringify(wrongKey)).not.toContain(KEY);
    const noBase = await APP_MODULES.sonarr.connect(target(app)).health();
    expect(noBase).toMatchObject({ status: "down", errorCode: "not_found" });
    expect(noBase.detail).toMatch(/wrong URL base\?/);
  });

  it("an unreadable health list leaves the app degraded with the panel's observation", async () => {
    const app = await serve((req) => (req.path === "/api/v3/health" ? { text: "[{", headers: { "content-type": "application/json" } } : fakeArrHandler()(req)));
    const h = await APP_MODULES.sonarr.connect(target(app)).health();
    expect(h.status).toBe("degraded");
    expect(h.detail).toBe("Could not read Sonarr's health list: Sonarr sent malformed JSON for GET /api/v3/health");
    expect(h.checks[0]?.origin).toBe("probe");
  });

  it("timeout and malformed status are down with their codes", async () => {
    const hung = await serve(fakeArrHandler({ hang: true }));
    const t = await APP_MODULES.sonarr.connect({ ...target(hung), timeoutMs: 200 }).health();
    expect([t.status, t.errorCode]).toEqual(["down", "timeout"]);
    const broken = await serve(() => ({ text: "{", headers: { "content-type": "application/json" } }));
    const b = await APP_MODULES.sonarr.connect(target(broken)).health();
    expect([b.status, b.errorCode]).toEqual(["down", "invalid_response"]);
  });
});

describe("other apps", () => {
  it("Bazarr: status and issues", async () => {
    const app = await serve((req) => {
      if (req.headers["x-api-key"] !== KEY) return { status: 401, json: { message: "Unauthorized" } };
      if (req.path === "/api/system/status") return { json: { data: { bazarr_version: "1.5.2" } } };
      if (req.path === "/api/system/health") return { json: { data: [{ object: "Sonarr", issue: "Unable to connect to Sonarr" }] } };
      return undefined;
    });
    const h = await APP_MODULES.bazarr.connect(target(app)).health();
    expect(h).toMatchObject({ status: "degraded", version: "1.5.2", detail: "Bazarr reports: Unable to connect to Sonarr" });
  });

  it("SABnzbd: version without key, queue and warnings with it; a wrong key is unknown", async () => {
    const app = await serve((req) => {
      const mode = req.query.get("mode");
      if (req.query.get("output") !== "json") return { status: 400 };
      if (mode === "version") return { json: { version: "4.5.5" } };
      if (req.query.get("apikey") !== KEY) return { status: 403, text: "API Key Incorrect" };
      if (mode === "queue") return { json: { queue: { status: "Downloading", paused: false, noofslots_total: 3, speed: "1.2 M" } } };
      if (mode === "warnings") return { json: { warnings: [{ text: "Disk almost full", type: "WARNING", time: 1 }] } };
      return undefined;
    });
    const h = await APP_MODULES.sabnzbd.connect(target(app)).health();
    expect(h.version).toBe("4.5.5");
    expect(h.checks.map((c) => c.message)).toEqual(["Queue downloading: 3 items, 1.2 MB/s", "Disk almost full"]);
    expect(h.status).toBe("degraded");
    const wrong = await APP_MODULES.sabnzbd.connect({ ...target(app), apiKey: "x".repeat(32) }).health();
    expect(wrong).toMatchObject({ status: "unknown", errorCode: "unauthorized", version: "4.5.5" });
  });

  it("Jellyfin: Unhealthy is down, an unfinished wizard degraded", async () => {
    let verdict = "Unhealthy";
    const app = await serve((req) => {
      if (req.path === "/System/Info/Public") return { json: { ServerName: "nas", Version: "10.11.11", StartupWizardCompleted: verdict !== "Unhealthy" ? false : true } };
      if (req.path === "/health") return verdict === "Unhealthy" ? { status: 503, text: "Unhealthy" } : { text: verdict };
      return undefined;
    });
    const down = await APP_MODULES.jellyfin.connect(target(app)).health();
    expect(down).toMatchObject({ status: "down", version: "10.11.11", detail: "Jellyfin reports: Unhealthy" });
    verdict = "Healthy";
    const wizard = await APP_MODULES.jellyfin.connect(target(app)).health();
    expect(wizard).toMatchObject({ status: "degraded", detail: "Jellyfin reports: The startup wizard has not been completed" });
  });

  it("Jellyseerr and Seerr: status, restart required", async () => {
    const app = await serve((req) => {
      if (req.path === "/api/v1/status") return { json: { version: "2.7.3", restartRequired: true, updateAvailable: false } };
      if (req.path === "/api/v1/settings/public") return { json: { initialized: true } };
      return undefined;
    });
    expect(await APP_MODULES.jellyseerr.connect(target(app)).health()).toMatchObject({
      status: "degraded",
      version: "2.7.3",
      detail: "Jellyseerr reports: A restart is required to apply changed settings",
    });
    expect((await APP_MODULES.seerr.connect(target(app)).health()).detail).toMatch(/^Seerr reports/);
  });

  it("FlareSolverr and Gluetun", async () => {
    let vpn = "running";
    const app = await serve((req) => {
      if (req.path === "/") return { json: { msg: "FlareSolverr is ready!", version: "3.4.0", userAgent: "x" } };
      if (req.headers["x-api-key"] !== KEY) return { status: 401, text: "Unauthorized" };
      if (req.path === "/v1/vpn/status") return { json: { status: vpn } };
      if (req.path === "/v1/publicip/ip") return { json: vpn === "running" ? { public_ip: "198.51.100.23", city: "Toronto", country: "Canada" } : { public_ip: "" } };
      if (req.path === "/v1/version") return { json: { version: "v3.41.1" } };
      return undefined;
    });
    expect(await APP_MODULES.flaresolverr.connect(target(app)).health()).toMatchObject({ status: "up", version: "3.4.0" });
    const up = await APP_MODULES.gluetun.connect(target(app)).health();
    expect(up).toMatchObject({ status: "up", version: "v3.41.1", detail: "VPN running" });
    expect(up.checks[1]?.message).toBe("Exit address 198.51.100.23 (Toronto, Canada)");
    vpn = "stopped";
    expect(await APP_MODULES.gluetun.connect(target(app)).health()).toMatchObject({ status: "down", detail: "Gluetun reports: VPN stopped" });
  });
});

describe("qBittorrent session", () => {
  const PASSWORD = "zN-qJXWORWbxuJZArnsS";

  async function fakeQbit(opts: { password: string; banAfter?: number }) {
    let failures = 0;
    const sid = "s3ss10n";
    return serve((req) => {
      if (req.path === "/api/v2/auth/login") {
        if (opts.banAfter !== undefined && failures >= opts.banAfter) return { status: 403, text: "Your IP address has been banned" };
        const form = new URLSearchParams(req.body);
        if (form.get("username") === "admin" && form.get("password") === opts.password) {
          return { text: "Ok.", headers: { "set-cookie": `SID=${sid}; HttpOnly; path=/` } };
        }
        failures += 1;
        return { text: "Fails." };
      }
      if (req.headers.cookie !== `SID=${sid}`) return { status: 403, text: "Forbidden" };
      if (req.path === "/api/v2/app/version") return { text: "v4.5.2" };
      if (req.path === "/api/v2/transfer/info") return { json: { connection_status: "firewalled", dl_info_speed: 0, up_info_speed: 0, dht_nodes: 0 } };
      return undefined;
    });
  }

  it("logs in on 403, keeps the cookie, and reads version and connection", async () => {
    const app = await fakeQbit({ password: PASSWORD });
    const instance = APP_MODULES.qbittorrent.connect({ baseUrl: app.url, username: "admin", password: PASSWORD, timeoutMs: 500 });
    const h = await instance.health();
    expect(h).toMatchObject({ status: "up", version: "v4.5.2" });
    expect(h.checks[0]?.message).toMatch(/^Firewalled/);
    await instance.health();
    expect(app.requests.filter((r) => r.path === "/api/v2/auth/login")).toHaveLength(1);
  });

  it("never hammers a refused login: waits, doubling, and says so", async () => {
    const app = await fakeQbit({ password: "the-real-one" });
    let now = 1_000_000;
    const client = new QbittorrentClient({ baseUrl: app.url, username: "admin", password: PASSWORD, timeoutMs: 500, now: () => now });
    const logins = () => app.requests.filter((r) => r.path === "/api/v2/auth/login").length;
    await expect(client.getVersion()).rejects.toMatchObject({ code: "unauthorized", message: expect.stringMatching(/refused the user name or password; the panel waits 60 s/) });
    expect(logins()).toBe(1);
    for (let i = 0; i < 5; i++) await expect(client.getVersion()).rejects.toMatchObject({ code: "unauthorized" });
    expect(logins()).toBe(1);
    now += 61_000;
    await expect(client.getVersion()).rejects.toMatchObject({ message: expect.stringMatching(/waits 120 s/) });
    expect(logins()).toBe(2);
    // The third refusal is the last: qBittorrent bans at the fifth, however far apart they come.
    now += 121_000;
    await expect(client.getVersion()).rejects.toMatchObject({ message: expect.stringMatching(/refused the user name or password 3 times; the panel stops trying/) });
    for (let hour = 0; hour < 48; hour++) {
      now += 3_600_000;
      await expect(client.getVersion()).rejects.toMatchObject({ code: "unauthorized" });
    }
    expect(logins()).toBe(MAX_LOGIN_FAILURES);
    const text = JSON.stringify(await APP_MODULES.qbittorrent.connect({ baseUrl: app.url, username: "admin", password: PASSWORD, timeoutMs: 500 }).health());
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('"status":"unknown"');
  });

  it("a ban (403 on login) pauses logins for an hour", async () => {
    const app = await fakeQbit({ password: "x", banAfter: 0 });
    let now = 0;
    const client = new QbittorrentClient({ baseUrl: app.url, username: "admin", password: PASSWORD, timeoutMs: 500, now: () => now });
    await expect(client.getVersion()).rejects.toMatchObject({ message: expect.stringMatching(/banned .* waits 3600 s/) });
    now += 30 * 60_000;
    await expect(client.getVersion()).rejects.toMatchObject({ message: expect.stringMatching(/waits 1800 s/) });
    expect(app.requests.filter((r) => r.path === "/api/v2/auth/login")).toHaveLength(1);
  });

  it("without credentials, a 403 is a clear unknown and no login is attempted", async () => {
    const app = await fakeQbit({ password: PASSWORD });
    const h = await APP_MODULES.qbittorrent.connect({ baseUrl: app.url, timeoutMs: 500 }).health();
    expect(h).toMatchObject({ status: "unknown", errorCode: "unauthorized", detail: "qBittorrent asks for a login and no user name and password are configured" });
    expect(app.requests.some((r) => r.path === "/api/v2/auth/login")).toBe(false);
  });
});
