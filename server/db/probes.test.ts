import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { HealthStatus } from "@/lib/services";
import { HOUR_MS, MINUTE_MS, toPercent } from "@/lib/uptime";
import { openDatabase } from "./open";
import {
  applyRetention,
  availabilitySeries,
  latencySeries,
  latestResults,
  recentLatencies,
  recentResults,
  recordProbeResults,
  uptime,
  uptimeAll,
  uptimeCounts,
  type ProbeRecord,
} from "./probes";

const T0 = Date.UTC(2026, 0, 1); // a whole hour
const freshDir = () => mkdtempSync(path.join(tmpdir(), "panel-probes-"));

function record(serviceId: string, at: number, status: HealthStatus, latencyMs: number | null = 50): ProbeRecord {
  return { serviceId, at, status, appStatus: status, latencyMs, version: "4.0.19", errorCode: status === "down" ? "timeout" : null, detail: null, checks: [] };
}

describe("uptime from recorded probe results", () => {
  it("gives exact 24 h / 7 d / 30 d figures (up and degraded available, down not, unknown left out)", () => {
    const db = openDatabase(freshDir());
    const now = T0 + 40 * 24 * HOUR_MS + 30 * MINUTE_MS; // half past an hour
    const step = 60_000;
    const start30 = now - now % HOUR_MS - 719 * HOUR_MS; // first bucket of the 30 d window
    const records: ProbeRecord[] = [];
    // Probes before the window must not count.
    for (let at = start30 - 5 * HOUR_MS; at < start30; at += step) records.push(record("media/sonarr", at, "down"));
    for (let at = start30, i = 0; at < now; at += step, i++) {
      const age = now - at;
      let status: HealthStatus = i % 7 === 0 ? "degraded" : "up";
      if (age <= 2 * HOUR_MS && age > 2 * HOUR_MS - 15 * MINUTE_MS) status = "down"; // 15 down in the last 24 h
      if (age <= 5 * HOUR_MS && age > 5 * HOUR_MS - 30 * MINUTE_MS) status = "unknown"; // 30 unknown in the last 24 h
      if (age <= 3 * 24 * HOUR_MS && age > 3 * 24 * HOUR_MS - HOUR_MS) status = "down"; // 60 down 3 days ago
      if (age <= 20 * 24 * HOUR_MS && age > 20 * 24 * HOUR_MS - 5 * HOUR_MS) status = "down"; // 300 down 20 days ago
      records.push(record("media/sonarr", at, status));
    }
    recordProbeResults(db, records);
    // 24 h = 23.5 h of probes = 1410; 7 d = 167.5 h = 10050; 30 d = 719.5 h = 43170.
    expect(uptimeCounts(db, "media/sonarr", "24h", now)).toMatchObject({ down: 15, unknown: 30 });
    expect(Object.values(uptimeCounts(db, "media/sonarr", "24h", now)).reduce((a, b) => a + b)).toBe(1410);
    expect(uptime(db, "media/sonarr", "24h", now)).toBe((1410 - 30 - 15) / (1410 - 30));
    expect(uptime(db, "media/sonarr", "7d", now)).toBe((10050 - 30 - 75) / (10050 - 30));
    expect(uptime(db, "media/sonarr", "30d", now)).toBe((43170 - 30 - 375) / (43170 - 30));
    expect(toPercent(uptime(db, "media/sonarr", "24h", now))).toBe(98.91);
    expect(toPercent(uptime(db, "media/sonarr", "7d", now))).toBe(99.25);
    expect(toPercent(uptime(db, "media/sonarr", "30d", now))).toBe(99.13);
    expect(uptime(db, "media/radarr", "24h", now)).toBeNull();
    expect(uptimeAll(db, "7d", now)).toEqual(new Map([["media/sonarr", (10050 - 30 - 75) / (10050 - 30)]]));
  });
});

describe("rollups and retention (fake clock)", () => {
  it("keeps per-minute and per-hour counters with latency, and deletes by age", () => {
    const dir = freshDir();
    const db = openDatabase(dir);
    recordProbeResults(db, [
      record("media/sonarr", T0 + 10_000, "up", 100),
      record("media/sonarr", T0 + 40_000, "down", null),
      record("media/sonarr", T0 + 70_000, "degraded", 300),
      record("media/radarr", T0 + 20_000, "up", 20),
    ]);
    const minutes = db.$client.prepare("SELECT * FROM probe_minutes WHERE service_id = 'media/sonarr' ORDER BY minute").all();
    expect(minutes).toEqual([
      { service_id: "media/sonarr", minute: T0, up: 1, degraded: 0, down: 1, unknown: 0, latency_count: 1, latency_sum: 100, latency_max: 100 },
      { service_id: "media/sonarr", minute: T0 + MINUTE_MS, up: 0, degraded: 1, down: 0, unknown: 0, latency_count: 1, latency_sum: 300, latency_max: 300 },
    ]);
    const hours = db.$client.prepare("SELECT * FROM probe_hours WHERE service_id = 'media/sonarr'").all();
    expect(hours).toEqual([
      { service_id: "media/sonarr", hour: T0, up: 1, degraded: 1, down: 1, unknown: 0, latency_count: 2, latency_sum: 400, latency_max: 300 },
    ]);
    const now = T0 + 2 * MINUTE_MS;
    expect(latencySeries(db, "media/sonarr", "24h", now)).toEqual([{ at: T0, avgMs: 200, maxMs: 300 }]);
    expect(latencySeries(db, "media/sonarr", "7d", now)).toEqual([{ at: T0, avgMs: 200, maxMs: 300 }]);
    expect(availabilitySeries(db, "media/sonarr", "30d", now)).toEqual([
      { at: T0, counts: { up: 1, degraded: 1, down: 1, unknown: 0 }, ratio: 2 / 3 },
    ]);
    expect(recentLatencies(db, T0).get("media/sonarr")).toEqual([
      { at: T0 + 10_000, ms: 100 },
      { at: T0 + 40_000, ms: null },
      { at: T0 + 70_000, ms: 300 },
    ]);

    // 48 h later: the first raw result is past the limit; its minute still holds a newer second.
    expect(applyRetention(db, T0 + 48 * HOUR_MS + 30_000)).toEqual({ results: 2, minutes: 0, hours: 0 });
    expect(recentResults(db, "media/sonarr").map((r) => r.at)).toEqual([T0 + 70_000, T0 + 40_000]);
    expect(applyRetention(db, T0 + 48 * HOUR_MS + 3 * MINUTE_MS)).toEqual({ results: 2, minutes: 3, hours: 0 });
    // The 7 d chart and the uptime still come from the hour counters.
    expect(uptime(db, "media/sonarr", "7d", T0 + 50 * HOUR_MS)).toBe(2 / 3);
    expect(applyRetention(db, T0 + 90 * 24 * HOUR_MS + HOUR_MS - 1)).toEqual({ results: 0, minutes: 0, hours: 0 });
    expect(applyRetention(db, T0 + 90 * 24 * HOUR_MS + HOUR_MS + 1)).toEqual({ results: 0, minutes: 0, hours: 2 });
    expect(db.$client.prepare("SELECT count(*) AS n FROM probe_hours").get()).toEqual({ n: 0 });
  });

  it("survives a restart: history and the latest result per service are read back", () => {
    const dir = freshDir();
    const first = openDatabase(dir);
    recordProbeResults(first, [
      record("media/sonarr", T0, "up"),
      { ...record("media/sonarr", T0 + 30_000, "degraded"), checks: [{ name: "IndexerStatusCheck", status: "down", message: "Indexers unavailable" }] },
      record("media/radarr", T0, "down", null),
    ]);
    first.$client.close();
    const again = openDatabase(dir);
    const latest = latestResults(again).sort((a, b) => a.serviceId.localeCompare(b.serviceId));
    expect(latest.map((r) => [r.serviceId, r.status, r.at])).toEqual([
      ["media/radarr", "down", T0],
      ["media/sonarr", "degraded", T0 + 30_000],
    ]);
    expect(latest[1]?.checks[0]?.message).toBe("Indexers unavailable");
    expect(uptime(again, "media/sonarr", "24h", T0 + MINUTE_MS)).toBe(1);
  });
});
