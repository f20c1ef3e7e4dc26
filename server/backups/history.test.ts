import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "@/server/db/open";
import Database from "better-sqlite3";
import { backupHistoryPage, recordAppBackup, backupOfJob, getBackup, historyCursorText, insertRestore, lastRuns, listBackups, listRestores, markVerified, parseHistoryCursor, recordJobRun, updateRestore } from "./history";

const fresh = () => openDatabase(mkdtempSync(path.join(tmpdir(), "panel-backups-")));
const HOUR = 3_600_000;

function run(uid: string, over: Partial<Parameters<typeof recordJobRun>[1]> = {}): Parameters<typeof recordJobRun>[1] {
  return { serviceId: "qbittorrent/qbittorrent", trigger: "scheduled", startedAt: 1_000, finishedAt: 2_000, result: "succeeded", jobNamespace: "qbittorrent", jobName: `job-${uid}`, jobUid: uid, archive: `qbittorrent/qbittorrent/a-${uid}.tar.gz`, sha256: "a".repeat(64), sizeBytes: 10, files: 3, ...over };
}

describe("backup history", () => {
  it("records a Job's run once by its UID, updating it when it finishes, and keeps it when the Job is gone", () => {
    const db = fresh();
    const id = recordJobRun(db, run("u1", { result: "running", finishedAt: null, archive: undefined }));
    expect(recordJobRun(db, run("u1"))).toBe(id);
    expect(listBackups(db)).toHaveLength(1);
    expect(getBackup(db, id)).toMatchObject({ result: "succeeded", archive: "qbittorrent/qbittorrent/a-u1.tar.gz", sizeBytes: 10, verification: "unverified", jobName: "job-u1" });
    expect(backupOfJob(db, "u1")?.id).toBe(id);
  });

  it("gives per service the newest good backup and the newest finished run, failures included", () => {
    const db = fresh();
    recordJobRun(db, run("a", { startedAt: 1 * HOUR, finishedAt: 1 * HOUR + 10 }));
    recordJobRun(db, run("b", { startedAt: 2 * HOUR, finishedAt: 2 * HOUR + 10 }));
    recordJobRun(db, run("c", { startedAt: 3 * HOUR, finishedAt: 3 * HOUR + 10, result: "failed", reason: "checksum: differs", archive: undefined }));
    recordJobRun(db, run("d", { startedAt: 4 * HOUR, finishedAt: null, result: "running" }));
    recordJobRun(db, run("e", { serviceId: "media/prowlarr", startedAt: 5 * HOUR, finishedAt: 5 * HOUR + 10 }));
    const last = lastRuns(db);
    expect(last.get("qbittorrent/qbittorrent")?.lastGood?.jobName).toBe("job-b");
    expect(last.get("qbittorrent/qbittorrent")?.lastRun).toMatchObject({ jobName: "job-c", result: "failed", reason: "checksum: differs" });
    expect(last.get("media/prowlarr")?.lastGood?.jobName).toBe("job-e");
    expect(listBackups(db, { serviceId: "qbittorrent/qbittorrent" }).map((b) => b.jobName)).toEqual(["job-d", "job-c", "job-b", "job-a"]);
  });

  it("marks a backup verified or failed with the checks' words, and records restores with their pre-restore backup and outcome", () => {
    const db = fresh();
    const id = recordJobRun(db, run("v"));
    markVerified(db, id, false, "checksum: differs", 5_000);
    expect(getBackup(db, id)).toMatchObject({ verification: "failed", verifiedAt: 5_000, verifyDetail: "checksum: differs" });
    const pre = recordJobRun(db, run("p", { trigger: "pre-restore" }));
    const restore = insertRestore(db, { serviceId: "qbittorrent/qbittorrent", backupId: id, actor: "admin", method: "volume", startedAt: 6_000 });
    updateRestore(db, restore, { preRestoreBackupId: pre });
    updateRestore(db, restore, { result: "rolled-back", reason: "not healthy; put back", finishedAt: 7_000 });
    expect(listRestores(db)).toEqual([
      { id: restore, serviceId: "qbittorrent/qbittorrent", backupId: id, preRestoreBackupId: pre, actor: "admin", method: "volume", startedAt: 6_000, finishedAt: 7_000, result: "rolled-back", reason: "not healthy; put back" },
    ]);
  });

  it("pages the history newest first with a cursor, every row once, and filters by service", () => {
    const db = fresh();
    // Two runs share a start time: the id breaks the tie, so no row is skipped or repeated across pages.
    for (let i = 0; i < 7; i++) recordJobRun(db, run(`p${i}`, { startedAt: Math.floor(i / 2) * HOUR, finishedAt: Math.floor(i / 2) * HOUR + 10, serviceId: i === 3 ? "media/prowlarr" : "qbittorrent/qbittorrent" }));
    const first = backupHistoryPage(db, { limit: 3 });
    expect(first.backups.map((b) => b.jobName)).toEqual(["job-p6", "job-p5", "job-p4"]);
    expect(first.older).toBeDefined();
    const cursor = parseHistoryCursor(historyCursorText(first.older!));
    expect(cursor).toEqual(first.older);
    const second = backupHistoryPage(db, { limit: 3, before: cursor! });
    expect(second.backups.map((b) => b.jobName)).toEqual(["job-p3", "job-p2", "job-p1"]);
    const third = backupHistoryPage(db, { limit: 3, before: second.older! });
    expect(third.backups.map((b) => b.jobName)).toEqual(["job-p0"]);
    expect(third.older).toBeUndefined();
    expect(backupHistoryPage(db, { serviceId: "media/prowlarr" }).backups.map((b) => b.jobName)).toEqual(["job-p3"]);
    expect(parseHistoryCursor("1.2; DROP TABLE")).toBeUndefined();
    expect(parseHistoryCursor(undefined)).toBeUndefined();
  });

  it("computes the last runs again after any change to the history, its own or another connection's", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "panel-backups-"));
    const db = openDatabase(dir);
    const id = recordJobRun(db, run("x", { startedAt: HOUR, finishedAt: HOUR + 10 }));
    expect(lastRuns(db).get("qbittorrent/qbittorrent")?.lastGood?.verification).toBe("unverified");
    markVerified(db, id, true, "ok");
    expect(lastRuns(db).get("qbittorrent/qbittorrent")?.lastGood?.verification).toBe("verified");
    const other = new Database(path.join(dir, "panel.sqlite"));
    other.prepare("UPDATE backup_runs SET result = 'failed' WHERE id = ?").run(id);
    other.close();
    expect(lastRuns(db).get("qbittorrent/qbittorrent")?.lastGood).toBeUndefined();
    expect(lastRuns(db).get("qbittorrent/qbittorrent")?.lastRun?.result).toBe("failed");
  });

  it("records an app's own backup once by the app's id, marks the panel's pre-restore one as such, and keeps it out of the protection", () => {
    const db = fresh();
    const listed = { serviceId: "media/sonarr", appBackupId: "123", name: "sonarr_backup_v4_2026.12.01_03.30.00.zip", createdAt: 5 * HOUR, sizeBytes: 2048, trigger: "manual" as const, location: "Sonarr's own backups: sonarr_backup_v4_2026.12.01_03.30.00.zip" };
    const id = recordAppBackup(db, listed);
    expect(recordAppBackup(db, listed)).toBe(id);
    expect(recordAppBackup(db, { ...listed, trigger: "pre-restore", actor: "admin" })).toBe(id);
    expect(getBackup(db, id)).toMatchObject({ source: "app", trigger: "pre-restore", archive: "123", result: "succeeded", sizeBytes: 2048, verification: "unverified" });
    expect(listBackups(db, { serviceId: "media/sonarr" })).toHaveLength(1);
    // The app's own backups stay on the volume they would protect: they do not make the service protected.
    expect(lastRuns(db).get("media/sonarr")).toBeUndefined();
  });
});
