import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QBITTORRENT_DEFAULT_BAN } from "./qbittorrent";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

let lab: AppsHandle;

beforeAll(async () => {
  lab = await useLabApps();
});

afterAll(async () => {
  await lab?.release();
});

/**
 * `POST /api/v2/auth/login`, from `from` (a loopback address of its own, so that a test of the ban
 * never bans 127.0.0.1, the address every other part of the lab logs in from).
 */
function login(password: string, from = "127.0.0.1"): Promise<{ status: number; text: string; sid: string | undefined }> {
  const url = new URL(`${lab.apps.qbittorrent.url}/api/v2/auth/login`);
  const body = new URLSearchParams({ username: lab.apps.qbittorrent.username, password }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", localAddress: from, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const sid = (res.headers["set-cookie"] ?? []).find((c) => c.startsWith("SID="))?.split(";")[0];
          resolve({ status: res.statusCode ?? 0, text: text.trim(), sid });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("real qBittorrent", () => {
  it("accepts the lab password (Ok. and a SID cookie)", async () => {
    const r = await login(lab.apps.qbittorrent.password);
    expect(r.status).toBe(200);
    expect(r.text).toBe("Ok.");
    expect(r.sid).toMatch(/^SID=.+/);
  });

  it("answers Fails. to a wrong password, with HTTP 200 like the real WebUI", async () => {
    const r = await login("definitely-wrong");
    expect(r.status).toBe(200);
    expect(r.text).toBe("Fails.");
    expect(r.sid).toBeUndefined();
  });

  it("runs with qBittorrent's default ban: the 5th failed login bans that address, and only that one", async () => {
    const { sid } = await login(lab.apps.qbittorrent.password);
    const prefs = (await (await fetch(`${lab.apps.qbittorrent.url}/api/v2/app/preferences`, { headers: { cookie: sid ?? "" } })).json()) as Record<string, unknown>;
    expect({ failures: prefs.web_ui_max_auth_fail_count, seconds: prefs.web_ui_ban_duration }).toEqual(QBITTORRENT_DEFAULT_BAN);
    // A fresh loopback address per run: a ban lasts an hour and outlives this test.
    const stranger = `127.0.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < QBITTORRENT_DEFAULT_BAN.failures; i++) expect((await login(`wrong-${i}`, stranger)).text).toBe("Fails.");
    const banned = await login(lab.apps.qbittorrent.password, stranger);
    expect(banned.status).toBe(403);
    expect(banned.text).toMatch(/banned/i);
    expect((await login(lab.apps.qbittorrent.password)).text).toBe("Ok.");
  });

  it("a successful login clears an address's failed logins (what keeps the lab's own address unbanned)", async () => {
    for (let i = 0; i < QBITTORRENT_DEFAULT_BAN.failures - 2; i++) expect((await login(`wrong-${i}`)).text).toBe("Fails.");
    expect((await login(lab.apps.qbittorrent.password)).text).toBe("Ok.");
    for (let i = 0; i < QBITTORRENT_DEFAULT_BAN.failures - 2; i++) expect((await login(`wrong-again-${i}`)).text).toBe("Fails.");
    expect((await login(lab.apps.qbittorrent.password)).text).toBe("Ok.");
  });

  it("has the lab categories and reports its version", async () => {
    const { sid } = await login(lab.apps.qbittorrent.password);
    const res = await fetch(`${lab.apps.qbittorrent.url}/api/v2/torrents/categories`, { headers: { cookie: sid ?? "" } });
    const categories = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(categories)).toEqual(expect.arrayContaining(["tv", "movies", "music"]));
    expect(lab.apps.qbittorrent.version).toMatch(/^v\d+\.\d+/);
  });

  it("is what the address map names for the user's qBittorrent Service", () => {
    expect(lab.addressMap["qbittorrent.qbittorrent"]).toBe(lab.apps.qbittorrent.url);
  });
});
