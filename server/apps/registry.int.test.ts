import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labIntegrationSettings, type LabIntegrationJson } from "@/e2e/support/lab-integrations";
import { SimulatorControl } from "@/lab/sims/control";
import { APP_CATALOGUE, type AppEndpoint, type AppKind } from "@/lib/apps/catalogue";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { parsePanelConfig } from "@/lib/config-schema";
import type { AppHealth, DiscoveredService } from "@/lib/services";
import { verdictOf } from "@/lib/verdict";
import { createDiscovery, type Discovery } from "@/server/k8s/discovery";
import { createInformerSet, type InformerSet } from "@/server/k8s/informers";
import { SecretReader } from "@/server/k8s/secrets";
import { createWorkloadEnvReader } from "@/server/k8s/workloads";
import type { AppTarget } from "./define";
import { APP_IDS, APP_MODULES, hasAppModule, type AppId } from "./registry";
import { resolveApp, type ResolveDeps } from "./resolve";
import { UrlBaseVerifier } from "./url-base";

/**
 * Contract test of every app module against the lab: the spec-validated simulators and the real
 * qBittorrent. Each module's health is read through the whole chain (discovery of the seeded cluster,
 * address map, API key from the cluster's Secret), then each simulator's faults are switched on one at a
 * time and must give the matching AppHealth. Faults are always cleared again; the simulators' state
 * (download clients and so on) is never reset, since other suites share the lab.
 */

const lab = useLabCluster({ reset: false });

interface SimInfo {
  kind: string;
  url: string;
  urlBase: string;
  controlUrl: string;
  apiKey?: string;
  workload?: string;
}

interface QbitInfo {
  url: string;
  username: string;
  password: string;
  version: string;
}

function sims(): Array<[string, SimInfo]> {
  return Object.entries(lab().apps as Record<string, unknown>).filter(
    (e): e is [string, SimInfo] => typeof (e[1] as SimInfo | null)?.controlUrl === "string" && typeof (e[1] as SimInfo).kind === "string",
  );
}

function qbit(): QbitInfo {
  return (lab().apps as Record<string, unknown>).qbittorrent as QbitInfo;
}

function targetOf(sim: SimInfo, timeoutMs = 5000): AppTarget {
  return { baseUrl: `${sim.url}${sim.urlBase}`, timeoutMs, ...(sim.apiKey ? { apiKey: sim.apiKey } : {}) };
}

/** Whether the panel reads the app's version: from its own module, or from the catalogue's identity answer. */
function tellsVersion(kind: AppKind): boolean {
  if (hasAppModule(kind)) return true;
  const answer = (APP_CATALOGUE as Partial<Record<AppKind, { identity: AppEndpoint | null }>>)[kind]?.identity?.answer;
  if (answer === undefined || answer.type === "any") return false;
  return answer.type === "json" ? answer.version !== null : answer.version;
}

function isAppId(kind: string): kind is AppId {
  return (APP_IDS as readonly string[]).includes(kind);
}

async function health(kind: AppId, target: AppTarget): Promise<AppHealth> {
  return APP_MODULES[kind].connect(target).health();
}

describe("every app module against the lab", () => {
  let informers: InformerSet;
  let discovery: Discovery;
  let services: DiscoveredService[] = [];
  let deps: ResolveDeps;

  beforeAll(async () => {
    informers = createInformerSet({ kc: lab().kc, namespaces: lab().namespaces, debounceMs: 100 }).start();
    discovery = createDiscovery(informers, { syncTimeoutMs: 30_000 });
    services = await discovery.listServices();
    // The panel's configuration for the lab: its address map, and the credentials the cluster's
    // Secret does not hold (qBittorrent's login), as the e2e panel gets them.
    const settings = labIntegrationSettings(lab() as unknown as LabIntegrationJson);
    const parsed = parsePanelConfig({ addressMap: settings.config.addressMap, apps: settings.config.apps });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const secrets = new SecretReader(lab().kc);
    deps = {
      config: parsed.config,
      readSecretValue: (ns, name, key) => secrets.readSecretValue(ns, name, key),
      readWorkloadEnv: createWorkloadEnvReader(lab().kc, { timeoutMs: 5000 }),
      env: settings.env,
      timeoutMs: 5000,
      // As the panel's prober does: the URL base candidates are tried against the app.
      urlBases: new UrlBaseVerifier(),
    };
  });

  afterAll(async () => {
    discovery?.close();
    informers?.stop();
    // Leave no fault behind, whatever failed.
    await Promise.all(sims().map(([, s]) => new SimulatorControl(s.controlUrl).clearFaults().catch(() => undefined)));
    await new SimulatorControl(sims().find(([id]) => id === "radarr")?.[1].controlUrl ?? "").clearHealth().catch(() => undefined);
  });

  it("the lab has an instance of every module (a simulator, or the real program)", () => {
    const kinds = new Set([...sims().map(([, s]) => s.kind), ...(qbit() ? ["qbittorrent"] : [])]);
    expect(APP_IDS.filter((id) => !kinds.has(id))).toEqual([]);
  });

  it("resolves each discovered app from the cluster (address map, URL base, credential) and reads its health and its credential check", async () => {
    // An app an earlier test restarted or crashed (the lab's controls) may still be starting: wait until
    // none refuses connections, at most a minute, before reading them all.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const starting: string[] = [];
      for (const service of services) {
        const r = await resolveApp(service, deps);
        if (r && (await r.module.connect(r.target).health()).errorCode === "unreachable") starting.push(service.id);
      }
      if (starting.length === 0) break;
    }
    const covered = new Set<string>();
    const problems: string[] = [];
    for (const service of services) {
      const resolution = await resolveApp(service, deps);
      if (!resolution) continue;
      const instance = resolution.module.connect(resolution.target);
      const h = await instance.health();
      covered.add(service.appKind);
      const line = `${service.id} (${service.appKind}) at ${resolution.target.baseUrl}: ${h.status} ${h.version ?? "-"} ${h.detail ?? ""}`;
      console.log(`[contract] ${line}${resolution.credentialSource ? ` [key: ${resolution.credentialSource}]` : ""}`);
      if (resolution.credentialProblem) problems.push(`${line} [credential: ${resolution.credentialProblem}]`);
      // A version is required wherever the app tells it: a module of its own, or a catalogue identity
      // endpoint whose answer carries one (Homepage's health check answers a bare "up").
      if (!(h.status === "up" || h.status === "degraded") || (!h.version && tellsVersion(service.appKind)) || h.errorCode) problems.push(line);
      // Degraded only because the app itself says so, never because the panel failed to read it.
      if (h.status === "degraded") expect(h.checks.filter((c) => c.status !== "up").every((c) => c.origin !== "probe")).toBe(true);
      // The credential it found is the one the app takes.
      if (instance.checkCredentials) await instance.checkCredentials().catch((error: Error) => problems.push(`${line} [credential refused: ${error.message}]`));
    }
    expect(problems).toEqual([]);
    // Every app kind with a module that the lab runs from the user's manifests was reached this way.
    const seeded = new Set(services.map((s) => s.appKind));
    expect(APP_IDS.filter((id) => seeded.has(id) && !covered.has(id))).toEqual([]);
    expect(covered.size).toBeGreaterThan(0);
  });

  it("real qBittorrent: logs in and reports its version and connection", async () => {
    const q = qbit();
    const h = await health("qbittorrent", { baseUrl: q.url, username: q.username, password: q.password, timeoutMs: 5000 });
    expect(h.status).toBe("up");
    expect(h.version).toBe(q.version);
    expect(h.checks.map((c) => c.name)).toEqual(["connection"]);
  });

  it("every simulator: up with its version, then down, 503, 500, malformed JSON, slow and hung each give the right health", async () => {
    const thresholds = { slowMs: 1000, restartsPerHourDegraded: 3 };
    const kube = services[0]?.kube ?? { desired: 1, ready: 1, available: 1, updated: 1, pods: [], warnings: [], conditions: [] };
    const seen: string[] = [];
    for (const [id, sim] of sims()) {
      if (!isAppId(sim.kind)) continue;
      const kind = sim.kind;
      const control = new SimulatorControl(sim.controlUrl);
      const name = APP_MODULES[kind].displayName;
      try {
        await control.clearFaults();
        const snap = await control.snapshot();
        const ok = await health(kind, targetOf(sim));
        expect([id, ok.status === "up" || ok.status === "degraded", ok.version, ok.errorCode]).toEqual([id, true, snap.version, undefined]);

        await control.down("refused");
        expect([id, await health(kind, targetOf(sim))]).toMatchObject([id, { status: "down", errorCode: "unreachable", detail: `${name} is unreachable: connection refused (ECONNREFUSED)` }]);
        await control.up();

        await control.down("503");
        expect([id, await health(kind, targetOf(sim))]).toMatchObject([id, { status: "down", errorCode: "unreachable" }]);
        await control.up();

        await control.error500(true);
        const e500 = await health(kind, targetOf(sim));
        expect([id, e500.status, e500.errorCode]).toEqual([id, "down", "invalid_response"]);
        expect(e500.detail).toMatch(new RegExp(`^${name} answered HTTP 500 for GET `));
        await control.error500(false);

        await control.malformedJson(true);
        expect([id, await health(kind, targetOf(sim))]).toMatchObject([id, { status: "down", errorCode: "invalid_response", detail: expect.stringMatching(/malformed JSON/) }]);
        await control.malformedJson(false);

        await control.slow(1200);
        const slow = await health(kind, targetOf(sim));
        expect([id, slow.status === "up" || slow.status === "degraded"]).toEqual([id, true]);
        expect(slow.latencyMs).toBeGreaterThanOrEqual(1150);
        expect(verdictOf(kube, slow, thresholds, { appName: name }).reasons.map((r) => r.message)).toContain(`slow: ${(slow.latencyMs! / 1000).toFixed(1)} s`);

        const t0 = Date.now();
        const hung = await health(kind, targetOf(sim, 400));
        expect([id, hung.status, hung.errorCode]).toEqual([id, "down", "timeout"]);
        expect(Date.now() - t0).toBeLessThan(1200);
        seen.push(id);
      } finally {
        await control.clearFaults();
      }
    }
    console.log(`[contract] faults checked on ${seen.length} simulators: ${seen.join(", ")}`);
    // Every simulator of an app with a module went through every fault.
    expect(seen.sort()).toEqual(sims().filter(([, s]) => isAppId(s.kind)).map(([id]) => id).sort());
  });

  it("a Radarr health error pushed through the control endpoint makes Radarr degraded with its message and wiki link", async () => {
    const radarr = sims().find(([id]) => id === "radarr")?.[1];
    expect(radarr).toBeDefined();
    const control = new SimulatorControl(radarr!.controlUrl);
    try {
      await control.pushHealth("error", "Indexers unavailable due to failures", { source: "IndexerStatusCheck" });
      const h = await health("radarr", targetOf(radarr!));
      expect(h.status).toBe("degraded");
      // Radarr may report other problems an earlier file left it (a download client it cannot reach):
      // the pushed one is among them, with its wiki link, and named in the verdict.
      const pushed = h.checks.find((c) => c.name === "IndexerStatusCheck");
      expect(pushed, JSON.stringify(h.checks)).toMatchObject({ status: "down", message: "Indexers unavailable due to failures" });
      expect(pushed?.url).toMatch(/^https:\/\/wiki\.servarr\.com\/radarr\/system#indexers-unavailable-due-to-failures/);
      const v = verdictOf({ desired: 1, ready: 1, available: 1, updated: 1, pods: [], warnings: [], conditions: [] }, h, undefined, { appName: "Radarr" });
      expect(v.status).toBe("degraded");
      if (h.checks.length === 1) expect(v.reasons[0]?.message).toBe("Radarr reports: Indexers unavailable due to failures");
      else expect(v.reasons.map((r) => r.message).join(" ")).toMatch(/Radarr reports: /);
    } finally {
      await control.clearHealth();
    }
  });

  it("a health message pushed to Sonarr, Bazarr and SABnzbd is reported verbatim", async () => {
    for (const id of ["sonarr", "bazarr", "sabnzbd"] as const) {
      const sim = sims().find(([i]) => i === id)?.[1];
      expect(sim, id).toBeDefined();
      const control = new SimulatorControl(sim!.controlUrl);
      try {
        await control.pushHealth("warning", `Lab warning for ${id}`);
        const h = await health(id, targetOf(sim!));
        expect([id, h.status]).toEqual([id, "degraded"]);
        expect(h.checks.map((c) => c.message)).toContain(`Lab warning for ${id}`);
      } finally {
        await control.clearHealth();
      }
    }
  });
});
