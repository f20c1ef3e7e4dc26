/**
 * The integrations against the lab: a real kube-apiserver seeded with the user's manifests, the real
 * qBittorrent, and spec-validated simulators whose `test` endpoints do real work (Sonarr's
 * download-client test logs in to the real qBittorrent). Simulator state is reset before each test.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resetAll, SimulatorControl } from "@/lab/sims/control";
import { getLab, type LabHandle } from "@/lab/cluster/test-cluster";
import type { LinkReading } from "@/lib/integrations/types";
import { APP_MODULES, type AppId } from "@/server/apps/registry";
import { getRegistry } from "@/server/observability/metrics";
import { applyIntegrations, clearTestFailures, planIntegrations, readLinks } from "./engine";
import { discoverEnds } from "./ends";
import { readKeyStatuses } from "./keys";
import { createLabSource, type LabSource } from "@/scripts/lab-source";
import { checkVpn } from "./vpn";

interface LabApp {
  controlUrl: string;
  url: string;
  urlBase: string;
  apiKey: string;
}
interface LabQbit {
  url: string;
  username: string;
  password: string;
}

let lab: LabHandle;
let ls: LabSource;
const app = (id: string) => lab.apps[id] as LabApp;
const qbit = () => lab.apps.qbittorrent as LabQbit;
const control = (id: string) => new SimulatorControl(app(id).controlUrl);

beforeAll(async () => {
  lab = getLab();
  ls = await createLabSource(lab);
}, 120_000);

afterAll(async () => {
  ls?.close();
  // Leave the simulators as seeded for the suites that run after this one.
  if (lab) await resetAll(app("sonarr").controlUrl);
});

beforeEach(async () => {
  await resetAll(app("sonarr").controlUrl);
  clearTestFailures();
  ls.env.LAB_QBITTORRENT_PASSWORD = qbit().password;
});

const nonGit = (links: LinkReading[]) => links.filter((l) => l.kind !== "gitops");
const byId = (links: LinkReading[], id: string) => {
  const found = links.find((l) => l.id === id);
  if (!found) throw new Error(`no link ${id} in ${links.map((l) => l.id).join(", ")}`);
  return found;
};

async function qbSession(password: string): Promise<string> {
  const res = await fetch(`${qbit().url}/api/v2/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: qbit().username, password }),
  });
  const text = await res.text();
  if (text.trim() !== "Ok.") throw new Error(`qBittorrent refused the login: ${text}`);
  return res.headers.getSetCookie().find((c) => c.startsWith("SID="))?.split(";")[0] ?? "";
}

/** Changes the real qBittorrent's WebUI password through its own API (`app/setPreferences`). */
async function setQbPassword(current: string, next: string): Promise<void> {
  const sid = await qbSession(current);
  const res = await fetch(`${qbit().url}/api/v2/app/setPreferences`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: sid },
    body: new URLSearchParams({ json: JSON.stringify({ web_ui_password: next }) }),
  });
  expect(res.status).toBe(200);
  await qbSession(next);
}

async function arr(id: string, path: string, init: RequestInit = {}): Promise<Response> {
  const a = app(id);
  return fetch(`${a.url}${a.urlBase}${path}`, { ...init, headers: { "x-api-key": a.apiKey, "content-type": "application/json", ...(init.headers ?? {}) } });
}

describe("integrations against the lab", () => {
  it("fresh lab: every link is missing, keys are present and accepted, none is shown", async () => {
    const { links, notices } = await readLinks({ source: ls.source });
    expect(notices).toEqual([]);
    const ids = links.map((l) => l.id);
    for (const id of ["sonarr->qbittorrent", "radarr->qbittorrent", "lidarr->qbittorrent", "sonarr->sabnzbd", "sonarr->rootfolder", "prowlarr->sonarr", "prowlarr->radarr", "prowlarr->lidarr", "prowlarr->flaresolverr", "bazarr->sonarr", "bazarr->radarr", "jellyseerr->jellyfin", "jellyseerr->sonarr", "jellyseerr->radarr"]) {
      expect(ids).toContain(id);
    }
    // Seerr is not in the user's manifests: its links are not listed.
    expect(ids.some((id) => id.startsWith("seerr->"))).toBe(false);
    expect(nonGit(links).map((l) => [l.id, l.state])).toEqual(nonGit(links).map((l) => [l.id, "missing"]));
    expect(links.filter((l) => l.kind === "gitops").map((l) => l.state)).toEqual(["needs_git", "needs_git"]);
    // They name the change through Git that wires them, which "make everything ready" proposes.
    expect(links.filter((l) => l.kind === "gitops").map((l) => l.gitChange)).toEqual([{ kind: "unpackerr-wiring" }, { kind: "unpackerr-wiring" }]);
    const plan = await planIntegrations(undefined, { source: ls.source });
    expect(plan.plan.steps).toHaveLength(nonGit(links).length);
    expect(byId(plan.links, "jellyseerr->sonarr").options?.map((o) => o.name)).toEqual(["qualityProfile", "rootFolder"]);

    const keys = await readKeyStatuses(await discoverEnds(ls.source));
    const sonarrKey = keys.find((k) => k.app === "sonarr");
    expect(sonarrKey).toMatchObject({ present: true, verdict: "accepted", hint: `present, ends in …${app("sonarr").apiKey.slice(-4)}` });
    expect(keys.find((k) => k.app === "qbittorrent")).toMatchObject({ credential: "login", verdict: "accepted" });
    expect(keys.find((k) => k.app === "jellyfin")).toMatchObject({ verdict: "accepted" });
    const text = JSON.stringify({ links, keys, plan });
    for (const secret of ls.settings.secretValues) expect(text).not.toContain(secret);
  });

  it("fix everything: every link ok as the apps' own tests say; again: nothing to change", async () => {
    const first = await applyIntegrations({}, { source: ls.source });
    expect(first.failed).toBe(0);
    expect(first.results.filter((r) => r.outcome === "failed")).toEqual([]);
    expect(first.changed).toBeGreaterThanOrEqual(14);
    for (const r of first.results) expect([r.key, r.after?.state]).toEqual([r.key, "ok"]);
    const { links } = await readLinks({ source: ls.source });
    expect(nonGit(links).filter((l) => l.state !== "ok").map((l) => `${l.id}: ${l.message}`)).toEqual([]);
    // Verified by the apps: Sonarr's test logged in to the real qBittorrent.
    expect(byId(links, "sonarr->qbittorrent").facts?.[0]).toContain("tested by Sonarr: OK");

    const second = await applyIntegrations({}, { source: ls.source });
    expect(second.changed).toBe(0);
    expect(second.failed).toBe(0);
    expect(second.results.every((r) => r.outcome === "unchanged")).toBe(true);
    expect((await planIntegrations(undefined, { source: ls.source })).plan.steps).toEqual([]);

    const sims = await Promise.all(["sonarr", "prowlarr", "jellyseerr"].map((id) => control(id).violations()));
    expect(sims.flat()).toEqual([]);
  });

  it("the preview's choices are used: Jellyseerr gets the quality profile picked, after Sonarr's root folder exists", async () => {
    const { links, plan } = await planIntegrations(undefined, { source: ls.source });
    const seerr = byId(links, "jellyseerr->sonarr");
    const profile = seerr.options?.find((o) => o.name === "qualityProfile");
    expect(profile?.value).toBe("1");
    const hd = profile?.choices.find((c) => c.label === "HD-1080p");
    expect(hd).toBeDefined();
    expect(seerr.options?.find((o) => o.name === "rootFolder")?.choices.map((c) => c.value)).toEqual(["/data/media/tv"]);
    expect(plan.steps.find((s) => s.key === seerr.key)?.options).toHaveLength(2);
    const keys = [byId(links, "sonarr->rootfolder").key, seerr.key];
    const report = await applyIntegrations({ keys, choices: { [seerr.key]: { qualityProfile: hd?.value ?? "" } } }, { source: ls.source });
    expect(report.results.map((r) => [r.id, r.outcome])).toEqual([
      ["sonarr->rootfolder", "created"],
      ["jellyseerr->sonarr", "created"],
    ]);
    const a = app("jellyseerr");
    const servers = (await (await fetch(`${a.url}/api/v1/settings/sonarr`, { headers: { "x-api-key": a.apiKey } })).json()) as Array<{ activeProfileName: string; activeDirectory: string; hostname: string; baseUrl: string }>;
    expect(servers).toEqual([expect.objectContaining({ activeProfileName: "HD-1080p", activeDirectory: "/data/media/tv", hostname: "sonarr.media.svc.cluster.local", baseUrl: "/sonarr" })]);
  });

  it("a password changed in qBittorrent breaks Sonarr's link with Sonarr's message; the corrected config fixes it", async () => {
    await applyIntegrations({}, { source: ls.source });
    const old = qbit().password;
    const next = `${old}-changed`;
    await setQbPassword(old, next);
    try {
      // What a restart of Sonarr does: its cached qBittorrent session is gone.
      await control("sonarr").set({ clearCookies: true });
      const broken = byId((await readLinks({ source: ls.source })).links, "sonarr->qbittorrent");
      expect(broken.state).toBe("broken");
      expect(broken.message).toContain("Authentication Failure");
      expect(broken.appMessages?.join(" ")).toContain("Please verify your credentials");
      // The panel's own login with the configured (old) password is refused too: it will not push it.
      expect(broken.blocked).toContain("qBittorrent refused the user name or password");
      const skipped = await applyIntegrations({ keys: [broken.key] }, { source: ls.source });
      expect(skipped.results[0]?.outcome).toBe("skipped");

      ls.env.LAB_QBITTORRENT_PASSWORD = next;
      const fixed = await applyIntegrations({ keys: [broken.key] }, { source: ls.source });
      expect(fixed.results[0]).toMatchObject({ outcome: "updated", changed: ["Password"] });
      expect(fixed.results[0]?.after?.state).toBe("ok");
      expect(JSON.stringify(fixed)).not.toContain(next);
    } finally {
      await setQbPassword(next, old);
      ls.env.LAB_QBITTORRENT_PASSWORD = old;
    }
  });

  it("a wrong port put in Radarr's download client is misconfigured with the diff; fix: ok", async () => {
    await applyIntegrations({}, { source: ls.source });
    const list = (await (await arr("radarr", "/api/v3/downloadclient")).json()) as Array<{ id: number; implementation: string; enable: boolean; fields: Array<{ name: string; value?: unknown }> }>;
    const client = list.find((c) => c.implementation === "QBittorrent");
    if (!client) throw new Error("no qBittorrent client in Radarr");
    // Radarr tests an enabled client before saving it, so a wrong port is only saved disabled.
    const wrong = { ...client, enable: false, fields: client.fields.map((f) => (f.name === "port" ? { ...f, value: 9091 } : f)) };
    const put = await arr("radarr", `/api/v3/downloadclient/${client.id}`, { method: "PUT", body: JSON.stringify(wrong) });
    expect(put.status).toBe(202);

    const link = byId((await readLinks({ source: ls.source })).links, "radarr->qbittorrent");
    expect(link.state).toBe("misconfigured");
    expect(link.diff).toEqual([
      { field: "port", label: "Port", current: "9091", desired: "8080" },
      { field: "enable", label: "Enabled", current: "false", desired: "true" },
    ]);
    const fixed = await applyIntegrations({ keys: [link.key] }, { source: ls.source });
    expect(fixed.results[0]).toMatchObject({ outcome: "updated", changed: ["Port", "Enabled"] });
    expect(fixed.results[0]?.after?.state).toBe("ok");
  });

  it("two applies at once create nothing twice", async () => {
    const [a, b] = await Promise.all([applyIntegrations({}, { source: ls.source }), applyIntegrations({}, { source: ls.source })]);
    expect(a.failed + b.failed).toBe(0);
    // Each link was written by exactly one of the two; the other found it done under the app's lock.
    const fixable = a.results.filter((r) => !r.id.startsWith("unpackerr->")).length;
    expect(a.changed + b.changed).toBe(fixable);
    expect(a.unchanged + b.unchanged).toBe(fixable);
    // Every app with a library has one root folder and one download client per download-client app;
    // Prowlarr has one application per app it syncs to, and the indexer proxy.
    const { links } = await readLinks({ source: ls.source });
    const ofKind = (kind: string) => links.filter((l) => l.kind === kind);
    const implementations = [...new Set(ofKind("download-client").map((l) => APP_MODULES[l.to as AppId].downloadClient?.implementation))].sort();
    expect(implementations).toEqual(["QBittorrent", "Sabnzbd"]);
    const libraries = [...new Set(ofKind("root-folder").map((l) => l.from))];
    expect(libraries.length).toBeGreaterThanOrEqual(3);
    for (const id of libraries) {
      const snap = await control(id).snapshot();
      const state = snap.state as { downloadClients: Array<{ implementation: string }>; rootFolders: string[] };
      expect([id, state.downloadClients.map((c) => c.implementation).sort()]).toEqual([id, implementations]);
      expect([id, state.rootFolders.length]).toEqual([id, 1]);
    }
    const prowlarr = (await control("prowlarr").snapshot()).state as { applications: unknown[]; indexerProxies: unknown[] };
    expect(prowlarr.applications).toHaveLength(ofKind("indexer-sync").length);
    expect(prowlarr.indexerProxies).toHaveLength(1);
    const seerr = (await control("jellyseerr").snapshot()).state as { sonarr: unknown[]; radarr: unknown[] };
    expect([seerr.sonarr.length, seerr.radarr.length]).toEqual([1, 1]);
  });

  it("an app that is down is a clear per-link state; Prowlarr that cannot reach Radarr says so", async () => {
    await applyIntegrations({}, { source: ls.source });
    await control("radarr").down();
    try {
      const { links } = await readLinks({ source: ls.source });
      const own = byId(links, "radarr->qbittorrent");
      expect(own.state).toBe("unknown");
      expect(own.message).toContain("Radarr is unreachable");
      const prowlarr = byId(links, "prowlarr->radarr");
      expect(prowlarr.state).toBe("broken");
      expect(prowlarr.message).toContain("cannot connect to Radarr");
      expect(byId(links, "sonarr->qbittorrent").state).toBe("ok");
      const report = await applyIntegrations({ keys: [own.key] }, { source: ls.source });
      expect(report.results[0]).toMatchObject({ outcome: "skipped" });
    } finally {
      await control("radarr").up();
    }
  });

  it("the app's own validation messages are shown when it refuses a change; nothing else is touched", async () => {
    const other = await createLabSource(lab, { integrations: { rootFolders: { sonarr: "/data/media/nope" } } });
    other.env.LAB_QBITTORRENT_PASSWORD = qbit().password;
    try {
      const key = byId((await readLinks({ source: other.source })).links, "sonarr->rootfolder").key;
      const report = await applyIntegrations({ keys: [key] }, { source: other.source });
      expect(report.results).toHaveLength(1);
      expect(report.results[0]).toMatchObject({ outcome: "failed", changed: [] });
      expect(report.results[0]?.appMessages).toEqual(["Path '/data/media/nope' does not exist"]);
      expect(report.results[0]?.after?.state).toBe("missing");
      expect(byId((await readLinks({ source: other.source })).links, "radarr->rootfolder").state).toBe("missing");
    } finally {
      other.close();
    }
  });

  it("a timeout in the middle of an apply is that link's failure, and the re-read says what is there", async () => {
    // A timeout the other links' requests meet even on a busy machine; Prowlarr's hang is well past it.
    const quick = await createLabSource(lab, { integrations: { requestTimeoutMs: 3000 } });
    quick.env.LAB_QBITTORRENT_PASSWORD = qbit().password;
    // Prowlarr hangs on the template it is asked for after the read, before anything is written.
    await control("prowlarr").slow(6000, "re:/applications/schema$");
    try {
      const report = await applyIntegrations({}, { source: quick.source });
      const sonarrApp = report.results.find((r) => r.id === "prowlarr->sonarr");
      expect(sonarrApp?.outcome).toBe("failed");
      expect(sonarrApp?.message).toContain("Prowlarr did not answer GET /api/v1/applications/schema within 3000 ms");
      expect(sonarrApp?.after?.state).toBe("missing");
      expect(report.results.find((r) => r.id === "sonarr->qbittorrent")?.outcome).toBe("created");
      expect(report.results.find((r) => r.id === "bazarr->sonarr")?.outcome).toBe("created");
    } finally {
      await control("prowlarr").clearFaults();
      quick.close();
    }
  });

  it("Gluetun set to leak: the VPN check says LEAK and the metric says so", async () => {
    const before = await checkVpn({ source: ls.source });
    expect(before.map((v) => [v.service, v.status])).toEqual([
      ["media/sabnzbd", "protected"],
      ["qbittorrent/qbittorrent", "protected"],
    ]);
    await control("gluetun-qbittorrent").set({ leak: true });
    const after = await checkVpn({ source: ls.source });
    const qb = after.find((v) => v.service === "qbittorrent/qbittorrent");
    expect(qb).toMatchObject({ status: "leak", publicIp: "203.0.113.45" });
    expect(qb?.message).toContain("LEAK: traffic exits from the home IP 203.0.113.45");
    const metrics = await getRegistry().getSingleMetricAsString("panel_vpn_protected");
    expect(metrics).toContain('panel_vpn_protected{service="qbittorrent/qbittorrent"} 0');
    expect(metrics).toContain('panel_vpn_protected{service="media/sabnzbd"} 1');
  });
});

afterEach(async () => {
  await control("gluetun-qbittorrent").set({ leak: false });
});
