/**
 * The panel's database failing under an admin's action, through the real action wrapper and the real
 * SQLite file: another process holding a write lock past the busy timeout, and the data volume full
 * (a 2 MiB tmpfs mounted on the data directory, filled up). Each time the action answers with a
 * message saying what happened and that nothing was saved, the earlier data is intact, nothing
 * throws, and the same action works once the fault is gone.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { accountsYaml, sessionFor, setAccountHashes, useConfigFile } from "@/test/sessions";

const session: { current: null | { sid: string; user: { id: string; name: string } } } = { current: null };
const ACCOUNTS = [{ username: "admin", role: "admin" }] as const;

vi.mock("@/server/auth", () => ({
  auth: async () => session.current,
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  handlers: { GET: async () => new Response("auth"), POST: async () => new Response("auth") },
}));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined, revalidateTag: () => undefined }));

const dataDir = mkdtempSync(path.join(tmpdir(), "panel-db-faults-"));
const VOLUME_BYTES = 2 * 1024 * 1024;

beforeAll(async () => {
  // The data volume: a small tmpfs, as a full PersistentVolume looks to the panel (needs root, as the lab's volume limits do).
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${VOLUME_BYTES},mode=0700`, "panel-db-faults", dataDir]);
  process.env.PANEL_DATA_DIR = dataDir;
  await setAccountHashes(ACCOUNTS);
  useConfigFile(accountsYaml(ACCOUNTS));
  session.current = await sessionFor("admin", "admin");
});

afterAll(async () => {
  const { getDb } = await import("@/server/db");
  getDb().$client.close();
  execFileSync("umount", [dataDir]);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Another process (node with better-sqlite3) that takes SQLite's write lock on the panel's database and holds it. */
async function holdWriteLock(file: string): Promise<{ child: ChildProcessWithoutNullStreams; release: () => Promise<void> }> {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(${JSON.stringify(file)});
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT OR REPLACE INTO settings (key, value, updated_at, updated_by) VALUES ('runbookBaseUrl', 'https://other.example/', 0, 'other')").run();
    process.stdout.write("locked\\n");
    process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); process.stdout.write("released\\n"); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: process.cwd() });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  await vi.waitFor(() => expect(out).toContain("locked"), { timeout: 10_000 });
  return {
    child,
    release: async () => {
      child.stdin.write("go\n");
      await new Promise((r) => child.once("exit", r));
      expect(out).toContain("released");
    },
  };
}

describe("the database failing under an action", () => {
  it("another process holds a write lock: a clear refusal after the busy timeout, nothing lost, saved after the lock ends", async () => {
    const { updateSettings } = await import("./settings");
    expect(await updateSettings({ stackName: "Before the lock", runbookBaseUrl: "" })).toMatchObject({ ok: true });
    const lock = await holdWriteLock(path.join(dataDir, "panel.sqlite"));
    try {
      const started = Date.now();
      const result = await updateSettings({ stackName: "During the lock", runbookBaseUrl: "" });
      expect(result).toMatchObject({ ok: false, code: "timeout" });
      expect(result.ok ? "" : result.message).toMatch(/^The panel's database is busy: another process holds a write lock on it \(the panel waited 5 s\)\. Nothing was saved/);
      // The audit row could not be written either, and the message says so.
      expect(result.ok ? "" : result.message).toMatch(/The audit log could not record this either/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    } finally {
      await lock.release();
    }
    const { getDb } = await import("@/server/db");
    const { readSettings } = await import("@/server/db/settings");
    // The other process's committed write is there; the refused one is not.
    expect(readSettings(getDb())).toEqual({ stackName: "Before the lock", runbookBaseUrl: "https://other.example/" });
    expect(await updateSettings({ stackName: "After the lock", runbookBaseUrl: "" })).toMatchObject({ ok: true, data: { stackName: "After the lock" } });
    const { listAuditEvents } = await import("@/server/db/audit");
    expect(listAuditEvents(getDb(), { action: "settings.update" }, 5).events.map((e) => e.result)).toEqual(["ok", "ok"]);
  }, 30_000);

  it("the data volume is full: a clear refusal, the earlier data intact, saved once there is room", async () => {
    const { updateSettings } = await import("./settings");
    const { getDb } = await import("@/server/db");
    const { readSettings } = await import("@/server/db/settings");
    expect(await updateSettings({ stackName: "Before the volume filled", runbookBaseUrl: "" })).toMatchObject({ ok: true });
    // Checkpoint so the WAL is empty, then fill every free byte of the volume.
    getDb().$client.pragma("wal_checkpoint(TRUNCATE)");
    const filler = path.join(dataDir, "filler");
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (let i = 0; i < VOLUME_BYTES / chunk.length + 1; i++) writeFileSync(filler, chunk, { flag: "a" });
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    const big = "x".repeat(400);
    const result = await updateSettings({ stackName: "While full", runbookBaseUrl: `https://runbooks.example/${big}` });
    expect(result).toMatchObject({ ok: false });
    expect(result.ok ? "" : result.message).toMatch(/^The panel's data volume is full: nothing was saved and what was saved before is intact\./);
    expect(readSettings(getDb()).stackName).toBe("Before the volume filled");
    rmSync(filler);
    expect(await updateSettings({ stackName: "With room again", runbookBaseUrl: "" })).toMatchObject({ ok: true, data: { stackName: "With room again" } });
    expect(getDb().$client.pragma("integrity_check", { simple: true })).toBe("ok");
  }, 30_000);
});
