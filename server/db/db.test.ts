import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_PAGE_SIZE } from "@/lib/audit";
import { listAuditActions, listAuditEvents, pruneAuditEvents, recordAuditEvent, recordRepeatedAuditEvent } from "./audit";
import { applyMigrations, checkWritable, openDatabase } from "./open";
import { readSettings, writeSettings } from "./settings";

const fresh = () => openDatabase(mkdtempSync(path.join(tmpdir(), "panel-db-")));

describe("openDatabase", () => {
  it("creates the schema in WAL mode with a busy timeout, and migrations run once", () => {
    const db = fresh();
    expect(db.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.$client.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(applyMigrations(db.$client)).toEqual([]);
    expect(() => checkWritable(db)).not.toThrow();
  });

  it("gives a clear error when the data directory cannot be used", () => {
    const parent = mkdtempSync(path.join(tmpdir(), "panel-db-"));
    const blocker = path.join(parent, "file");
    writeFileSync(blocker, "not a directory");
    expect(() => openDatabase(path.join(blocker, "data"))).toThrow(/data directory .* is not writable by this process/);
  });
});

describe("audit events", () => {
  it("stores a secret-free summary and lists newest first with filters and pages", () => {
    const db = fresh();
    for (let i = 0; i < AUDIT_PAGE_SIZE + 5; i++) {
      recordAuditEvent(
        db,
        { actor: i % 2 ? "alice" : "bob", role: "admin", action: i % 3 ? "settings.update" : "backup.run", target: `t${i}`, input: { name: `n${i}`, apiKey: "SECRET-KEY-123" }, result: i === 7 ? "error" : "ok", errorMessage: i === 7 ? "boom" : null },
        1_000 + i,
      );
    }
    const first = listAuditEvents(db, {}, 1);
    expect(first.total).toBe(AUDIT_PAGE_SIZE + 5);
    expect(first.pageCount).toBe(2);
    expect(first.events).toHaveLength(AUDIT_PAGE_SIZE);
    expect(first.events[0]?.target).toBe(`t${AUDIT_PAGE_SIZE + 4}`);
    expect(JSON.stringify(first.events)).not.toContain("SECRET-KEY-123");
    expect(first.events[0]?.inputSummary).toMatchObject({ apiKey: "[redacted]" });
    expect(listAuditEvents(db, {}, 2).events).toHaveLength(5);
    expect(listAuditEvents(db, {}, 99).page).toBe(2);
    expect(listAuditEvents(db, { actor: "alice" }, 1).total).toBe(15);
    expect(listAuditEvents(db, { result: "error" }, 1).events.map((e) => e.errorMessage)).toEqual(["boom"]);
    expect(listAuditEvents(db, { q: "t1" }, 1).total).toBeGreaterThan(0);
    expect(listAuditEvents(db, { q: "100%_" }, 1).total).toBe(0);
    expect(listAuditActions(db)).toEqual(["backup.run", "settings.update"]);
  });
});

describe("audit growth", () => {
  const failure = (target: string) => ({
    actor: "admin",
    role: "anonymous",
    action: "auth.sign_in",
    target,
    result: "error" as const,
    errorCode: "unauthorized",
    errorMessage: "Wrong username or password",
  });

  it("folds a flood of identical failed sign-ins into one row per client and window", () => {
    const db = fresh();
    for (let i = 0; i < 500; i++) recordRepeatedAuditEvent(db, failure("192.168.1.66"), 600_000, 10_000 + i * 100);
    recordRepeatedAuditEvent(db, failure("192.168.1.67"), 600_000, 70_000);
    const { events, total } = listAuditEvents(db, {}, 1);
    expect(total).toBe(2);
    const flood = events.find((e) => e.target === "192.168.1.66");
    expect(flood).toMatchObject({ repeatCount: 500, firstAt: 10_000, at: 10_000 + 499 * 100 });
    expect(events.find((e) => e.target === "192.168.1.67")?.repeatCount).toBe(1);
    expect(recordRepeatedAuditEvent(db, failure("192.168.1.67"), 600_000, 70_001).repeatCount).toBe(2);
    // After the window a new row starts.
    recordRepeatedAuditEvent(db, failure("192.168.1.66"), 600_000, 10_000 + 499 * 100 + 600_001);
    expect(listAuditEvents(db, {}, 1).total).toBe(3);
  });

  it("deletes events older than the retention", () => {
    const db = fresh();
    const day = 86_400_000;
    const now = 400 * day;
    recordAuditEvent(db, { actor: "a", role: "admin", action: "old", result: "ok" }, now - 91 * day);
    recordAuditEvent(db, { actor: "a", role: "admin", action: "recent", result: "ok" }, now - 89 * day);
    expect(pruneAuditEvents(db, 90, now)).toBe(1);
    expect(listAuditActions(db)).toEqual(["recent"]);
  });
});

describe("settings", () => {
  it("reads defaults and writes values", () => {
    const db = fresh();
    expect(readSettings(db).stackName).toBe("Home media server");
    writeSettings(db, { stackName: "Brett's NAS" }, "admin");
    writeSettings(db, { stackName: "NAS" }, "admin");
    expect(readSettings(db)).toEqual({ stackName: "NAS", runbookBaseUrl: "" });
  });
});
