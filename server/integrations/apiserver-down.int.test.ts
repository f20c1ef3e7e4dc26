/**
 * "Fix everything" while the lab's API server is stopped (lab control: the API server alone, etcd
 * and the tokens kept): the panel still knows the apps from its informers' last lists, but cannot
 * read the Secrets with their keys again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, stopApiServer } from "@/lab/controls";
import { resetAll, SimulatorControl } from "@/lab/sims/control";
import { getLab, type LabHandle } from "@/lab/cluster/test-cluster";
import { createLabSource, type LabSource } from "@/scripts/lab-source";
import { applyIntegrations, clearTestFailures, readLinks } from "./engine";

let lab: LabHandle;
let ls: LabSource;
const controlUrl = () => (lab.apps.sonarr as { controlUrl: string }).controlUrl;

beforeAll(async () => {
  lab = getLab();
  await resetAll(controlUrl());
  clearTestFailures();
  ls = await createLabSource(lab);
  ls.env.LAB_QBITTORRENT_PASSWORD = (lab.apps.qbittorrent as { password: string }).password;
}, 120_000);

afterAll(async () => {
  await startApiServer().catch(() => undefined);
  ls?.close();
  if (lab) await resetAll(controlUrl());
}, 120_000);

describe("fix everything while the API server is stopped", () => {
  it("writes nothing, says per link that the credential could not be read from the cluster; started again, the same press fixes everything", async () => {
    await stopApiServer();
    let report;
    try {
      report = await applyIntegrations({}, { source: ls.source });
    } finally {
      await startApiServer();
    }
    // The apps are still known from the informers' last lists, so every link is reported, none written.
    expect(report.results.length).toBeGreaterThanOrEqual(14);
    expect([report.changed, report.failed]).toEqual([0, 0]);
    for (const r of report.results) {
      expect([r.id, r.outcome]).toEqual([r.id, "skipped"]);
      expect(r.message).toMatch(/^Not changed: .+'s credential could not be read \(.*not readable: .*Kubernetes API.*\); nothing was written\. Try again once it can be read\.$/);
      expect(r.message).not.toMatch(/API key missing/);
    }
    const sims = await Promise.all(["sonarr", "radarr", "prowlarr"].map(async (id) => (await new SimulatorControl((lab.apps[id] as { controlUrl: string }).controlUrl).snapshot()).state as { downloadClients?: unknown[]; applications?: unknown[] }));
    expect(sims.map((st) => (st.downloadClients ?? st.applications ?? []).length)).toEqual([0, 0, 0]);
    // The API server is back (same etcd, same tokens): the same press fixes every link.
    ls.clearSecrets();
    const again = await applyIntegrations({}, { source: ls.source });
    expect(again.failed).toBe(0);
    expect(again.changed).toBeGreaterThanOrEqual(14);
    const { links } = await readLinks({ source: ls.source });
    expect(links.filter((l) => l.kind !== "gitops" && l.state !== "ok").map((l) => `${l.id}: ${l.message}`)).toEqual([]);
  }, 180_000);
});
