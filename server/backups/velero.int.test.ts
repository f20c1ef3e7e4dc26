/**
 * Velero's Backups and Schedules against the lab's real API server, which serves Velero's CRDs and
 * holds the Schedule and Backup the lab seeds in `velero`: the informers of the Velero kinds (watched
 * in Velero's namespace only) sync them, and the Backups page's view joins them to the services of
 * the namespace they cover, with phase, times, errors, warnings and expiry; a Backup Velero starts
 * later shows without a reload, and its completion too.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAB_TEST_LABEL } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { veleroView, type VeleroView } from "@/lib/backups/velero";
import { createInformerSet, type InformerSet } from "@/server/k8s/informers";
import { INFORMER_KINDS } from "@/server/k8s/kinds";

const lab = useLabCluster({ reset: false });
const VELERO = { group: "velero.io", version: "v1", namespace: "velero" };
const LIVE = "panel-velero-test";

let set: InformerSet;

/** The view of what the informers hold, joined to the services of the media namespace (from the same informers). */
function view(): VeleroView {
  const snap = set.snapshot();
  const services = snap.deployments.filter((d) => d.metadata?.namespace === "media").map((d) => ({ id: `media/${d.metadata?.name ?? ""}`, namespace: "media" }));
  return veleroView(snap.velerobackups ?? [], snap.veleroschedules ?? [], services);
}

async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    last = view();
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const custom = () => lab().kc.makeApiClient(CustomObjectsApi);
const deleteLive = () => custom().deleteNamespacedCustomObject({ ...VELERO, plural: "backups", name: LIVE }).catch(() => undefined);

beforeAll(async () => {
  await deleteLive();
  const kinds = INFORMER_KINDS.filter((k) => k.scope === "velero-namespace" || k.name === "deployments");
  set = createInformerSet({ kc: lab().kc, namespaces: ["media"], kinds, veleroNamespace: "velero" }).start();
  await until("the informers synced", 60_000, () => (set.state().connected && Object.values(set.state().kinds).every((k) => k.synced) ? true : undefined));
}, 90_000);

afterAll(async () => {
  set?.stop();
  await deleteLive();
});

describe("Velero in the lab", () => {
  it("watches the Velero kinds in Velero's namespace, served by the lab's CRDs", () => {
    const kinds = set.state().kinds;
    expect(kinds.velerobackups).toMatchObject({ served: true, synced: true });
    expect(kinds.veleroschedules).toMatchObject({ served: true, synced: true });
    expect(kinds.velerobackups?.error).toBeUndefined();
  });

  it("shows the seeded Schedule and Backup with their phase, times, errors, warnings and expiry, joined to the media services", () => {
    const v = view();
    const schedule = v.schedules.find((s) => s.name === "media-daily");
    expect(schedule, JSON.stringify(v.schedules)).toMatchObject({ schedule: "0 2 * * *", intervalHours: 24, paused: false, phase: "Enabled", lastBackupAt: Date.parse("2026-01-05T02:00:00Z"), covers: "media" });
    expect(schedule?.services).toEqual(expect.arrayContaining(["media/sonarr", "media/jellyfin"]));
    const backup = v.backups.find((b) => b.name === "media-daily-20260105020000");
    expect(backup, JSON.stringify(v.backups)).toMatchObject({
      schedule: "media-daily",
      phase: "PartiallyFailed",
      result: "partial",
      startedAt: Date.parse("2026-01-05T02:00:00Z"),
      completedAt: Date.parse("2026-01-05T02:03:41Z"),
      expiresAt: Date.parse("2099-01-05T02:00:00Z"),
      errors: 1,
      warnings: 2,
      covers: "media",
    });
    expect(backup?.services).toEqual(expect.arrayContaining(["media/sonarr", "media/jellyfin"]));
    expect(backup?.services.every((id) => id.startsWith("media/"))).toBe(true);
  });

  it("a Backup Velero starts later shows without a reload, first in progress, then completed", async () => {
    const started = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await custom().createNamespacedCustomObject({
      ...VELERO,
      plural: "backups",
      body: {
        apiVersion: "velero.io/v1",
        kind: "Backup",
        metadata: { name: LIVE, labels: { [LAB_TEST_LABEL]: "true" } },
        spec: { includedNamespaces: ["*"], excludedNamespaces: ["kube-system"] },
        status: { phase: "InProgress", startTimestamp: started },
      },
    });
    const running = await until("the new Backup in the view", 30_000, () => view().backups.find((b) => b.name === LIVE));
    expect(running).toMatchObject({ phase: "InProgress", result: "running", covers: "all namespaces except kube-system", startedAt: Date.parse(started) });
    expect(view().backups[0]?.name, "newest first").toBe(LIVE);
    // A merge patch of the object: Velero's CRDs have no status subresource.
    await custom().patchNamespacedCustomObject(
      { ...VELERO, plural: "backups", name: LIVE, body: { status: { phase: "Completed", startTimestamp: started, completionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const done = await until("the Backup completed in the view", 30_000, () => view().backups.find((b) => b.name === LIVE && b.result === "succeeded"));
    expect(done.completedAt).toBeGreaterThanOrEqual(Date.parse(started));
  });
});
