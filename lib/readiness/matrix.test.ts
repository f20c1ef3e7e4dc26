import { describe, expect, it } from "vitest";
import type { ServiceProtection } from "../backups/types";
import type { CertificatesView } from "../certs/view";
import type { DiscoveredService } from "../services";
import { REQUIREMENT_IDS, failingByRequirement, readinessMatrix, scoreOf, type ReadinessInput, type RequirementId } from "./matrix";

const NOW = Date.UTC(2026, 11, 7, 12);
const DAY = 86_400_000;

function service(id: string, over: Partial<DiscoveredService> = {}): DiscoveredService {
  const [namespace, name] = id.split("/") as [string, string];
  return {
    id,
    namespace,
    name,
    workloadKind: "Deployment",
    appKind: "sonarr",
    kindSource: "image",
    displayName: name,
    images: [`lscr.io/linuxserver/${name}:latest`],
    urlBase: "",
    ingressUrls: [`https://home.example.com/${name}`],
    pvcs: [{ name: `${name}-config`, phase: "Bound" }],
    argocdApp: { namespace: "argocd", name: "media" },
    argoState: { namespace: "argocd", name: "media", project: "default", repoURL: "https://git.example.com/nas.git", path: "media", targetRevision: "main", syncStatus: "Synced", health: "Healthy", operating: false, conditions: [], problems: [], resourceCount: 4, automated: true },
    containerSpecs: [{ name, main: true, readinessProbe: true, livenessProbe: true, requests: ["cpu", "memory"], limits: ["memory"] }],
    kube: { desired: 1, ready: 1, available: 1, updated: 1, pods: [], warnings: [], conditions: [] },
    ...over,
  };
}

function protection(id: string, over: Partial<ServiceProtection> = {}): ServiceProtection {
  const [namespace, name] = id.split("/") as [string, string];
  return {
    serviceId: id,
    namespace,
    name,
    displayName: name,
    state: "fresh",
    summary: "daily volume backup, last good 3 h ago",
    methods: [],
    lastGood: { id: 7, at: NOW - 3 * 3_600_000, source: "volume", verification: "verified" },
    enable: { offered: false, reason: "it has a backup CronJob" },
    ...over,
  };
}

const certRow = (services: string[], daysLeft: number, signals: CertificatesView["certificates"][number]["signals"] = []) =>
  ({
    cert: { namespace: "argocd", name: "home-tls" },
    state: signals[0]?.state ?? "ok",
    phase: "Ready",
    daysLeft,
    signals,
    usedBy: [],
    services: services.map((id) => ({ id, displayName: id })),
    copiedBy: [],
  }) as unknown as CertificatesView["certificates"][number];

const httpsRow = (services: string[], redirect: "yes" | "no" | "unknown", signals: CertificatesView["httpsOnly"][number]["signals"] = []) =>
  ({ ingress: "media/ing", namespace: "media", name: "ing", host: "home.example.com", path: "/", tls: true, redirect, state: signals[0]?.state ?? "ok", signals, fixable: true, services: services.map((id) => ({ id, displayName: id })) }) as unknown as CertificatesView["httpsOnly"][number];

/** A stack where everything passes, for one service. */
function readyInput(over: Partial<ReadinessInput> = {}): ReadinessInput {
  const s = service("media/sonarr");
  return {
    now: NOW,
    services: [{ service: s, status: "up" }],
    certificates: { certificates: [certRow([s.id], 80)], hosts: [], httpsOnly: [httpsRow([s.id], "yes")] },
    backups: { services: [protection(s.id)], records: [{ id: 7, verification: "verified", verifiedAt: NOW - 2 * DAY }] },
    integrations: { links: [{ fromService: s.id, toService: "qbittorrent/qbittorrent", fromName: "Sonarr", toName: "qBittorrent", title: "download client", state: "ok" }], vpn: [] },
    alerts: { prometheusConfigured: true, prometheusError: null, panelRules: { loaded: true, count: 12, file: "panel.yml", unhealthy: [] }, notifications: [{ event: "test", status: "sent", target: "ntfy", sentAt: NOW - DAY }], targets: 1 },
    runbooks: { ids: new Set(["apps/sonarr"]) },
    errors: {},
    settings: { certMinDays: 30, drillIntervalDays: 7 },
    ...over,
  };
}

function cellOf(input: ReadinessInput, requirement: RequirementId, id = "media/sonarr") {
  const row = readinessMatrix(input).services.find((s) => s.id === id);
  const c = row?.cells.find((x) => x.requirement === requirement);
  if (!c) throw new Error(`no cell ${requirement} for ${id}`);
  return c;
}

describe("readinessMatrix", () => {
  it("a service that meets every requirement passes every applicable cell and scores 100", () => {
    const m = readinessMatrix(readyInput());
    const row = m.services[0]!;
    expect(row.cells.map((c) => c.requirement)).toEqual([...REQUIREMENT_IDS]);
    expect(row.cells.filter((c) => c.state === "failing")).toEqual([]);
    expect(row.cells.find((c) => c.requirement === "vpn")?.state).toBe("not-applicable");
    expect(row.score).toEqual({ passed: 8, applicable: 8, percent: 100 });
    expect(m.score.percent).toBe(100);
    expect(cellOf(readyInput(), "https").reason).toContain("80 days left");
  });

  it("a service without backups fails 'backed up' with 'no backup' and the enable-backups pull request as its next click", () => {
    const input = readyInput({ backups: { services: [protection("media/sonarr", { state: "unprotected", summary: "no backup method", enable: { offered: true } })], records: [] } });
    const c = cellOf(input, "backed-up");
    expect(c.state).toBe("failing");
    expect(c.reason).toMatch(/^No backup: no backup method/);
    expect(c.fix).toEqual({ label: "Enable backups", href: "/backups", kind: "pull-request" });
    expect(readinessMatrix(input).services[0]!.score).toEqual({ passed: 7, applicable: 8, percent: 87 });
    // When enabling is not offered, the reason says why, and the next click is the page, not a pull request.
    const hostPath = readyInput({
      backups: { services: [protection("media/sonarr", { state: "unprotected", summary: "Not protected: no backup schedule", enable: { offered: false, reason: "its configuration is on the node (hostPath /mnt/data/configs/sonarr), which the backup Jobs may not mount: move it to a PersistentVolumeClaim" } })], records: [] },
    });
    expect(cellOf(hostPath, "backed-up")).toMatchObject({
      reason: "No backup: Not protected: no backup schedule; enable backups is not offered: its configuration is on the node (hostPath /mnt/data/configs/sonarr), which the backup Jobs may not mount: move it to a PersistentVolumeClaim.",
      fix: { label: "See the backups", kind: "page" },
    });
    expect(cellOf(hostPath, "backed-up").actions).toBeUndefined();
  });

  it("backups: stale asks to back up now, no drill or an old drill asks for the drill, nothing to back up is not applicable", () => {
    expect(cellOf(readyInput({ backups: { services: [protection("media/sonarr", { state: "stale" })], records: [] } }), "backed-up").fix?.label).toBe("Back up now");
    const noDrill = cellOf(readyInput({ backups: { services: [protection("media/sonarr")], records: [{ id: 7, verification: "unverified" }] } }), "backed-up");
    expect(noDrill).toMatchObject({ state: "failing", fix: { label: "Run the drill" } });
    const oldDrill = cellOf(readyInput({ backups: { services: [protection("media/sonarr")], records: [{ id: 7, verification: "verified", verifiedAt: NOW - 9 * DAY }] } }), "backed-up");
    expect(oldDrill.reason).toContain("9 days ago (more than 7)");
    expect(cellOf(readyInput({ backups: { services: [protection("media/sonarr", { state: "not-needed" })], records: [] } }), "backed-up").state).toBe("not-applicable");
  });

  it("HTTPS: a certificate 20 days from expiry fails, plain HTTP fails with the redirect pull request, no route is not applicable", () => {
    const soon = cellOf(readyInput({ certificates: { certificates: [certRow(["media/sonarr"], 20)], hosts: [], httpsOnly: [httpsRow(["media/sonarr"], "yes")] } }), "https");
    expect(soon).toMatchObject({ state: "failing", fix: { label: "Renew the certificate", kind: "action" } });
    expect(soon.reason).toContain("expires in 20 days (under 30)");
    const plain = cellOf(
      readyInput({ certificates: { certificates: [certRow(["media/sonarr"], 80)], hosts: [], httpsOnly: [httpsRow(["media/sonarr"], "no", [{ state: "critical", code: "plain-http", message: "Served on plain HTTP only" } as never])] } }),
      "https",
    );
    expect(plain).toMatchObject({ state: "failing", reason: "home.example.com (Ingress media/ing): Served on plain HTTP only.", fix: { kind: "pull-request" } });
    const internal = readyInput();
    internal.services = [{ service: service("media/sonarr", { ingressUrls: [] }), status: "up" }];
    expect(cellOf(internal, "https").state).toBe("not-applicable");
  });

  it("healthy: a down verdict names it; missing probes propose them as a pull request", () => {
    const down = readyInput();
    down.services = [{ service: service("media/sonarr"), status: "down", reason: "ready 0/1: CrashLoopBackOff" }];
    expect(cellOf(down, "healthy")).toMatchObject({ state: "failing", reason: "The panel's verdict is down: ready 0/1: CrashLoopBackOff.", fix: { href: "/services/media/sonarr" } });
    const noProbes = readyInput();
    noProbes.services = [{ service: service("media/sonarr", { containerSpecs: [{ name: "sonarr", main: true, readinessProbe: false, livenessProbe: true, requests: ["cpu"], limits: ["memory"] }] }), status: "up" }];
    expect(cellOf(noProbes, "healthy")).toMatchObject({ state: "failing", reason: "Healthy, but no readiness probe is defined on container sonarr.", fix: { kind: "pull-request", href: "/changes" } });
  });

  it("wired, watched, from Git, runbook, resources and VPN each fail with their reason", () => {
    const broken = readyInput({ integrations: { links: [{ fromService: "media/sonarr", toService: "qbittorrent/qbittorrent", fromName: "Sonarr", toName: "qBittorrent", title: "download client", state: "broken", message: "Test failed: 403" }], vpn: [] } });
    expect(cellOf(broken, "wired").reason).toBe("1 of 1 links not working: Sonarr → qBittorrent (download client) is set up but its test fails: Test failed: 403.");
    const quoted = readyInput({ integrations: { links: [{ fromService: "media/sonarr", fromName: "Sonarr", toName: "Root folder", title: "root folder", state: "missing", message: "Sonarr has no root folder." }], vpn: [] } });
    expect(cellOf(quoted, "wired").reason).toBe("1 of 1 links not working: Sonarr → Root folder (root folder) is not set up: Sonarr has no root folder.");
    const manifest = readyInput({
      integrations: { links: [{ fromService: "media/sonarr", fromName: "Unpackerr", toName: "Sonarr", title: "extraction (manifest)", state: "needs_git", message: "Unpackerr reads Sonarr from its environment" }], vpn: [] },
    });
    expect(cellOf(manifest, "wired").reason).toBe("1 of 1 links not working: Unpackerr → Sonarr (extraction (manifest)) is configured only in its manifest, through Git: Unpackerr reads Sonarr from its environment.");
    expect(cellOf(manifest, "wired").reason).not.toMatch(/needs.git|needs_git/);
    expect(cellOf(readyInput({ integrations: { links: [], vpn: [] } }), "wired").state).toBe("not-applicable");

    const base = readyInput();
    const noTest = readyInput({ alerts: { ...base.alerts!, notifications: [{ event: "test", status: "pending", target: "ntfy", sentAt: null }] } });
    expect(cellOf(noTest, "watched")).toMatchObject({ state: "failing", fix: { label: "Send a test notification" } });
    const noRules = readyInput({ alerts: { ...base.alerts!, panelRules: { loaded: false, count: 0, file: null, unhealthy: [] } } });
    expect(cellOf(noRules, "watched")).toMatchObject({ state: "failing", fix: { kind: "pull-request" } });
    // Where the rules' pull request stands says why they are not loaded, in words.
    const rules = (status: "open" | "merged" | "live", applications: number) =>
      cellOf(readyInput({ alerts: { ...noRules.alerts!, rulesChange: { status, prUrl: "https://forge/pull/7", files: ["apps/monitoring/prometheus-configmap.yaml"], applications } } }), "watched");
    expect(rules("open", 1)).toMatchObject({ reason: "The pull request adding the panel's alert rules is not merged yet (https://forge/pull/7): Prometheus loads them once it is merged and deployed.", actions: [{ kind: "change", request: { kind: "alert-rules" } }] });
    expect(rules("merged", 0).reason).toBe(
      "The panel's alert rules are merged into Git, but no Argo CD Application deploys apps/monitoring/prometheus-configmap.yaml, so they never reach Prometheus: deploy that folder from an Application (an ApplicationSet whose element is commented out deploys nothing).",
    );
    expect(rules("merged", 0).actions).toBeUndefined();
    expect(rules("merged", 1).reason).toBe("The panel's alert rules are merged into Git; Argo CD has not synced apps/monitoring/prometheus-configmap.yaml yet.");
    expect(rules("live", 1).reason).toMatch(/^The panel's alert rules are deployed \(apps\/monitoring\/prometheus-configmap\.yaml\), but Prometheus has not loaded them/);

    const drift = readyInput();
    drift.services = [{ service: service("media/sonarr", { argoState: { ...service("x/y").argoState!, syncStatus: "OutOfSync" } }), status: "up" }];
    expect(cellOf(drift, "from-git").reason).toBe("Application argocd/media is OutOfSync and Healthy.");
    const noApp = readyInput();
    noApp.services = [{ service: service("media/sonarr", { argocdApp: undefined, argoState: undefined }), status: "up" }];
    expect(cellOf(noApp, "from-git").state).toBe("failing");

    expect(cellOf(readyInput({ runbooks: { ids: new Set() } }), "runbook").reason).toBe("No runbook for Sonarr (apps/sonarr).");
    expect(cellOf(readyInput({ runbooks: { ids: new Set(), baseUrl: "https://wiki.example.com/runbooks" } }), "runbook").state).toBe("passed");

    const noLimits = readyInput();
    noLimits.services = [{ service: service("media/sonarr", { containerSpecs: [{ name: "sonarr", main: true, readinessProbe: true, livenessProbe: true, requests: [], limits: [] }] }), status: "up" }];
    expect(cellOf(noLimits, "resources").reason).toBe("Container sonarr sets no requests and no limits.");
    expect(cellOf(noLimits, "resources").fix).toMatchObject({ kind: "pull-request", href: "/changes" });
    expect(cellOf(noLimits, "resources").actions).toEqual([{ kind: "change", request: { kind: "resources", target: "media/sonarr" } }]);
    const sidecar = readyInput();
    sidecar.services = [
      {
        service: service("media/sonarr", {
          containerSpecs: [
            { name: "sonarr", main: true, readinessProbe: true, livenessProbe: true, requests: ["cpu"], limits: ["memory"] },
            { name: "vpn", main: false, readinessProbe: false, livenessProbe: false, requests: ["cpu"], limits: [] },
          ],
        }),
        status: "up",
      },
    ];
    expect(cellOf(sidecar, "resources").reason).toBe("Container vpn sets no limits.");

    const leak = readyInput({ integrations: { links: [], vpn: [{ service: "media/sonarr", status: "leak", message: "LEAK: traffic exits from the home IP 203.0.113.45" }] } });
    expect(cellOf(leak, "vpn")).toMatchObject({ state: "failing", reason: "LEAK: traffic exits from the home IP 203.0.113.45." });
  });

  it("a source that cannot be read fails its cells with the reason and is listed as unreadable", () => {
    const input = readyInput({ backups: undefined, errors: { backups: "the cluster refused: forbidden" } });
    const m = readinessMatrix(input);
    expect(cellOf(input, "backed-up").reason).toBe("Cannot tell: the backups cannot be read (the cluster refused: forbidden).");
    expect(m.unreadable).toEqual([{ name: "backups", ok: false, message: "the cluster refused: forbidden" }]);
  });

  it("orders the least ready first, sums the stack's score and groups the failing cells", () => {
    const input = readyInput();
    input.services = [
      { service: service("media/sonarr"), status: "up" },
      { service: service("media/radarr", { appKind: "radarr", argocdApp: undefined, argoState: undefined }), status: "down" },
    ];
    input.backups!.services = [protection("media/sonarr"), protection("media/radarr")];
    input.certificates = { certificates: [certRow(["media/sonarr", "media/radarr"], 80)], hosts: [], httpsOnly: [httpsRow(["media/sonarr", "media/radarr"], "yes")] };
    const m = readinessMatrix(input);
    expect(m.services.map((s) => s.id)).toEqual(["media/radarr", "media/sonarr"]);
    // radarr: healthy, from Git and runbook fail, its link is not one (wired n/a): 4 of 7.
    expect(m.services[0]!.score).toEqual({ passed: 4, applicable: 7, percent: 57 });
    expect(m.score).toEqual({ passed: 12, applicable: 15, percent: 80 });
    expect(failingByRequirement(m)).toEqual([
      { id: "healthy", label: "Healthy", services: ["media/radarr"] },
      { id: "from-git", label: "From Git", services: ["media/radarr"] },
      { id: "runbook", label: "Runbook", services: ["media/radarr"] },
    ]);
    expect(scoreOf([])).toEqual({ passed: 0, applicable: 0, percent: 100 });
  });

  it("a failing cell carries the fixes 'make everything ready' runs for it; a cell that has none, or passes, carries none", () => {
    const unprotected = readyInput({
      backups: { services: [protection("media/sonarr", { state: "unprotected", summary: "no backup method", enable: { offered: true } })], records: [] },
      settings: { certMinDays: 30, drillIntervalDays: 7, backupClaim: "backups" },
    });
    expect(cellOf(unprotected, "backed-up").actions).toEqual([{ kind: "change", request: { kind: "enable-backups", target: "media/sonarr", backupClaim: "backups" } }]);
    const stale = readyInput({ backups: { services: [protection("media/sonarr", { state: "stale", backupNow: "volume" })], records: [] } });
    expect(cellOf(stale, "backed-up").actions).toEqual([
      { kind: "backup-now", serviceId: "media/sonarr" },
      { kind: "drill", serviceId: "media/sonarr" },
    ]);
    expect(cellOf(readyInput({ backups: { services: [protection("media/sonarr")], records: [{ id: 7, verification: "unverified" }] } }), "backed-up").actions).toEqual([{ kind: "drill", serviceId: "media/sonarr" }]);
    expect(cellOf(readyInput({ certificates: { certificates: [certRow(["media/sonarr"], 20)], hosts: [], httpsOnly: [httpsRow(["media/sonarr"], "yes")] } }), "https").actions).toEqual([
      { kind: "renew-certificate", namespace: "argocd", name: "home-tls" },
    ]);
    expect(cellOf(readyInput({ certificates: { certificates: [certRow(["media/sonarr"], 80)], hosts: [], httpsOnly: [httpsRow(["media/sonarr"], "unknown")] } }), "https").actions).toEqual([
      { kind: "probe-hosts", hosts: ["home.example.com"] },
    ]);
    const link = { fromService: "media/sonarr", toService: "qbittorrent/qbittorrent", fromName: "Sonarr", toName: "qBittorrent", title: "download client", state: "missing" as const };
    expect(cellOf(readyInput({ integrations: { links: [{ ...link, key: "k1", fix: { verb: "create", words: "add it" } }], vpn: [] } }), "wired").actions).toEqual([{ kind: "integrations", keys: ["k1"] }]);
    expect(cellOf(readyInput({ integrations: { links: [{ ...link, key: "k1", fix: { verb: "create", words: "add it" }, blocked: "a Git change" }], vpn: [] } }), "wired").actions).toBeUndefined();
    // Links only a manifest configures carry the change their definition names: one pull request for both.
    const viaGit = { ...link, fromService: "media/unpackerr", toService: "media/sonarr", fromName: "Unpackerr", state: "needs_git" as const, blocked: "configured through its manifest in Git", gitChange: { kind: "unpackerr-wiring" as const } };
    const gitOnly = readyInput({ integrations: { links: [{ ...viaGit, key: "u1" }, { ...viaGit, key: "u2", toService: "media/radarr", toName: "Radarr" }, { ...link, key: "k1", fix: { verb: "create", words: "add it" } }], vpn: [] } });
    expect(cellOf(gitOnly, "wired").actions).toEqual([{ kind: "integrations", keys: ["k1"] }, { kind: "change", request: { kind: "unpackerr-wiring" } }]);
    const base = readyInput();
    expect(cellOf(readyInput({ alerts: { ...base.alerts!, panelRules: { loaded: false, count: 0, file: null, unhealthy: [] } } }), "watched").actions).toEqual([{ kind: "change", request: { kind: "alert-rules" } }]);
    expect(cellOf(readyInput({ alerts: { ...base.alerts!, notifications: [] } }), "watched").actions).toEqual([{ kind: "test-notification" }]);
    expect(cellOf(readyInput({ runbooks: { ids: new Set() } }), "runbook").actions).toBeUndefined();
    expect(readinessMatrix(readyInput()).services[0]!.cells.every((c) => c.actions === undefined)).toBe(true);
  });
});
