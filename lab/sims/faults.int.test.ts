/**
 * Fault controls through the TypeScript client (`./control.ts`) and the control endpoint:
 * down (refused and 503), slow, 500s, malformed JSON, wrong version, pushed health, reset,
 * app-specific state (Gluetun leak), and the metrics the control port exposes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resetAll, SimulatorControl, SimulatorControlError } from "./control";
import { call, startTestHost, TEST_KEYS, type TestHost } from "./test-support";

let t: TestHost;
const ctl = (id: string) => new SimulatorControl(`${t.host.controlUrl}/__control/${id}`);
const sonarr = (p: string) => `${t.base("sonarr")}/api/v3${p}`;
const key = () => ({ "x-api-key": TEST_KEYS.sonarr ?? "" });

beforeAll(async () => {
  t = await startTestHost();
});

afterAll(async () => {
  await t?.stop();
});

afterEach(async () => {
  await resetAll(`${t.host.controlUrl}/__control/sonarr`);
});

async function refused(url: string): Promise<string> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return "answered";
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    return cause !== undefined && "code" in cause ? String(cause.code) : String(err);
  }
}

describe("fault controls", () => {
  it("down refuses connections; up listens again on the same port", async () => {
    const port = t.host.sims.get("sonarr")?.port;
    const snap = await ctl("sonarr").down();
    expect(snap.up).toBe(false);
    expect(await refused(sonarr("/system/status"))).toBe("ECONNREFUSED");
    await ctl("sonarr").up();
    expect(t.host.sims.get("sonarr")?.port).toBe(port);
    expect((await call(sonarr("/system/status"), { headers: key() })).status).toBe(200);
  });

  it("down 503 answers Service Unavailable", async () => {
    await ctl("sonarr").down("503");
    const r = await call(sonarr("/system/status"), { headers: key() });
    expect([r.status, r.text]).toEqual([503, "Service Unavailable"]);
  });

  it("slow delays answers (on every path or only on matching ones)", async () => {
    await ctl("sonarr").slow(400, "/api/v3/health");
    let t0 = Date.now();
    await call(sonarr("/health"), { headers: key() });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    t0 = Date.now();
    await call(sonarr("/system/status"), { headers: key() });
    expect(Date.now() - t0).toBeLessThan(390);
  });

  it("error500 answers in the app's own 500 shape, optionally on matching paths only", async () => {
    await ctl("sonarr").error500(true, "/health");
    const r = await call(sonarr("/health"), { headers: key() });
    expect(r.status).toBe(500);
    expect((r.json as { message: string }).message).toMatch(/Simulated failure/);
    expect((await call(sonarr("/system/status"), { headers: key() })).status).toBe(200);
    await ctl("jellyseerr").error500();
    const js = await call(`${t.base("jellyseerr")}/api/v1/status`);
    expect(js.status).toBe(500);
    expect(js.json).toEqual({ message: expect.stringMatching(/Simulated failure/) });
  });

  it("malformed cuts JSON bodies so they no longer parse", async () => {
    await ctl("sonarr").malformedJson();
    const r = await call(sonarr("/system/status"), { headers: key() });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it("version changes what the app reports, and Prowlarr's application test reacts to it", async () => {
    await ctl("sonarr").version("2.0.0.5344");
    const r = await call(sonarr("/system/status"), { headers: key() });
    expect((r.json as { version: string }).version).toBe("2.0.0.5344");
    expect(r.headers.get("x-application-version")).toBe("2.0.0.5344");
    const test = await call(`${t.base("prowlarr")}/api/v1/applications/test`, {
      method: "POST",
      headers: { "x-api-key": TEST_KEYS.prowlarr ?? "" },
      body: {
        name: "Sonarr",
        implementation: "Sonarr",
        configContract: "SonarrSettings",
        syncLevel: "fullSync",
        fields: [
          { name: "prowlarrUrl", value: "http://prowlarr.media.svc.cluster.local:9696/prowlarr" },
          { name: "baseUrl", value: "http://sonarr.media.svc.cluster.local:8989/sonarr" },
          { name: "apiKey", value: TEST_KEYS.sonarr },
        ],
      },
    });
    expect(test.status).toBe(400);
    expect(test.json).toEqual([expect.objectContaining({ errorMessage: "Sonarr version should be at least 3.0.5. Version reported is 2.0.0.5344" })]);
    await ctl("sonarr").version(null);
    expect(((await call(sonarr("/system/status"), { headers: key() })).json as { version: string }).version).toBe("4.0.19.0");
  });

  it("pushHealth shows up in each app's own health shape", async () => {
    await ctl("sonarr").pushHealth("error", "Indexers unavailable due to failures: NZBgeek");
    const health = (await call(sonarr("/health"), { headers: key() })).json as { type: string; message: string; wikiUrl: string }[];
    expect(health).toContainEqual(expect.objectContaining({ type: "error", message: "Indexers unavailable due to failures: NZBgeek", wikiUrl: expect.stringMatching(/^https:\/\/wiki\.servarr\.com\/sonarr\/system#/) }));
    await ctl("jellyfin").pushHealth("error", "Database locked");
    const jf = await call(`${t.base("jellyfin")}/health`);
    expect([jf.status, jf.text]).toEqual([503, "Unhealthy"]);
    await ctl("sabnzbd").pushHealth("warning", "Server news.example.net will be ignored for 10 minutes");
    const warnings = (await call(`${t.base("sabnzbd")}/api?mode=warnings&output=json&apikey=${TEST_KEYS.sabnzbd}`)).json as { warnings: { text: string; type: string }[] };
    expect(warnings.warnings).toEqual([expect.objectContaining({ text: "Server news.example.net will be ignored for 10 minutes", type: "WARNING" })]);
    await ctl("bazarr").pushHealth("error", "Sonarr is unreachable", { source: "Sonarr" });
    expect((await call(`${t.base("bazarr")}/api/system/health?apikey=${TEST_KEYS.bazarr}`)).json).toEqual({ data: [{ object: "Sonarr", issue: "Sonarr is unreachable" }] });
    await ctl("sonarr").clearHealth();
    const cleared = (await call(sonarr("/health"), { headers: key() })).json as { message: string }[];
    expect(cleared.map((h) => h.message)).not.toContain("Indexers unavailable due to failures: NZBgeek");
  });

  it("Gluetun reports the VPN exit IP, the leaked home IP, or none with the VPN stopped", async () => {
    const g = ctl("gluetun-qbittorrent");
    const ip = async () => ((await call(`${t.base("gluetun-qbittorrent")}/v1/publicip/ip`, { headers: { "x-api-key": TEST_KEYS["gluetun-qbittorrent"] ?? "" } })).json as { public_ip: string }).public_ip;
    expect(await ip()).toBe("198.51.100.23");
    await g.set({ leak: true });
    expect(await ip()).toBe("203.0.113.45");
    await g.set({ leak: false, vpn: "stopped" });
    expect(await ip()).toBe("");
    await expect(g.set({ nonsense: 1 })).rejects.toBeInstanceOf(SimulatorControlError);
  });

  it("reset returns an app to its initial state (providers, faults, health)", async () => {
    const created = await call(sonarr("/rootfolder"), { method: "POST", headers: key(), body: { path: "/data/media/tv" } });
    expect(created.status).toBe(201);
    await ctl("sonarr").slow(50);
    const snap = await ctl("sonarr").reset();
    expect(snap.faults.latencyMs).toBe(0);
    expect((await call(sonarr("/rootfolder"), { headers: key() })).json).toEqual([]);
  });

  it("refuses an invalid control command with the reasons", async () => {
    await expect(ctl("sonarr").send({ action: "slow", latencyMs: -5 })).rejects.toThrow(/invalid control command/);
    await expect(new SimulatorControl(`${t.host.controlUrl}/__control/nope`).snapshot()).rejects.toThrow(/HTTP 404/);
  });

  it("exposes request counters per app on /metrics", async () => {
    await call(sonarr("/system/status"), { headers: key() });
    const all = await (await fetch(`${t.host.controlUrl}/metrics`)).text();
    expect(all).toMatch(/lab_simulator_requests_total\{app="sonarr",kind="sonarr",status="200"\} \d+/);
    expect(all).toMatch(/lab_simulator_up\{app="radarr",kind="radarr"\} 1/);
    const one = await (await fetch(`${t.host.controlUrl}/metrics/radarr`)).text();
    expect(one).toMatch(/app="radarr"/);
    expect(one).not.toMatch(/app="sonarr"/);
  });
});

describe("state-driven health", () => {
  it("Sonarr: no download client -> a download client -> its root folder missing on disk", async () => {
    const messages = async () => ((await call(sonarr("/health"), { headers: key() })).json as { message: string }[]).map((h) => h.message);
    expect(await messages()).toContain("No download client is available");
    const dc = await call(sonarr("/downloadclient"), {
      method: "POST",
      headers: key(),
      body: {
        name: "SABnzbd",
        implementation: "Sabnzbd",
        configContract: "SabnzbdSettings",
        enable: true,
        protocol: "usenet",
        priority: 1,
        fields: [
          { name: "host", value: "sabnzbd.media" },
          { name: "port", value: 8080 },
          { name: "urlBase", value: "/sabnzbd" },
          { name: "apiKey", value: TEST_KEYS.sabnzbd },
          { name: "tvCategory", value: "tv" },
        ],
      },
    });
    expect(dc.status, dc.text).toBe(201);
    expect(await messages()).toEqual([]);
    expect((await call(sonarr("/rootfolder"), { method: "POST", headers: key(), body: { path: "/data/media/tv" } })).status).toBe(201);
    await ctl("sonarr").set({ removeDirectory: "/data/media/tv" });
    expect(await messages()).toEqual(["Missing root folder: /data/media/tv"]);
    await ctl("sabnzbd").down();
    expect(await messages()).toContainEqual(expect.stringMatching(/^Unable to communicate with SABnzbd\. Unable to connect to SABnzbd, Connection refused/));
    await ctl("sabnzbd").up();
  });

  it("Prowlarr: applications become unavailable when the target app goes down", async () => {
    const prowlarr = (p: string) => `${t.base("prowlarr")}/api/v1${p}`;
    const pk = { "x-api-key": TEST_KEYS.prowlarr ?? "" };
    const app = await call(prowlarr("/applications"), {
      method: "POST",
      headers: pk,
      body: {
        name: "Radarr",
        implementation: "Radarr",
        configContract: "RadarrSettings",
        syncLevel: "fullSync",
        fields: [
          { name: "prowlarrUrl", value: "http://prowlarr.media.svc.cluster.local:9696/prowlarr" },
          { name: "baseUrl", value: "http://radarr.media.svc.cluster.local:7878/radarr" },
          { name: "apiKey", value: TEST_KEYS.radarr },
        ],
      },
    });
    expect(app.status, app.text).toBe(201);
    expect((await call(prowlarr("/health"), { headers: pk })).json).toEqual([]);
    await ctl("radarr").down();
    expect((await call(prowlarr("/health"), { headers: pk })).json).toEqual([
      expect.objectContaining({ source: "ApplicationStatusCheck", type: "error", message: "All applications are unavailable due to failures" }),
    ]);
    await ctl("radarr").up();
  });

  it("Prowlarr: a wrong key, a missing URL base and an unknown host are worded like Prowlarr", async () => {
    const test = async (baseUrl: string, apiKey: string) =>
      (
        await call(`${t.base("prowlarr")}/api/v1/applications/test`, {
          method: "POST",
          headers: { "x-api-key": TEST_KEYS.prowlarr ?? "" },
          body: {
            name: "Lidarr",
            implementation: "Lidarr",
            configContract: "LidarrSettings",
            syncLevel: "fullSync",
            fields: [
              { name: "prowlarrUrl", value: "http://prowlarr.media.svc.cluster.local:9696/prowlarr" },
              { name: "baseUrl", value: baseUrl },
              { name: "apiKey", value: apiKey },
            ],
          },
        })
      ).json;
    expect(await test("http://lidarr.media.svc.cluster.local:8686/lidarr", "wrong")).toEqual([expect.objectContaining({ propertyName: "ApiKey", errorMessage: "API Key is invalid" })]);
    expect(await test("http://lidarr.media.svc.cluster.local:8686", TEST_KEYS.lidarr ?? "")).toEqual([
      expect.objectContaining({ propertyName: "BaseUrl", errorMessage: "Lidarr URL is invalid, Prowlarr cannot connect to Lidarr - are you missing a URL base?" }),
    ]);
    expect(await test("http://lidarr.music.svc.cluster.local:8686/lidarr", TEST_KEYS.lidarr ?? "")).toEqual([
      expect.objectContaining({ propertyName: "BaseUrl", errorMessage: expect.stringMatching(/^Unable to complete application test, cannot connect to Lidarr\. Name or service not known/) }),
    ]);
  });

  it("omitted properties bind like ASP.NET: no priority is refused, no enable stores a disabled client untested", async () => {
    const lidarr = (p: string) => `${t.base("lidarr")}/api/v1${p}`;
    const lk = { "x-api-key": TEST_KEYS.lidarr ?? "" };
    const base = {
      name: "qBittorrent",
      implementation: "QBittorrent",
      configContract: "QBittorrentSettings",
      fields: [
        { name: "host", value: "qbittorrent.nowhere" },
        { name: "port", value: 8080 },
      ],
    };
    const noPriority = await call(lidarr("/downloadclient"), { method: "POST", headers: lk, body: base });
    expect(noPriority.status).toBe(400);
    expect(noPriority.json).toEqual([expect.objectContaining({ propertyName: "Priority", errorMessage: "'Priority' must be between 1 and 50. You entered 0." })]);
    const disabled = await call(lidarr("/downloadclient"), { method: "POST", headers: lk, body: { ...base, priority: 1 } });
    expect(disabled.status, disabled.text).toBe(201);
    expect(disabled.json).toMatchObject({ enable: false, protocol: "torrent" });
    const health = (await call(lidarr("/health"), { headers: lk })).json as { message: string }[];
    expect(health.map((h) => h.message)).toContain("No download client is available");
  });

  it("PUT with the masked secret keeps it; a new wrong key is tested and refused", async () => {
    const body = (apiKey: string) => ({
      name: "SABnzbd",
      implementation: "Sabnzbd",
      configContract: "SabnzbdSettings",
      enable: true,
      protocol: "usenet",
      priority: 1,
      fields: [
        { name: "host", value: "sabnzbd.media.svc.cluster.local" },
        { name: "port", value: 8080 },
        { name: "urlBase", value: "/sabnzbd" },
        { name: "apiKey", value: apiKey },
        { name: "movieCategory", value: "movies" },
      ],
    });
    const radarr = (p: string) => `${t.base("radarr")}/api/v3${p}`;
    const rk = { "x-api-key": TEST_KEYS.radarr ?? "" };
    const created = await call(radarr("/downloadclient"), { method: "POST", headers: rk, body: body(TEST_KEYS.sabnzbd ?? "") });
    expect(created.status, created.text).toBe(201);
    const id = (created.json as { id: number }).id;
    const kept = await call(radarr(`/downloadclient/${id}`), { method: "PUT", headers: rk, body: { ...body("********"), id, name: "SABnzbd main" } });
    expect(kept.status, kept.text).toBe(202);
    const wrong = await call(radarr(`/downloadclient/${id}`), { method: "PUT", headers: rk, body: { ...body("not-the-key"), id } });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual([expect.objectContaining({ propertyName: "APIKey", errorMessage: "API Key Incorrect" })]);
    const listed = (await call(radarr("/downloadclient"), { headers: rk })).json as { name: string }[];
    expect(listed.map((d) => d.name)).toEqual(["SABnzbd main"]);
  });
});
