import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

let lab: AppsHandle;

beforeAll(async () => {
  lab = await useLabApps();
});

afterAll(async () => {
  await lab?.release();
});

async function login(password: string): Promise<{ status: number; text: string; sid: string | undefined }> {
  const res = await fetch(`${lab.apps.qbittorrent.url}/api/v2/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: lab.apps.qbittorrent.username, password }),
  });
  const sid = res.headers
    .getSetCookie()
    .find((c) => c.startsWith("SID="))
    ?.split(";")[0];
  return { status: res.status, text: (await res.text()).trim(), sid };
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

  it("does not ban the client after repeated failures", async () => {
    for (let i = 0; i < 8; i++) expect((await login(`wrong-${i}`)).text).toBe("Fails.");
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
