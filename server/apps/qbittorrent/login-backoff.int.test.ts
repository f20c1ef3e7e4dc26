import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { healthFromError } from "@/server/apps/define";
import { MAX_LOGIN_FAILURES, QbittorrentClient } from "./client";
import { readQbittorrentHealth } from "./health";
import { openDatabase } from "@/server/db/open";
import { sqliteLoginBackoff } from "@/server/db/login-backoff";

/**
 * The panel never gets itself banned by the lab's real qBittorrent, which runs with qBittorrent's
 * default ban (5 failed logins, 1 h): a panel configured with a wrong password probes it sweep after
 * sweep (the clock moved on by two hours between sweeps, far past every back-off), then the right
 * password from the same address must still be accepted. The count of logins is read from what the
 * panel sent, and qBittorrent's own log is searched for a ban. The count survives a restart of the
 * panel (a new client on the reopened database): it does not start over at 0.
 */

const lab = useLabCluster({ reset: false });

interface Qbit {
  url: string;
  username: string;
  password: string;
}

function qbit(): Qbit {
  return (lab().apps as Record<string, unknown>).qbittorrent as Qbit;
}

async function bans(): Promise<string[]> {
  const client = new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: qbit().password, timeoutMs: 5000 });
  await client.login();
  const cookie = (client as unknown as { cookie: string }).cookie;
  const res = await fetch(`${qbit().url}/api/v2/log/main?normal=false&info=false&warning=true&critical=true`, { headers: { cookie } });
  const entries = (await res.json()) as Array<{ message: string }>;
  return entries.map((e) => e.message).filter((m) => /banned/i.test(m) && m.includes("127.0.0.1"));
}

describe("qBittorrent with its default ban and a wrong password in the panel", () => {
  afterAll(async () => {
    // A right login clears the address's failed logins in qBittorrent.
    await new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: qbit().password, timeoutMs: 5000 }).login().catch(() => undefined);
  });

  /** Runs `sweeps` probe sweeps of `client`, two hours of clock apart; resolves with the logins sent and the last card detail. */
  async function sweep(make: (now: () => number) => QbittorrentClient, sweeps: number): Promise<{ logins: number; detail: string }> {
    let now = Date.now();
    let logins = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      if (String(input instanceof Request ? input.url : input).endsWith("/api/v2/auth/login")) logins += 1;
      return realFetch(input, init);
    }) as typeof fetch;
    let detail = "";
    try {
      const client = make(() => now);
      for (let i = 0; i < sweeps; i++) {
        const health = await readQbittorrentHealth(client, {}).catch((error: unknown) => healthFromError(error));
        detail = health.detail ?? "";
        now += 2 * 3_600_000;
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    return { logins, detail };
  }

  it("a restart of the panel resumes the count from its database: 3 logins in all, never banned", async () => {
    const before = await bans();
    const dataDir = mkdtempSync(path.join(tmpdir(), "panel-qbit-backoff-"));
    const secret = "a-test-secret-for-the-login-keys-0123456789";
    const wrong = "not-the-password-either";
    const make = (db: ReturnType<typeof openDatabase>) => (now: () => number) =>
      new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: wrong, timeoutMs: 5000, now, backoffRecords: { store: sqliteLoginBackoff(db), secret } });
    try {
      let db = openDatabase(dataDir);
      const first = await sweep(make(db), 2);
      expect(first.logins).toBe(2);
      db.$client.close();
      // The panel restarts: a new process opens the same database, a new client for the same login.
      db = openDatabase(dataDir);
      const second = await sweep(make(db), 12);
      console.log(`[qbittorrent] across a restart: ${first.logins} + ${second.logins} login attempts`);
      expect(first.logins + second.logins).toBe(MAX_LOGIN_FAILURES);
      expect(second.detail).toMatch(/refused the user name or password 3 times; the panel stops trying them/);
      // The database holds the count under a keyed hash, never the password.
      const rows = db.$client.prepare("SELECT key, failures FROM login_backoff").all() as Array<{ key: string; failures: number }>;
      expect(rows).toEqual([{ key: expect.stringMatching(/^[\w-]{43}$/), failures: 3 }]);
      db.$client.close();
      for (const file of readdirSync(dataDir)) expect(readFileSync(path.join(dataDir, file)).includes(wrong)).toBe(false);
      // A corrected password is a new login, tried at once, and its success clears nothing else's count.
      const fixed = openDatabase(dataDir);
      const right = new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: qbit().password, timeoutMs: 5000, backoffRecords: { store: sqliteLoginBackoff(fixed), secret } });
      await expect(right.getVersion()).resolves.toMatchObject({ status: 200 });
      fixed.$client.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(await bans()).toEqual(before);
  }, 120_000);

  it("sweeps for two days of clock: at most 3 refused logins, never banned, the card says why", async () => {
    const before = await bans();
    let now = Date.now();
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      sent.push(String(input instanceof Request ? input.url : input));
      return realFetch(input, init);
    }) as typeof fetch;
    const client = new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: "not-the-password", timeoutMs: 5000, now: () => now });
    const details: string[] = [];
    try {
      for (let sweep = 0; sweep < 24; sweep++) {
        const health = await readQbittorrentHealth(client, {}).catch((error: unknown) => healthFromError(error));
        details.push(health.detail ?? "");
        now += 2 * 3_600_000;
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    const logins = sent.filter((u) => u.endsWith("/api/v2/auth/login")).length;
    console.log(`[qbittorrent] 24 sweeps over 48 h of clock with a wrong password: ${logins} login attempts`);
    expect(logins).toBe(MAX_LOGIN_FAILURES);
    expect(details.at(-1)).toMatch(/refused the user name or password 3 times; the panel stops trying them so qBittorrent does not ban its address/);
    // The same address still gets in with the right password, and qBittorrent logged no new ban of it.
    const right = new QbittorrentClient({ baseUrl: qbit().url, username: qbit().username, password: qbit().password, timeoutMs: 5000 });
    await expect(right.getVersion()).resolves.toMatchObject({ status: 200 });
    expect(await bans()).toEqual(before);
  }, 120_000);
});
