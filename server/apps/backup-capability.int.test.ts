/**
 * The apps' own backup and restore capabilities, through the modules of the registry, against the
 * spec-validated simulators keeping their state in their volume files: a backup made through the
 * module is listed, a restore through the module brings the saved settings back in the app's own
 * API once it has restarted, and a restore the app refuses is an AppError with the app's words.
 * Every module that declares both capabilities is covered, and each of them must have a simulator
 * and a setting this test changes and reads through the app's own API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatorControl } from "@/lab/sims/control";
import { call, startTestHost, starts, TEST_KEYS, waitForRestart, type TestHost } from "@/lab/sims/test-support";
import { isAppError } from "@/lib/errors";
import type { AppModule } from "./define";
import { APP_MODULE_LIST } from "./registry";
import { arrFactsOf } from "./arr/family";

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost();
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

const withRestore = APP_MODULE_LIST.filter((m) => m.backup !== undefined && m.restore !== undefined);

/** A setting of the app, changed and read through its own API (or the simulator's control, where the app has no API for it). */
interface Setting {
  /** A valid value of the setting, made of a word. */
  value(word: string): string;
  set(value: string): Promise<void>;
  get(): Promise<string>;
}

function arrSetting(id: string, module: AppModule): Setting | undefined {
  const facts = arrFactsOf(module);
  if (facts === undefined) return undefined;
  const url = (p: string) => `${t.base(id)}/api/${facts.flavor.apiVersion}${p}`;
  const key = () => ({ "x-api-key": TEST_KEYS[id] ?? "" });
  return {
    value: (word) => `${module.displayName} ${word}`,
    async set(value) {
      const current = (await call(url("/config/host"), { headers: key() })).json as Record<string, unknown>;
      const r = await call(url("/config/host/1"), { method: "PUT", headers: key(), body: { ...current, instanceName: value } });
      expect(r.status, r.text).toBe(202);
    },
    get: async () => ((await call(url("/system/status"), { headers: key() })).json as { instanceName: string }).instanceName,
  };
}

/** The settings of the apps outside the *arr family, by app id (the test fails for a module with restore that has none). */
const OTHER_SETTINGS: Record<string, () => Setting> = {
  bazarr: () => {
    const url = `${t.base("bazarr")}/api/system/settings`;
    const key = { "x-api-key": TEST_KEYS.bazarr ?? "" };
    return {
      value: (word) => `sonarr-${word}.media.svc.cluster.local`,
      async set(value) {
        const r = await call(url, { method: "POST", headers: key, form: { "settings-sonarr-ip": value } });
        expect(r.status, r.text).toBe(204);
      },
      get: async () => ((await call(url, { headers: key })).json as { sonarr: { ip: string } }).sonarr.ip,
    };
  },
  jellyfin: () => ({
    value: (word) => `jellyfin-${word}`,
    set: (value) => new SimulatorControl(`${t.host.controlUrl}/__control/jellyfin`).set({ serverName: value }).then(() => undefined),
    get: async () => ((await call(`${t.base("jellyfin")}/System/Info/Public`)).json as { ServerName: string }).ServerName,
  }),
};

const settingOf = (id: string, module: AppModule): Setting | undefined => arrSetting(id, module) ?? OTHER_SETTINGS[id]?.();

describe("the apps' own backups through the registry's modules", () => {
  it("the *arr family, Bazarr and Jellyfin declare backup and restore, and every module that does has a simulator and a setting here", () => {
    expect(withRestore.map((m) => m.id)).toEqual(expect.arrayContaining(["sonarr", "radarr", "lidarr", "prowlarr", "bazarr", "jellyfin"]));
    for (const m of withRestore) {
      expect(t.host.sims.has(m.id), `${m.id} has a simulator`).toBe(true);
      expect(settingOf(m.id, m), `${m.id} has a setting in this test`).toBeDefined();
    }
  });

  describe.each(withRestore.map((m) => ({ id: m.id, module: m })))("$id", ({ id, module }) => {
    const client = () => module.connect({ baseUrl: t.base(id), apiKey: TEST_KEYS[id] ?? "", timeoutMs: 10_000 }).client;
    const setting = () => {
      const found = settingOf(id, module);
      if (found === undefined) throw new Error(`${id}: a module with backups needs its setting read here`);
      return found;
    };

    it("makes a backup, lists it, and a restore brings the saved setting back after the app restarts", async () => {
      const c = client();
      const s = setting();
      await s.set(s.value("saved"));
      const made = await module.backup!.create(c, {});
      expect(made.name).toMatch(/\.zip$/);
      expect(Number.isNaN(Date.parse(made.createdAt))).toBe(false);
      if (made.sizeBytes !== undefined) expect(made.sizeBytes).toBeGreaterThan(0);
      const listed = await module.backup!.list(c, {});
      expect(listed.map((b) => b.id)).toContain(made.id);
      expect([...listed].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(listed);

      // A second backup right after the first is another backup: the first is still listed as it was.
      const second = await module.backup!.create(c, {});
      expect(second.id).not.toBe(made.id);
      expect((await module.backup!.list(c, {})).map((b) => b.id)).toEqual(expect.arrayContaining([made.id, second.id]));

      await s.set(s.value("changed"));
      expect(await s.get()).toBe(s.value("changed"));
      const before = starts(t.host, id);
      await module.restore!.restore(c, made.id, {});
      await waitForRestart(t.host, id, before);
      await expect.poll(() => s.get().catch((e: unknown) => `unreadable: ${(e as Error).message}`), { timeout: 30_000, interval: 500 }).toBe(s.value("saved"));
    });

    it("a restore the app refuses is an AppError with the app's message, and the setting stays", async () => {
      const c = client();
      const s = setting();
      await s.set(s.value("kept"));
      const made = await module.backup!.create(c, {});
      await new SimulatorControl(`${t.host.controlUrl}/__control/${id}`).refuseRestore(1, "Disk quota exceeded");
      const before = starts(t.host, id);
      const error = await module.restore!.restore(c, made.id, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAppError(error)).toBe(true);
      expect((error as Error).message).toMatch(/Disk quota exceeded/);
      expect(starts(t.host, id)).toBe(before);
      expect(await s.get()).toBe(s.value("kept"));
      await expect(module.restore!.restore(c, "not-a-number", {})).rejects.toThrow(/is not a backup/);
    });
  });
});
