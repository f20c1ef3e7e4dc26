/**
 * The apps' own backup and restore capabilities, through the modules of the registry, against the
 * spec-validated simulators keeping their state in their volume files: a backup made through the
 * module is listed, a restore through the module brings the saved settings back in the app's own
 * API once it has restarted, and a restore the app refuses is an AppError with the app's words.
 * Every module that declares both capabilities is covered, and each of them must have a simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatorControl } from "@/lab/sims/control";
import { call, startTestHost, starts, TEST_KEYS, waitForRestart, type TestHost } from "@/lab/sims/test-support";
import { isAppError } from "@/lib/errors";
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

describe("the apps' own backups through the registry's modules", () => {
  it("the *arr family declares backup and restore, and every module that does has a simulator", () => {
    expect(withRestore.map((m) => m.id)).toEqual(expect.arrayContaining(["sonarr", "radarr", "lidarr", "prowlarr"]));
    for (const m of withRestore) expect(t.host.sims.has(m.id), `${m.id} has a simulator`).toBe(true);
  });

  describe.each(withRestore.map((m) => ({ id: m.id, module: m })))("$id", ({ id, module }) => {
    const facts = arrFactsOf(module);
    const api = `/api/${facts?.flavor.apiVersion ?? "v3"}`;
    const url = (p: string) => `${t.base(id)}${p}`;
    const key = () => ({ "x-api-key": TEST_KEYS[id] ?? "" });
    const client = () => module.connect({ baseUrl: t.base(id), apiKey: TEST_KEYS[id] ?? "", timeoutMs: 10_000 }).client;
    const instanceName = async () => ((await call(url(`${api}/system/status`), { headers: key() })).json as { instanceName: string }).instanceName;
    async function setInstanceName(value: string): Promise<void> {
      const current = (await call(url(`${api}/config/host`), { headers: key() })).json as Record<string, unknown>;
      const r = await call(url(`${api}/config/host/1`), { method: "PUT", headers: key(), body: { ...current, instanceName: value } });
      expect(r.status, r.text).toBe(202);
    }

    it("makes a backup, lists it, and a restore brings the saved setting back after the app restarts", async () => {
      if (facts === undefined) throw new Error(`${id}: a module with backups outside the *arr family needs its setting read here`);
      const c = client();
      await setInstanceName(`${module.displayName} saved`);
      const made = await module.backup!.create(c, {});
      expect(made.name).toMatch(/_backup_v[\d.]+_[\d._]+\.zip$/);
      expect(made.kind).toBe("manual");
      expect(made.sizeBytes).toBeGreaterThan(0);
      const listed = await module.backup!.list(c, {});
      expect(listed.map((b) => b.id)).toContain(made.id);
      expect([...listed].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(listed);

      await setInstanceName(`${module.displayName} changed`);
      expect(await instanceName()).toBe(`${module.displayName} changed`);
      const before = starts(t.host, id);
      await module.restore!.restore(c, made.id, {});
      await waitForRestart(t.host, id, before);
      expect(await instanceName()).toBe(`${module.displayName} saved`);
    });

    it("a restore the app refuses is an AppError with the app's message, and the setting stays", async () => {
      const c = client();
      await setInstanceName(`${module.displayName} kept`);
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
      expect(await instanceName()).toBe(`${module.displayName} kept`);
      await expect(module.restore!.restore(c, "not-a-number", {})).rejects.toThrow(/is not a backup id/);
    });
  });
});
