/**
 * The *arr download-client test against a REAL qBittorrent (qbittorrent-nox, started here with
 * its own profile and ports, stopped by PID): a wrong password fails the way Sonarr fails, the
 * right one passes, and the health check follows qBittorrent going away.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestHost, startTestQbittorrent, TEST_KEYS, type TestHost, type TestQbittorrent } from "./test-support";

let dir: string;
let qb: TestQbittorrent;
let t: TestHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sims-qbt-"));
  qb = await startTestQbittorrent(dir);
  t = await startTestHost({ qbittorrent: { url: qb.url } });
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await qb?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const sonarr = (p: string) => `${t.base("sonarr")}/api/v3${p}`;
const key = () => ({ "x-api-key": TEST_KEYS.sonarr ?? "" });

function qbitClient(opts: { name?: string; host?: string; port?: number; password?: string; category?: string } = {}) {
  return {
    name: opts.name ?? "qBittorrent",
    implementation: "QBittorrent",
    configContract: "QBittorrentSettings",
    enable: true,
    protocol: "torrent",
    priority: 1,
    tags: [],
    fields: [
      // The user's in-cluster address: the simulator routes it through the address map.
      { name: "host", value: opts.host ?? "qbittorrent.qbittorrent.svc.cluster.local" },
      { name: "port", value: opts.port ?? 8080 },
      { name: "username", value: qb.username },
      { name: "password", value: opts.password ?? qb.password },
      { name: "tvCategory", value: opts.category ?? "tv" },
    ],
  };
}

async function qbLogin(password: string): Promise<string> {
  const login = await fetch(`${qb.url}/api/v2/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: qb.username, password }),
  });
  return login.headers.getSetCookie().find((c) => c.startsWith("SID="))?.split(";")[0] ?? "";
}

async function setQbPassword(password: string): Promise<void> {
  const sid = await qbLogin(qb.password);
  const res = await fetch(`${qb.url}/api/v2/app/setPreferences`, {
    method: "POST",
    headers: { cookie: sid, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ json: JSON.stringify({ web_ui_password: password }) }),
  });
  expect(res.status).toBe(200);
  expect(await qbLogin(password)).toMatch(/^SID=/);
  qb.password = password;
}

async function qbCategories(): Promise<string[]> {
  const sid = await qbLogin(qb.password);
  const res = await fetch(`${qb.url}/api/v2/torrents/categories`, { headers: { cookie: sid } });
  return Object.keys((await res.json()) as Record<string, unknown>);
}

describe("Sonarr simulator -> real qBittorrent", () => {
  it("the real qBittorrent answers Fails. to a wrong password (sanity check of the instance)", async () => {
    const r = await fetch(`${qb.url}/api/v2/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: qb.username, password: "wrong" }),
    });
    expect((await r.text()).trim()).toBe("Fails.");
  });

  it("download-client test with a wrong password fails with Sonarr's Authentication Failure", async () => {
    const r = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body: qbitClient({ password: "not-the-password" }) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual([
      expect.objectContaining({
        isWarning: false,
        propertyName: "Username",
        errorMessage: "Authentication Failure",
        severity: "error",
        detailedDescription: expect.stringContaining("Please verify your credentials"),
      }),
    ]);
  });

  it("download-client test with the right password passes and creates the category in qBittorrent", async () => {
    expect(await qbCategories()).not.toContain("tv-lab");
    const r = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body: qbitClient({ category: "tv-lab" }) });
    expect(r.status, r.text).toBe(200);
    expect(await qbCategories()).toContain("tv-lab");
  });

  it("a wrong port or an unknown host fails with Unable to connect to qBittorrent", async () => {
    for (const body of [qbitClient({ port: 8081 }), qbitClient({ host: "qbit.nowhere.svc.cluster.local" })]) {
      const r = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body });
      expect(r.status).toBe(400);
      expect(r.json).toEqual([expect.objectContaining({ propertyName: "Host", errorMessage: "Unable to connect to qBittorrent", detailedDescription: "Please verify the hostname and port." })]);
    }
  });

  it("no category is a warning that blocks the test unless forceTest", async () => {
    const r = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body: qbitClient({ category: "" }) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual([expect.objectContaining({ isWarning: true, propertyName: "TvCategory", errorMessage: "Category is recommended" })]);
    expect((await call(sonarr("/downloadclient/test?forceTest=true"), { method: "POST", headers: key(), body: qbitClient({ category: "" }) })).status).toBe(200);
  });

  it("saving an enabled client runs the test: a wrong password is refused, and forceSave only skips warnings", async () => {
    const refused = await call(sonarr("/downloadclient"), { method: "POST", headers: key(), body: qbitClient({ name: "qBittorrent (bad)", password: "nope" }) });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual([expect.objectContaining({ errorMessage: "Authentication Failure" })]);
    const forced = await call(sonarr("/downloadclient?forceSave=true"), { method: "POST", headers: key(), body: qbitClient({ name: "qBittorrent (bad)", password: "nope" }) });
    expect(forced.status).toBe(400);
    const warningOnly = await call(sonarr("/downloadclient?forceSave=true"), { method: "POST", headers: key(), body: qbitClient({ name: "qBittorrent (no category)", category: "" }) });
    expect(warningOnly.status, warningOnly.text).toBe(201);
    expect((await call(sonarr(`/downloadclient/${(warningOnly.json as { id: number }).id}`), { method: "DELETE", headers: key() })).status).toBe(200);
  });

  it("the right password is saved and comes back masked; health follows a password change and qBittorrent stopping", async () => {
    const created = await call(sonarr("/downloadclient"), { method: "POST", headers: key(), body: qbitClient() });
    expect(created.status, created.text).toBe(201);
    const id = (created.json as { id: number }).id;
    const got = (await call(sonarr(`/downloadclient/${id}`), { headers: key() })).json as { fields: { name: string; value?: unknown }[] };
    const field = (n: string) => got.fields.find((f) => f.name === n)?.value;
    expect(field("password")).toBe("********");
    expect(field("username")).toBe(qb.username);
    expect(field("host")).toBe("qbittorrent.qbittorrent.svc.cluster.local");
    const dcHealth = async () => ((await call(sonarr("/health"), { headers: key() })).json as { source: string; message: string }[]).filter((h) => h.source === "DownloadClientCheck");
    expect(await dcHealth()).toEqual([]);

    // Change the password in qBittorrent. Like Sonarr, the simulator keeps using its session
    // cookie, so nothing breaks until the session is gone (an app restart here).
    const newPassword = `${qb.password}-changed`;
    await setQbPassword(newPassword);
    expect(await dcHealth()).toEqual([]);
    await fetch(`${t.host.controlUrl}/__control/sonarr`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "set", patch: { clearCookies: true } }) });
    expect(await dcHealth()).toEqual([expect.objectContaining({ message: "Unable to communicate with qBittorrent. Failed to authenticate with qBittorrent." })]);
    const masked = { ...qbitClient(), id, fields: qbitClient().fields.map((f) => (f.name === "password" ? { ...f, value: "********" } : f)) };
    const broken = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body: masked });
    expect(broken.json).toEqual([expect.objectContaining({ errorMessage: "Authentication Failure" })]);

    // Fix it with the new password: the update runs the test against qBittorrent and passes.
    const fixed = await call(sonarr(`/downloadclient/${id}`), { method: "PUT", headers: key(), body: { ...qbitClient({ password: newPassword }), id } });
    expect(fixed.status, fixed.text).toBe(202);
    expect(await dcHealth()).toEqual([]);

    await qb.stop();
    expect(await dcHealth()).toEqual([
      expect.objectContaining({ message: "Unable to communicate with qBittorrent. Failed to connect to qBittorrent, please check your settings." }),
    ]);
    const down = await call(sonarr("/downloadclient/test"), { method: "POST", headers: key(), body: masked });
    expect(down.status).toBe(400);
    expect(down.json).toEqual([expect.objectContaining({ propertyName: "Host", errorMessage: "Unable to connect to qBittorrent" })]);
  });

  it("qBittorrent was stopped by its PID", () => {
    expect(() => process.kill(qb.pid, 0)).toThrow();
  });
});
