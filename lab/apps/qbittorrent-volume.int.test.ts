/**
 * The real qBittorrent keeps its profile on its configuration volume: a preference changed
 * through its Web API, the volume copied aside, the preference changed again, the copy put back
 * while qBittorrent is stopped (what a new pod's init container does before the app starts), and
 * after the start the first value is back in the Web API.
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { volumeDir } from "../paths";
import { restartLabQbittorrent } from "./index";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

let lab: AppsHandle;
let aside: string;
let original: number | undefined;

async function session(url: string, username: string, password: string): Promise<(path: string, form?: Record<string, string>) => Promise<string>> {
  const login = await fetch(`${url}/api/v2/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", referer: url },
    body: new URLSearchParams({ username, password }),
  });
  const sid = login.headers.getSetCookie().find((c) => c.startsWith("SID="))?.split(";")[0];
  expect(await login.text()).toBe("Ok.");
  return async (path, form) => {
    const res = await fetch(`${url}/api/v2/${path}`, {
      method: form === undefined ? "GET" : "POST",
      headers: { cookie: sid ?? "", referer: url, ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }) },
      body: form === undefined ? undefined : new URLSearchParams(form),
    });
    expect(res.status).toBe(200);
    return res.text();
  };
}

const confFile = () => join(lab.apps.qbittorrent.profileDir, "qBittorrent", "config", "qBittorrent.conf");

async function preferences(): Promise<{ max_active_downloads: number }> {
  const qb = lab.apps.qbittorrent;
  const api = await session(qb.url, qb.username, qb.password);
  return JSON.parse(await api("app/preferences")) as { max_active_downloads: number };
}

async function setMaxActiveDownloads(n: number): Promise<void> {
  const qb = lab.apps.qbittorrent;
  const api = await session(qb.url, qb.username, qb.password);
  await api("app/setPreferences", { json: JSON.stringify({ max_active_downloads: n }) });
  // qBittorrent writes its settings to the profile a few seconds after a change.
  await expect.poll(() => readFileSync(confFile(), "utf8"), { timeout: 30_000, interval: 250 }).toMatch(new RegExp(`MaxActiveDownloads=${n}\\b`));
}

beforeAll(async () => {
  lab = await useLabApps();
  aside = mkdtempSync(join(tmpdir(), "qbittorrent-profile-"));
  original = (await preferences()).max_active_downloads;
});

afterAll(async () => {
  if (lab !== undefined && original !== undefined) await setMaxActiveDownloads(original).catch(() => undefined);
  if (aside !== undefined) rmSync(aside, { recursive: true, force: true });
  await lab?.release();
});

describe("qBittorrent on its volume", () => {
  it("runs with its profile in its configuration volume's directory", () => {
    const [namespace, claim] = lab.apps.qbittorrent.configVolume.split("/");
    expect(lab.apps.qbittorrent.profileDir).toBe(volumeDir(namespace ?? "", claim ?? "", lab.labDir));
    expect(existsSync(confFile())).toBe(true);
  });

  it("a copy of the profile put back before a restart brings the first preference back", async () => {
    const first = original === 7 ? 6 : 7;
    await setMaxActiveDownloads(first);
    // A running qBittorrent keeps its IPC socket in the profile; a copy (like tar) leaves it out.
    cpSync(join(lab.apps.qbittorrent.profileDir, "qBittorrent"), join(aside, "qBittorrent"), { recursive: true, filter: (src) => !lstatSync(src).isSocket() });
    await setMaxActiveDownloads(first + 2);
    expect((await preferences()).max_active_downloads).toBe(first + 2);

    const pidBefore = lab.apps.qbittorrent.pid;
    const info = await restartLabQbittorrent(lab.labDir, {
      between: () => {
        rmSync(join(lab.apps.qbittorrent.profileDir, "qBittorrent"), { recursive: true, force: true });
        cpSync(join(aside, "qBittorrent"), join(lab.apps.qbittorrent.profileDir, "qBittorrent"), { recursive: true });
      },
    });
    expect(info.pid).not.toBe(pidBefore);
    expect(info.url).toBe(lab.apps.qbittorrent.url);
    lab.apps.qbittorrent = info;
    expect((await preferences()).max_active_downloads).toBe(first);
  });
});
