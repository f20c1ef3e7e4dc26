import { describe, expect, it } from "vitest";
import type { KubeObject } from "@/lib/k8s/types";
import { coversNamespace, veleroView } from "./velero";

const services = [
  { id: "media/sonarr", namespace: "media" },
  { id: "media/radarr", namespace: "media" },
  { id: "qbittorrent/qbittorrent", namespace: "qbittorrent" },
  { id: "monitoring/grafana", namespace: "monitoring" },
];

const backup = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero", labels }, spec, status }) as KubeObject;

describe("coversNamespace", () => {
  it.each([
    [{}, "media", true],
    [{ includedNamespaces: ["*"] }, "media", true],
    [{ includedNamespaces: ["media"] }, "media", true],
    [{ includedNamespaces: ["media"] }, "monitoring", false],
    [{ includedNamespaces: ["*"], excludedNamespaces: ["media"] }, "media", false],
    [{ excludedNamespaces: ["kube-system"] }, "media", true],
  ])("%j covers %s: %s", (scope, ns, expected) => {
    expect(coversNamespace(scope, ns)).toBe(expected);
  });
});

describe("veleroView", () => {
  it("lists Backups newest first with phase, times, counts, reason and the services they cover", () => {
    const view = veleroView(
      [
        backup("media-daily-20261201033000", { includedNamespaces: ["media"] }, { phase: "Completed", startTimestamp: "2026-12-01T03:30:00Z", completionTimestamp: "2026-12-01T03:31:10Z", expiration: "2026-12-31T03:30:00Z", warnings: 2 }, { "velero.io/schedule-name": "media-daily" }),
        backup("everything", { excludedNamespaces: ["monitoring"] }, { phase: "PartiallyFailed", startTimestamp: "2026-12-02T01:00:00Z", errors: 3, failureReason: "" }),
        backup("broken", { includedNamespaces: ["qbittorrent"] }, { phase: "FailedValidation", validationErrors: ["an existing backup storage location was not specified"] }),
      ],
      [],
      services,
    );
    expect(view.backups.map((b) => [b.name, b.result])).toEqual([
      ["everything", "partial"],
      ["media-daily-20261201033000", "succeeded"],
      ["broken", "failed"],
    ]);
    const [everything, daily, broken] = view.backups;
    expect(everything).toMatchObject({ errors: 3, warnings: 0, covers: "all namespaces except monitoring", services: ["media/sonarr", "media/radarr", "qbittorrent/qbittorrent"] });
    expect(daily).toMatchObject({
      schedule: "media-daily",
      phase: "Completed",
      startedAt: Date.parse("2026-12-01T03:30:00Z"),
      completedAt: Date.parse("2026-12-01T03:31:10Z"),
      expiresAt: Date.parse("2026-12-31T03:30:00Z"),
      warnings: 2,
      covers: "media",
      services: ["media/sonarr", "media/radarr"],
    });
    expect(broken).toMatchObject({ reason: "an existing backup storage location was not specified", services: ["qbittorrent/qbittorrent"] });
  });

  it("lists Schedules with their interval, pause, last backup and the services they cover; nothing in, nothing out", () => {
    const schedule = { apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "media-daily" }, spec: { schedule: "30 3 * * *", paused: false, template: { includedNamespaces: ["media"] } }, status: { phase: "Enabled", lastBackup: "2026-12-01T03:30:00Z" } } as KubeObject;
    const view = veleroView([], [schedule], services);
    expect(view.schedules).toEqual([{ name: "media-daily", schedule: "30 3 * * *", intervalHours: 24, paused: false, phase: "Enabled", lastBackupAt: Date.parse("2026-12-01T03:30:00Z"), covers: "media", services: ["media/sonarr", "media/radarr"] }]);
    expect(veleroView([], [], services)).toEqual({ backups: [], schedules: [] });
  });
});
