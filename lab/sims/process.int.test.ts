/**
 * `startSimulators` as `lab up` calls it: one detached Node process (pidfile and log in the lab
 * directory), the address map keyed like the user's Services, keys from the Secret (generated
 * and reported when missing), idempotent reuse of a live process, stop by PID.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatorControl } from "./control";
import { startSimulators, stopSimulators, type SimulatorsResult } from "./index";
import { call } from "./test-support";

let labDir: string;
let first: SimulatorsResult;
let firstMs: number;
const logs: string[] = [];
const secrets = { "media/starr-secrets": { SONARR_API_KEY: "0123456789abcdef0123456789abcdef", RADARR_API_KEY: "", PROWLARR_API_KEY: "fedcba9876543210fedcba9876543210" } };

beforeAll(async () => {
  labDir = mkdtempSync(join(tmpdir(), "sims-lab-"));
  const t0 = Date.now();
  first = await startSimulators({ labDir, kubeconfig: "", secrets, log: (m) => logs.push(m) });
  firstMs = Date.now() - t0;
}, 120_000);

afterAll(async () => {
  if (labDir !== undefined) {
    await stopSimulators(labDir);
    rmSync(labDir, { recursive: true, force: true });
  }
});

function pid(): number {
  return Number(readFileSync(join(labDir, "pids", "simulators.pid"), "utf8").trim());
}

describe("startSimulators", () => {
  it("runs every simulator in one process with a pidfile and a log in the lab directory", () => {
    expect(() => process.kill(pid(), 0)).not.toThrow();
    expect(existsSync(join(labDir, "logs", "simulators.log"))).toBe(true);
    const ports = new Set(Object.values(first.apps).map((a) => new URL(a.url).port));
    expect(ports.size).toBe(Object.keys(first.apps).length);
    expect(firstMs).toBeLessThan(60_000);
  });

  it("keys the address map like the user's Services, with the Gluetun control ports", () => {
    expect(Object.keys(first.addressMap)).toEqual(
      expect.arrayContaining([
        "sonarr.media",
        "radarr.media",
        "lidarr.media",
        "prowlarr.media",
        "bazarr.media",
        "sabnzbd.media",
        "jellyfin.media",
        "jellyseerr.media",
        "flaresolverr.media",
        "seerr.media",
        "qbittorrent.qbittorrent:8000",
        "sabnzbd.media:8000",
      ]),
    );
    for (const url of Object.values(first.addressMap)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.addressMap["sonarr.media"]).toBe(first.apps.sonarr?.url);
  });

  it("takes keys from media/starr-secrets and generates (and reports) the ones it lacks", () => {
    expect(first.apps.sonarr).toMatchObject({ apiKey: secrets["media/starr-secrets"].SONARR_API_KEY, apiKeySource: "secret", apiKeySecretKey: "SONARR_API_KEY", urlBase: "/sonarr" });
    expect(first.apps.radarr?.apiKeySource).toBe("generated");
    expect(first.apps.radarr?.apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(first.apps.flaresolverr?.apiKey).toBeUndefined();
    expect(logs.some((l) => /radarr .*key generated, not in media\/starr-secrets/.test(l))).toBe(true);
  });

  it("serves the apps under the URL bases of the manifests, with the keys it reported", async () => {
    const s = first.apps.sonarr;
    const ok = await call(`${s?.url}${s?.urlBase}/api/v3/system/status`, { headers: { "x-api-key": s?.apiKey ?? "" } });
    expect(ok.status).toBe(200);
    expect((ok.json as { urlBase: string }).urlBase).toBe("/sonarr");
    const r = first.apps.radarr;
    expect((await call(`${r?.url}${r?.urlBase}/api/v3/system/status?apikey=${r?.apiKey}`)).status).toBe(200);
    const jf = first.apps.jellyfin;
    expect(jf?.urlBase).toBe("");
    expect((await call(`${jf?.url}/System/Info/Public`)).status).toBe(200);
  });

  it("is controlled through apps.<id>.controlUrl and exposes metricsUrl", async () => {
    const snap = await new SimulatorControl(first.apps.lidarr?.controlUrl ?? "").snapshot();
    expect(snap).toMatchObject({ id: "lidarr", kind: "lidarr", urlBase: "/lidarr", up: true });
    const metrics = await (await fetch(first.apps.lidarr?.metricsUrl ?? "")).text();
    expect(metrics).toMatch(/lab_simulator_up\{app="lidarr",kind="lidarr"\} 1/);
  });

  it("reuses the live process on a second call (same pid, same answer, generated keys kept)", async () => {
    const before = pid();
    const t0 = Date.now();
    const again = await startSimulators({ labDir, kubeconfig: "", secrets, log: (m) => logs.push(m) });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(pid()).toBe(before);
    expect(again).toEqual(first);
  });

  it("restarts with new keys when the Secret changes, keeping the ports", async () => {
    const before = pid();
    const changed = { "media/starr-secrets": { ...secrets["media/starr-secrets"], RADARR_API_KEY: "aaaabbbbccccddddaaaabbbbccccdddd" } };
    const next = await startSimulators({ labDir, kubeconfig: "", secrets: changed, log: (m) => logs.push(m) });
    expect(pid()).not.toBe(before);
    expect(() => process.kill(before, 0)).toThrow();
    expect(next.apps.radarr?.apiKey).toBe("aaaabbbbccccddddaaaabbbbccccdddd");
    expect(next.apps.radarr?.url).toBe(first.apps.radarr?.url);
  });

  it("stops by PID", async () => {
    const running = pid();
    await stopSimulators(labDir);
    expect(() => process.kill(running, 0)).toThrow();
    expect(existsSync(join(labDir, "pids", "simulators.pid"))).toBe(false);
  });
});
