/**
 * The GitOps workflow against the lab: its real git server over smart HTTP with basic auth, the
 * GitHub-like forge simulator, and the Argo CD Applications of the lab cluster.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { failRendering, readApplication, resetLab, restoreRendering, waitForApplication } from "@/lab/controls";
import { ForgeControls } from "@/lab/forge/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { bareGit, listLabPulls, mergeLabPull, readLabGitops, resetLabGitops, type LabGitops } from "@/e2e/support/lab-gitops";
import type { PanelConfig } from "@/lib/config-schema";
import { listAuditEvents } from "@/server/db/audit";
import { listArgoApplications } from "@/server/k8s/argo";
import { GitRepo } from "./repo";
import { GitopsService, type GitopsServiceDeps } from "./service";
import { labGitopsConfig, labGitopsService } from "@/e2e/support/gitops-service";
import { accountsYaml, sessionFor, setAccountHashes } from "@/test/sessions";

const ACCOUNTS = [
  { username: "admin", role: "admin" },
  { username: "family", role: "viewer" },
] as const;

const session: { current: null | { sid: string; user: { id: string; name: string } } } = { current: null };
vi.mock("@/server/auth", () => ({
  auth: async () => session.current,
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  handlers: {},
}));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

// The lab's full reset is not needed here: this file resets the repository and the forge itself.
const getLab = useLabCluster({ reset: false });
let lab: LabGitops;
const APP = { namespace: "argocd", name: "jellyfin-production-cluster" };

async function probesOnDeployment(): Promise<boolean> {
  const d = await getLab().kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: "media", name: "jellyfin" });
  return d.spec?.template.spec?.containers[0]?.readinessProbe !== undefined;
}

async function jellyfinPods() {
  const d = await getLab().kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: "media", name: "jellyfin" });
  const selector = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
  const pods = await getLab().kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "media", labelSelector: selector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}


function gitopsConfig(over: Partial<NonNullable<PanelConfig["gitops"]>> = {}): NonNullable<PanelConfig["gitops"]> {
  return labGitopsConfig(lab, over);
}

function service(over: Partial<GitopsServiceDeps> = {}, config: Partial<NonNullable<PanelConfig["gitops"]>> = {}): GitopsService {
  return labGitopsService(getLab().kc, gitopsConfig(config), { GITOPS_TOKEN: lab.forge.token, GITOPS_GIT_PASSWORD: lab.git.password }, over);
}

/** Lines added and removed between two commits of the lab's bare repository (headers left out). */
function changedLines(from: string, to: string): { added: string[]; removed: string[]; files: string[] } {
  const diff = bareGit(lab, ["diff", "--no-color", `${from}..${to}`]);
  const lines = diff.split("\n").filter((l) => !l.startsWith("+++") && !l.startsWith("---"));
  return {
    added: lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1)),
    removed: lines.filter((l) => l.startsWith("-")).map((l) => l.slice(1)),
    files: bareGit(lab, ["diff", "--name-only", `${from}..${to}`]).split("\n").filter(Boolean),
  };
}

const panelBranches = () => bareGit(lab, ["for-each-ref", "--format=%(refname:short)", "refs/heads/panel/"]).split("\n").filter(Boolean);

beforeAll(() => {
  const found = readLabGitops();
  if (!found) throw new Error("the lab has no git server or forge (apps.git / apps.forge in lab.json)");
  lab = found;
});

beforeEach(async () => {
  await resetLabGitops(lab);
}, 60_000);

afterAll(async () => {
  if (!lab) return;
  await resetLabGitops(lab);
  // Rendering back, and the lab's Argo CD back at the imported commit (the probes removed again).
  await resetLab();
  await waitForApplication(APP.namespace, APP.name, (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]), "synced back");
}, 120_000);

describe("health probes for jellyfin, followed until live", () => {
  it("opens a pull request whose branch differs from the base only by the probe lines, then merged -> live", async () => {
    const svc = service();
    const offered = (await svc.suggestions()).map((x) => x.label);
    expect(offered).toEqual(expect.arrayContaining(["Add health probes to jellyfin", "Add health probes to qbittorrent", "Wire Unpackerr to Sonarr and Radarr", "Scrape the panel's metrics in Prometheus"]));
    expect(offered).not.toContain("Add health probes to sonarr");
    const t0 = Date.now();
    const preview = await svc.preview({ kind: "health-probes", target: "media/jellyfin" });
    const previewMs = Date.now() - t0;
    // Argo CD deploys jellyfin from dev_starr (the Application's targetRevision), not the default branch.
    expect(preview).toMatchObject({ outcome: "preview", baseBranch: "dev_starr", baseSource: "argocd", files: ["apps/media-services/jellyfin/deployment.yaml"] });
    expect(preview.applications).toEqual(["argocd/jellyfin-production-cluster"]);
    expect(preview.diff).toContain("+            path: /health");

    const t1 = Date.now();
    const result = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin", { expectedFingerprint: preview.fingerprint });
    const proposeMs = Date.now() - t1;
    console.log(`preview ${previewMs} ms, propose (fetch, plan, push, pull request) ${proposeMs} ms`);
    expect(result.outcome).toBe("opened");
    // The forge takes the labels (creating them, as GitHub does): no warning.
    expect(result.warnings).toEqual([]);
    const change = result.change;
    if (!change) throw new Error("no change recorded");
    expect(change.prUrl).toMatch(new RegExp(`^${lab.forge.apiUrl}/${lab.forge.owner}/${lab.forge.repo}/pull/\\d+$`));

    // The pull request exists on the forge, from the panel's branch into dev_starr, with the labels.
    const pull = (await listLabPulls(lab)).find((p) => p.head.ref === change.branch);
    expect(pull).toMatchObject({ state: "open", base: { ref: "dev_starr" }, title: "jellyfin: add readiness and liveness probes" });
    expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "health-probes"]);
    expect(pull?.body).toContain("media/jellyfin");
    expect(pull?.body).toContain("https://panel.lab.invalid/changes?branch=");

    // The branch in the real bare repository: only the probe lines, nothing removed, comments intact.
    const base = bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]);
    const { added, removed, files } = changedLines(base, `refs/heads/${change.branch}`);
    expect(files).toEqual(["apps/media-services/jellyfin/deployment.yaml"]);
    expect(removed).toEqual([]);
    expect(added).toHaveLength(16);
    expect(added.every((l) => /^ {8,}(livenessProbe|readinessProbe|httpGet|path: \/health|port: 8096|initialDelaySeconds|periodSeconds|timeoutSeconds|failureThreshold)/.test(l))).toBe(true);
    const after = bareGit(lab, ["show", `refs/heads/${change.branch}:apps/media-services/jellyfin/deployment.yaml`]);
    expect(after).toContain("          # Copy base configs if they don't exist");
    expect(parse(after.split("\n---\n")[0] ?? "")).toMatchObject({ spec: { template: { spec: { containers: [{ readinessProbe: { httpGet: { path: "/health", port: 8096 } } }] } } } });
    const commit = bareGit(lab, ["log", "-1", "--format=%an <%ae>%n%s", `refs/heads/${change.branch}`]);
    expect(commit).toBe("k8s-nas-panel <panel@lab.invalid>\njellyfin: add readiness and liveness probes");

    // Merged by a reviewer on the forge while Argo CD cannot render the repository yet -> merged,
    // waiting for Argo CD (the lab's Argo CD reports the rendering error and applies nothing).
    await failRendering(APP.namespace, APP.name, "repo server unavailable");
    const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);
    await svc.refresh({ force: true });
    let now = svc.list().find((c) => c.id === change.id);
    expect(now).toMatchObject({ pullState: "merged", status: "merged", mergeSha });
    expect(now?.apps).toEqual([expect.objectContaining({ name: APP.name, syncStatus: "Unknown" })]);
    expect(await probesOnDeployment()).toBe(false);

    // Argo CD renders again and syncs the merge commit: the probes are on the Deployment and on its
    // new pods, and the change is live because of that.
    await restoreRendering(APP.namespace, APP.name);
    await vi.waitFor(
      async () => {
        await svc.refresh({ force: true });
        expect(svc.list().find((c) => c.id === change.id)?.status).toBe("live");
      },
      { timeout: 60_000, interval: 500 },
    );
    now = svc.list().find((c) => c.id === change.id);
    expect(now?.apps).toEqual([expect.objectContaining({ name: APP.name, syncStatus: "Synced", revision: mergeSha, includesChange: true })]);
    expect(now?.liveAt).toBeGreaterThan(0);
    const application = await readApplication(APP.namespace, APP.name);
    expect(application.status?.operationState).toMatchObject({ phase: "Succeeded", syncResult: { revision: mergeSha } });
    expect(await probesOnDeployment()).toBe(true);
    await vi.waitFor(
      async () => {
        const pods = await jellyfinPods();
        expect(pods.length).toBeGreaterThan(0);
        for (const p of pods) expect(p.spec?.containers[0]?.readinessProbe?.httpGet).toMatchObject({ path: "/health", port: 8096 });
        expect(pods.every((p) => p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True")).toBe(true);
      },
      { timeout: 60_000, interval: 500 },
    );

    // Not offered any more: dev_starr, the branch jellyfin is deployed from, has the probes.
    expect((await service().suggestions()).map((x) => x.label)).not.toContain("Add health probes to jellyfin");

    // Proposing it again: the base has the probes now.
    const again = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    expect(again.outcome).toBe("already_so");
    expect(again.message).toMatch(/^Already so: media\/jellyfin already has readiness and liveness probes/);
  });
});

describe("which Argo CD Applications a change is followed through", () => {
  it("an Application whose folder holds the file but whose kustomization leaves it out is not followed; the one deploying it is", async () => {
    // The lab's infrastructure-production-cluster deploys apps/infrastructure from main, whose kustomization
    // leaves monitoring/ out: nothing deploys apps/infrastructure/monitoring, so the preview says so.
    const real = () => listArgoApplications(getLab().kc, "argocd");
    const alone = await service({ listApplications: real }).preview({ kind: "alert-rules" });
    expect(alone).toMatchObject({ outcome: "preview", baseBranch: "main" });
    expect(alone.files).toEqual(["apps/infrastructure/monitoring/prometheus-configmap.yaml", "apps/infrastructure/monitoring/prometheus-deployment.yaml"]);
    expect(alone.applications).toEqual([]);
    expect(alone.notes.join("\n")).toContain("No Argo CD Application deploys apps/infrastructure/monitoring/prometheus-configmap.yaml");

    // With the monitoring ApplicationSet's element enabled, its Application deploys the folder from
    // feat/nginx-routing: the change goes there and is followed through that Application only.
    const monitoring = {
      namespace: "argocd",
      name: "monitoring-production-cluster",
      sources: [{ repoURL: "git@github.com:brettswift/k8s_nas.git", targetRevision: "feat/nginx-routing", path: "apps/infrastructure/monitoring", recurse: false }],
      syncStatus: "Synced",
      health: "Healthy",
    };
    const enabled = await service({ listApplications: async () => [...((await real()) ?? []), monitoring] }).preview({ kind: "alert-rules" });
    expect(enabled).toMatchObject({ outcome: "preview", baseBranch: "feat/nginx-routing", baseSource: "argocd" });
    expect(enabled.applications).toEqual(["argocd/monitoring-production-cluster"]);
    expect(enabled.notes.join("\n")).not.toContain("No Argo CD Application deploys");
  });

  it("the rules suggestion is judged on the branch the Application deploying them follows: offered until merged there", async () => {
    const monitoring = {
      namespace: "argocd",
      name: "monitoring-production-cluster",
      sources: [{ repoURL: "git@github.com:brettswift/k8s_nas.git", targetRevision: "feat/nginx-routing", path: "apps/infrastructure/monitoring", recurse: false }],
      syncStatus: "Synced",
      health: "Healthy",
    };
    const withMonitoring = () => service({ listApplications: async () => [...((await listArgoApplications(getLab().kc, "argocd")) ?? []), monitoring] });
    const label = "Add the panel's alert rules to Prometheus";
    const svc = withMonitoring();
    const t0 = Date.now();
    expect((await svc.suggestions()).map((x) => x.label)).toContain(label);
    console.log(`suggestions (fetch, every deploying branch planned) in ${Date.now() - t0} ms`);
    const preview = await svc.preview({ kind: "alert-rules" });
    const result = await svc.propose({ kind: "alert-rules" }, "admin", { expectedFingerprint: preview.fingerprint });
    expect(result.outcome).toBe("opened");
    const pull = (await listLabPulls(lab)).find((p) => p.head.ref === result.change?.branch);
    expect(pull?.base.ref).toBe("feat/nginx-routing");
    await mergeLabPull(lab, pull?.number ?? 0);
    // main (which infrastructure-production-cluster follows) still lacks the rules, but it does not deploy them.
    expect(bareGit(lab, ["show", "refs/heads/main:apps/infrastructure/monitoring/prometheus-configmap.yaml"])).not.toContain("k8s-nas-panel.rules.yml");
    expect((await withMonitoring().suggestions()).map((x) => x.label)).not.toContain(label);
  });
});

describe("proposals", () => {
  it("two changes at once get two branches and two pull requests, both correct", async () => {
    const svc = service();
    const before = panelBranches().length;
    const [a, b] = await Promise.all([
      svc.propose({ kind: "health-probes", target: "qbittorrent/qbittorrent" }, "admin"),
      svc.propose({ kind: "unpackerr-wiring" }, "admin"),
    ]);
    expect([a.outcome, b.outcome]).toEqual(["opened", "opened"]);
    expect(a.change?.branch).not.toBe(b.change?.branch);
    expect(panelBranches().length).toBe(before + 2);
    const pulls = await listLabPulls(lab);
    expect(pulls.find((p) => p.head.ref === a.change?.branch)?.base.ref).toBe("dev_qbit");
    expect(pulls.find((p) => p.head.ref === b.change?.branch)?.base.ref).toBe("dev_starr");
    const qb = changedLines(bareGit(lab, ["rev-parse", "refs/heads/dev_qbit"]), `refs/heads/${a.change?.branch}`);
    expect(qb.files).toEqual(["apps/media-services/qbittorrent/deployment.yaml"]);
    expect(qb.removed).toEqual([]);
    const un = changedLines(bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]), `refs/heads/${b.change?.branch}`);
    expect(un.files.sort()).toEqual([
      "apps/media-services/starr/kustomization.yaml",
      "apps/media-services/starr/starr-secrets.example.yaml",
      "apps/media-services/starr/unpackerr-deployment.yaml",
    ]);
  });

  it("the same change twice while its pull request is open points to the open pull request", async () => {
    const svc = service();
    const first = await svc.propose({ kind: "prometheus-scrape" }, "admin");
    expect(first.outcome).toBe("opened");
    const pullsBefore = (await listLabPulls(lab)).length;
    const second = await svc.propose({ kind: "prometheus-scrape" }, "admin");
    expect(second).toMatchObject({ outcome: "already_open", prUrl: first.prUrl });
    expect(second.message).toContain(first.prUrl ?? "?");
    const preview = await svc.preview({ kind: "prometheus-scrape" });
    expect(preview).toMatchObject({ outcome: "already_open", existing: { prUrl: first.prUrl } });
    expect((await listLabPulls(lab)).length).toBe(pullsBefore);
  });

  it("the same change pressed by two admins at once: one branch, one pull request, the other told where it is", async () => {
    const svc = service();
    const before = panelBranches().length;
    const pullsBefore = (await listLabPulls(lab)).length;
    const both = await Promise.all([
      svc.propose({ kind: "health-probes", target: "monitoring/grafana" }, "admin"),
      svc.propose({ kind: "health-probes", target: "monitoring/grafana" }, "second-admin"),
    ]);
    const outcomes = both.map((r) => r.outcome).sort();
    expect(outcomes).toEqual(["already_open", "opened"]);
    const opened = both.find((r) => r.outcome === "opened");
    expect(both.find((r) => r.outcome === "already_open")?.prUrl).toBe(opened?.prUrl);
    expect(panelBranches().length).toBe(before + 1);
    expect((await listLabPulls(lab)).length).toBe(pullsBefore + 1);
  });

  it("a preview older than the base branch is refused", async () => {
    const svc = service();
    const preview = await svc.preview({ kind: "health-probes", target: "media/jellyfin" });
    // Someone pushes to dev_starr after the preview.
    const base = bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]);
    const tree = bareGit(lab, ["rev-parse", `${base}^{tree}`]);
    const moved = bareGit(lab, ["commit-tree", tree, "-p", base, "-m", "someone else"]);
    bareGit(lab, ["update-ref", "refs/heads/dev_starr", moved]);
    await expect(svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin", { expectedFingerprint: preview.fingerprint })).rejects.toThrow(/changed since the preview/);
  });
});

describe("faults", () => {
  it("a token the forge refuses: clear message, audit event, nothing pushed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "panel-gitops-action-"));
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(
      configFile,
      [
        "kubernetes:",
        "  mode: kubeconfig",
        `  kubeconfig: ${getLab().kubeconfig}`,
        "gitops:",
        `  repoUrl: ${lab.git.url}`,
        "  forge: github",
        `  apiUrl: ${lab.forge.apiUrl}`,
        `  username: ${lab.git.username}`,
        "  passwordEnv: GITOPS_GIT_PASSWORD",
        accountsYaml(ACCOUNTS),
        "",
      ].join("\n"),
    );
    process.env.PANEL_CONFIG = configFile;
    process.env.PANEL_DATA_DIR = dir;
    await setAccountHashes(ACCOUNTS);
    process.env.GITOPS_TOKEN = `ghp_${randomBytes(18).toString("hex")}`; // a token the forge never issued
    process.env.GITOPS_GIT_PASSWORD = lab.git.password;
    session.current = await sessionFor("admin", "admin");
    const before = panelBranches();
    const { proposeChange } = await import("@/server/actions/changes");
    const result = await proposeChange({ request: { kind: "health-probes", target: "media/jellyfin" } });
    expect(result).toMatchObject({ ok: false, code: "unauthorized" });
    if (result.ok) return;
    expect(result.message).toContain("refused the token in GITOPS_TOKEN");
    expect(result.message).toContain("k8s-nas-panel-secrets");
    expect(result.message).toContain("Pull requests: read and write");
    expect(result.message).not.toContain("ghp_refused");
    expect(panelBranches()).toEqual(before);
    const { getDb } = await import("@/server/db");
    const events = listAuditEvents(getDb(), { action: "changes.propose" }, 1).events;
    expect(events[0]).toMatchObject({ actor: "admin", result: "error", errorCode: "unauthorized" });
    expect(JSON.stringify(events[0])).not.toContain("ghp_refused");
    // A viewer is refused before anything happens.
    session.current = await sessionFor("family", "viewer");
    expect(await proposeChange({ request: { kind: "unpackerr-wiring" } })).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("the forge refuses the token after the branch was pushed: says so, keeps the branch; the retry opens the pull request from it, no second branch", async () => {
    const svc = service();
    const before = panelBranches();
    await new ForgeControls(lab.forge).refusePullCreation(1);
    const error = (await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin").catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toMatchObject({ code: "unauthorized" });
    expect(error.message).toContain("refused the token in GITOPS_TOKEN");
    const pushed = panelBranches().filter((b) => !before.includes(b));
    expect(pushed).toHaveLength(1);
    expect(error.message).toContain(`The branch ${pushed[0]} was pushed but no pull request was opened; proposing the change again opens it from that branch (no second branch).`);
    expect(svc.list()).toEqual([]);
    expect((await listLabPulls(lab)).filter((p) => p.state === "open")).toEqual([]);
    // The token works again (the forge's fault was for one request): the retry opens the pull request from the same branch.
    const retry = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    expect(retry.outcome).toBe("opened");
    expect(retry.change?.branch).toBe(pushed[0]);
    expect(panelBranches().filter((b) => !before.includes(b))).toEqual(pushed);
    const open = (await listLabPulls(lab)).filter((p) => p.state === "open");
    expect(open.map((p) => p.head.ref)).toEqual([pushed[0]]);
    expect(svc.list().map((c) => c.branch)).toEqual([pushed[0]]);
  });

  it("a refused Git password, an unreachable repository and a missing base branch are clear failures", async () => {
    const refused = service({ env: { GITOPS_TOKEN: lab.forge.token, GITOPS_GIT_PASSWORD: "wrong-password" } });
    await expect(refused.preview({ kind: "health-probes", target: "jellyfin" })).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringContaining("refused the credentials: user lab with the password in GITOPS_GIT_PASSWORD"),
    });
    const unreachable = service({}, { repoUrl: "http://127.0.0.1:9/brettswift/k8s_nas.git" });
    await expect(unreachable.preview({ kind: "health-probes", target: "jellyfin" })).rejects.toMatchObject({ code: "unreachable", message: expect.stringContaining("cannot be reached") });
    const gone = service({}, { baseBranch: "release-2024" });
    await expect(gone.preview({ kind: "health-probes", target: "jellyfin" })).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("The base branch release-2024 (gitops.baseBranch) does not exist"),
    });
  });

  it("a branch name that is taken is a conflict, and the clone is left clean", async () => {
    const svc = service({ now: () => Date.parse("2026-01-02T03:04:05Z"), random: () => "abcdef" });
    const taken = "panel/probes-jellyfin-20260102-030405-abcdef";
    bareGit(lab, ["update-ref", `refs/heads/${taken}`, bareGit(lab, ["rev-parse", "refs/heads/dev_starr"])]);
    await expect(svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin")).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining(`The branch ${taken} already exists`),
    });
    expect(await svc.repo.workTreeCount()).toBe(0);
    expect((await listLabPulls(lab)).filter((p) => p.state === "open")).toEqual([]);
    // The next proposal (another name) works from the same clone.
    const ok = await service({ now: () => Date.parse("2026-01-02T03:04:06Z") }).propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    expect(ok.outcome).toBe("opened");
  });
});

describe("revert: a pull request that reverts the merge commit", () => {
  /** Proposes probes for qbittorrent and merges the pull request on the forge; returns the change and its merge commit. */
  async function mergedProbes(svc: GitopsService) {
    const result = await svc.propose({ kind: "health-probes", target: "qbittorrent/qbittorrent" }, "admin");
    const change = result.change;
    if (!change?.prNumber) throw new Error("no pull request opened");
    const mergeSha = await mergeLabPull(lab, change.prNumber);
    await svc.refresh({ force: true });
    expect(svc.list().find((c) => c.id === change.id)).toMatchObject({ pullState: "merged", mergeSha });
    return { change, mergeSha };
  }

  it("previews the exact inverse of the change and opens a pull request from a pushed branch holding `git revert -m 1` of the merge", async () => {
    const svc = service();
    const { change, mergeSha } = await mergedProbes(svc);
    const tip = bareGit(lab, ["rev-parse", `refs/heads/${change.baseBranch}`]);
    expect(tip).toBe(mergeSha);
    const forward = changedLines(`${mergeSha}^1`, mergeSha);

    const preview = await svc.previewRevert(change.id);
    expect(preview).toMatchObject({ outcome: "preview", commit: mergeSha, baseSha: tip, files: change.files, conflicts: [], changedSince: [] });
    expect(preview.diff).toContain("-            path: /");
    // Nothing is pushed by a preview.
    const branchesBefore = panelBranches();

    // One fetch and one `git revert` per revert: the commit whose fingerprint was checked is the one pushed.
    const syncs = vi.spyOn(GitRepo.prototype, "sync");
    const reverts = vi.spyOn(GitRepo.prototype, "revert");
    let calls = { syncs: 0, reverts: 0 };
    const result = await svc.revert(change.id, "admin", { expectedFingerprint: preview.fingerprint }).finally(() => {
      calls = { syncs: syncs.mock.calls.length, reverts: reverts.mock.calls.length };
      syncs.mockRestore();
      reverts.mockRestore();
    });
    expect(calls).toEqual({ syncs: 1, reverts: 1 });
    expect(result.outcome).toBe("opened");
    const revert = result.change;
    if (!revert) throw new Error("no revert recorded");
    expect(bareGit(lab, ["rev-parse", `refs/heads/${revert.branch}`])).toBe(revert.headSha);
    expect(panelBranches()).toEqual([...branchesBefore, revert.branch].sort());
    expect(revert).toMatchObject({ kind: "revert", key: `revert:${change.id}`, title: `Revert "${change.title}"`, baseBranch: change.baseBranch, files: change.files, diff: preview.diff });
    const pull = (await listLabPulls(lab)).find((p) => p.head.ref === revert.branch);
    expect(pull).toMatchObject({ state: "open", base: { ref: change.baseBranch }, title: `Revert "${change.title}"` });
    expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "revert"]);
    // The branch is one commit on the tip: the exact inverse of the merge.
    expect(bareGit(lab, ["rev-parse", `refs/heads/${revert.branch}^`])).toBe(tip);
    expect(bareGit(lab, ["log", "-1", "--format=%B", `refs/heads/${revert.branch}`])).toContain(`This reverts commit ${mergeSha}`);
    const back = changedLines(tip, `refs/heads/${revert.branch}`);
    expect(back.files).toEqual(forward.files);
    expect(back.added).toEqual(forward.removed);
    expect(back.removed).toEqual(forward.added);
    expect(bareGit(lab, ["rev-parse", `refs/heads/${revert.branch}^{tree}`])).toBe(bareGit(lab, ["rev-parse", `${mergeSha}^1^{tree}`]));

    // The same revert again points at the open pull request.
    expect(await svc.previewRevert(change.id)).toMatchObject({ outcome: "already_open", existing: { prUrl: revert.prUrl } });
    // An open change cannot be reverted.
    await expect(svc.previewRevert(revert.id)).rejects.toThrow(/is not merged/);
  });

  it("the forge refuses the revert's pull request: says so, deletes the branch it pushed, and records nothing", async () => {
    const svc = service();
    const { change } = await mergedProbes(svc);
    const preview = await svc.previewRevert(change.id);
    const before = panelBranches();
    const recorded = svc.list().length;
    await new ForgeControls(lab.forge).refusePullCreation(1);
    const error = (await svc.revert(change.id, "admin", { expectedFingerprint: preview.fingerprint }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toMatchObject({ code: "unauthorized" });
    expect(error.message).toContain("refused the token in GITOPS_TOKEN");
    expect(error.message).toContain("No pull request was opened. The branch it pushed was deleted again.");
    expect(panelBranches()).toEqual(before);
    expect(svc.list()).toHaveLength(recorded);
    // The forge takes pull requests again: the revert opens one.
    const again = await svc.revert(change.id, "admin", { expectedFingerprint: preview.fingerprint });
    expect(again.outcome).toBe("opened");
  });

  it("files changed again since the merge: says so, shows the conflict, and pushes nothing", async () => {
    const svc = service();
    const { change, mergeSha } = await mergedProbes(svc);
    // Someone edits the probe lines on the base branch after the merge.
    const work = mkdtempSync(path.join(tmpdir(), "panel-revert-"));
    const git = (...args: string[]) => execFileSync("git", args, { cwd: work, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@x", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@x" } });
    git("clone", "--quiet", "--branch", change.baseBranch, lab.git.bareDir, ".");
    const file = change.files[0] as string;
    const text = readFileSync(path.join(work, file), "utf8");
    expect(text).toContain("periodSeconds: 10");
    writeFileSync(path.join(work, file), text.replaceAll("periodSeconds: 10", "periodSeconds: 30"));
    git("commit", "--quiet", "-am", "qbittorrent: probe every 30 s");
    git("push", "--quiet", "origin", `HEAD:refs/heads/${change.baseBranch}`);
    const edited = git("rev-parse", "--short", "HEAD").trim();
    const before = panelBranches();

    const preview = await svc.previewRevert(change.id);
    expect(preview).toMatchObject({ outcome: "conflict", commit: mergeSha, conflicts: [file], diff: "" });
    expect(preview.changedSince).toEqual([`${edited} qbittorrent: probe every 30 s`]);
    expect(preview.message).toContain(`${file} changed again since the merge`);
    expect(preview.conflictDiff).toMatch(/<<<<<<<[\s\S]*=======[\s\S]*>>>>>>>/);
    await expect(svc.revert(change.id, "admin", { expectedFingerprint: preview.fingerprint })).rejects.toThrow(/changed again since the merge/);
    expect(panelBranches()).toEqual(before);
    expect((await listLabPulls(lab)).filter((p) => p.state === "open" && p.title.startsWith("Revert"))).toEqual([]);
  });
});
