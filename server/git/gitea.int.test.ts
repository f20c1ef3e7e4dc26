/**
 * The panel's GitOps workflow with `gitops.forge: gitea` against the lab's real Gitea (built from
 * the Go module proxy, started by `lab up`): branch, commit and push over HTTP basic auth with the
 * token, the pull request through Gitea's API, labels by id, merge and close by a reviewer through
 * Gitea's API, and the failures a user meets.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GiteaControls } from "@/lab/apps/gitea-controls";
import type { GiteaInfo } from "@/lab/apps/gitea";
import { AppsV1Api } from "@kubernetes/client-node";
import { followGitopsRepository, resetLab } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import type { PanelConfig } from "@/lib/config-schema";
import { GitopsService, type GitopsServiceDeps } from "./service";
import { labGitopsService } from "@/e2e/support/gitops-service";

const getLab = useLabCluster({ reset: false });
let gitea: GiteaInfo;
let forge: GiteaControls;
const APP = { namespace: "argocd", name: "jellyfin-production-cluster" };

/** Gitea's own copy of the repository on disk (Gitea keeps owner and repository names in lower case). */
const giteaBareDir = () => path.join(gitea.workDir, "repositories", gitea.owner.toLowerCase(), `${gitea.repo.toLowerCase()}.git`);

async function probesOnDeployment(): Promise<boolean> {
  const d = await getLab().kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: "media", name: "jellyfin" });
  return d.spec?.template.spec?.containers[0]?.readinessProbe !== undefined;
}

function config(over: Partial<NonNullable<PanelConfig["gitops"]>> = {}): NonNullable<PanelConfig["gitops"]> {
  return {
    repoUrl: gitea.cloneUrl,
    appsPath: "apps",
    forge: "gitea",
    apiUrl: gitea.apiUrl,
    tokenEnv: "GITOPS_TOKEN",
    username: gitea.username,
    pollSeconds: 5,
    author: { name: "k8s-nas-panel", email: "panel@lab.invalid" },
    ...over,
  };
}

function service(env: Record<string, string> = { GITOPS_TOKEN: gitea.token }, over: Partial<NonNullable<PanelConfig["gitops"]>> = {}, deps: Partial<GitopsServiceDeps> = {}): GitopsService {
  return labGitopsService(getLab().kc, config(over), env, deps);
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  const lab = getLab();
  const found = lab.apps.gitea as GiteaInfo | undefined;
  if (!found) throw new Error("the lab runs no Gitea (apps.gitea in lab.json): start the lab without LAB_GITEA=0");
  gitea = found;
  forge = new GiteaControls(gitea, (lab.apps.git as { bareDir: string }).bareDir);
});

beforeEach(async () => {
  await forge.reset();
}, 60_000);

afterAll(async () => {
  if (forge) await forge.reset();
  // The lab's Argo CD back on the lab's Git server (resetLab does it too).
  await resetLab();
}, 120_000);

describe("the Gitea provider against a real Gitea", () => {
  it("serves the lab repository with the imported branches, privately", async () => {
    expect(gitea.version).toBe("1.26.0");
    for (const b of gitea.branches) expect(await forge.branchSha(b)).toBe(gitea.importCommit);
    // Sign-in is required to see anything (REQUIRE_SIGNIN_VIEW), and the repository is private.
    const anonymous = await fetch(`${gitea.apiUrl}/repos/${gitea.owner}/${gitea.repo}`);
    expect(anonymous.status).toBe(403);
    const anonymousClone = await fetch(`${gitea.cloneUrl}/info/refs?service=git-upload-pack`);
    expect(anonymousClone.status).toBe(401);
    expect(gitea.tokenScopes).toEqual(["write:repository", "write:issue"]);
  });

  it("opens a pull request with its labels, reads it back, and follows it to merged and live after a merge in Gitea", async () => {
    const svc = service();
    const result = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    expect(result.outcome).toBe("opened");
    expect(result.warnings).toEqual([]);
    const change = result.change;
    if (!change) throw new Error("no change recorded");
    expect(change.prUrl).toMatch(new RegExp(`^${gitea.webUrl}/pulls/\\d+$`));
    expect(change).toMatchObject({ forge: "gitea", baseBranch: "dev_starr", pullState: "open", status: "open" });

    // Gitea has it: from the pushed branch into dev_starr, the body, both labels (created by the panel, by id).
    const pull = await forge.getPull(change.prNumber ?? 0);
    expect(pull).toMatchObject({ state: "open", merged: false, head: { ref: change.branch, sha: change.headSha }, base: { ref: "dev_starr" }, title: "jellyfin: add readiness and liveness probes" });
    expect(pull.body).toContain("https://panel.lab.invalid/changes?branch=");
    expect(pull.labels.map((l) => l.name).sort()).toEqual(["health-probes", "k8s-nas-panel"]);
    expect((await forge.labels()).map((l) => l.name).sort()).toEqual(["health-probes", "k8s-nas-panel"]);
    // The pushed branch holds the probes on top of dev_starr.
    const file = await forge.fileAt("apps/media-services/jellyfin/deployment.yaml", change.branch);
    expect(parse(file.split("\n---\n")[0] ?? "")).toMatchObject({ spec: { template: { spec: { containers: [{ readinessProbe: { httpGet: { path: "/health", port: 8096 } } }] } } } });
    expect(await forge.branchSha(change.branch)).toBe(change.headSha);

    // Read back by the provider: found by head and base; proposing again points to it.
    expect(await svc.forge.findOpenPull(change.branch, "dev_starr")).toMatchObject({ number: change.prNumber, state: "open", mergeable: true, url: change.prUrl });
    const again = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    expect(again).toMatchObject({ outcome: "already_open", prUrl: change.prUrl });

    // A reviewer merges it in Gitea -> merged, with Gitea's merge commit, which is now dev_starr.
    const mergeSha = await forge.mergePull(change.prNumber ?? 0);
    expect(await forge.branchSha("dev_starr")).toBe(mergeSha);
    await svc.refresh({ force: true });
    let now = svc.list().find((c) => c.id === change.id);
    expect(now).toMatchObject({ pullState: "merged", status: "merged", mergeSha, lastError: null });
    expect(now?.mergedAt).toBeGreaterThan(0);

    // The lab's Argo CD, following Gitea's repository as the user's Argo CD follows theirs, syncs the
    // merge commit -> live (the panel finds the commit in its clone of Gitea), with the probes on
    // the Deployment.
    expect(await probesOnDeployment()).toBe(false);
    await followGitopsRepository(giteaBareDir());
    try {
      await until(
        "live",
        async () => {
          await svc.refresh({ force: true });
          return svc.list().find((c) => c.id === change.id);
        },
        (c) => c?.status === "live",
        60_000,
      );
      now = svc.list().find((c) => c.id === change.id);
      expect(now?.apps).toEqual([expect.objectContaining({ name: APP.name, syncStatus: "Synced", revision: mergeSha, includesChange: true })]);
      expect(await probesOnDeployment()).toBe(true);
    } finally {
      await followGitopsRepository();
    }

    // dev_starr in Gitea has the probes now: the same change is "already so".
    expect((await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin")).outcome).toBe("already_so");
  });

  it("a pull request closed in Gitea is followed to closed; the change can be proposed again; existing labels are reused", async () => {
    const existing = await forge.createLabel("k8s-nas-panel", "#000000");
    // The default HTTPS user name: Gitea takes any name with a token as the password, as GitHub does.
    const svc = service(undefined, { username: "x-access-token" });
    const first = await svc.propose({ kind: "prometheus-scrape" }, "admin");
    expect(first.outcome).toBe("opened");
    const number = first.change?.prNumber ?? 0;
    const pull = await forge.getPull(number);
    expect(pull.labels.map((l) => [l.name, l.id]).sort()).toEqual([["k8s-nas-panel", existing.id], ["monitoring", expect.any(Number)]].sort());
    expect((await forge.labels()).filter((l) => l.name === "k8s-nas-panel")).toHaveLength(1);

    await forge.closePull(number);
    await svc.refresh({ force: true });
    expect(svc.list().find((c) => c.id === first.change?.id)).toMatchObject({ pullState: "closed", status: "closed", mergeSha: null });

    const second = await svc.propose({ kind: "prometheus-scrape" }, "admin");
    expect(second.outcome).toBe("opened");
    expect(second.change?.prNumber).not.toBe(number);
    expect((await forge.getPull(second.change?.prNumber ?? 0)).state).toBe("open");
  });

  it("a pull request that conflicts with its base after a push there reads as not mergeable", async () => {
    const svc = service();
    const result = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
    const number = result.change?.prNumber ?? 0;
    // Someone deletes the file on dev_starr: the probes no longer apply.
    const sha = (await forge.api<{ sha: string }>("GET", `/repos/${gitea.owner}/${gitea.repo}/contents/apps/media-services/jellyfin/deployment.yaml?ref=dev_starr`)).sha;
    await forge.api("DELETE", `/repos/${gitea.owner}/${gitea.repo}/contents/apps/media-services/jellyfin/deployment.yaml`, { branch: "dev_starr", sha, message: "remove jellyfin" });
    await until("Gitea's conflict check", () => forge.getPull(number), (p) => p.mergeable === false);
    expect(await svc.forge.getPull(number)).toMatchObject({ state: "open", mergeable: false });
    await svc.refresh({ force: true });
    expect(svc.list().find((c) => c.id === result.change?.id)).toMatchObject({ pullState: "open", mergeable: false });
  });

  it("a token without write:issue opens the pull request and says why the labels are missing", async () => {
    const narrow = await forge.createToken(["write:repository"]);
    try {
      const result = await service({ GITOPS_TOKEN: narrow.token }).propose({ kind: "unpackerr-wiring" }, "admin");
      expect(result.outcome).toBe("opened");
      // Gitea names the scope the first label call needs (read:issue to list the labels).
      expect(result.warnings).toEqual([expect.stringMatching(/^Labels were not added \(HTTP 403: token does not have at least one of required scope\(s\).*issue.*\); the token needs the write:issue scope for them\.$/)]);
      expect((await forge.getPull(result.change?.prNumber ?? 0)).labels).toEqual([]);
    } finally {
      await forge.deleteToken(narrow.id);
    }
  });

  it("a token Gitea takes for reading but refuses for the pull request: the error names the scope and says the branch was pushed", async () => {
    const readOnly = await forge.createToken(["read:repository"]);
    try {
      const before = await forge.branches();
      // Git pushes with the full token (GITOPS_GIT_PASSWORD); the API token may read the repository, so
      // the access check passes, and Gitea refuses only the pull request, after the push.
      const svc = service({ GITOPS_TOKEN: readOnly.token, GITOPS_GIT_PASSWORD: gitea.token }, { passwordEnv: "GITOPS_GIT_PASSWORD" });
      const error = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin").then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(error).toMatchObject({ code: "forbidden" });
      expect(error?.message).toMatch(/^The token in GITOPS_TOKEN .*may not do this on/);
      expect(error?.message).toMatch(/HTTP 403: token does not have at least one of required scope\(s\).*write:repository/);
      expect(error?.message).not.toContain(readOnly.token);
      expect(error?.message).toContain("was pushed but no pull request was opened");
      const added = (await forge.branches()).filter((b) => !before.includes(b));
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(/^panel\//);
      expect((await forge.listPulls()).filter((p) => p.state === "open")).toEqual([]);
      expect(svc.list()).toEqual([]);
      // With a token that may open pull requests, the same change goes through (the retry).
      const retried = await service({ GITOPS_TOKEN: gitea.token, GITOPS_GIT_PASSWORD: gitea.token }, { passwordEnv: "GITOPS_GIT_PASSWORD" }).propose({ kind: "health-probes", target: "media/jellyfin" }, "admin");
      expect(retried.outcome).toBe("opened");
      expect((await forge.getPull(retried.change?.prNumber ?? 0)).state).toBe("open");
    } finally {
      await forge.deleteToken(readOnly.id);
    }
  });

  it("a branch protection rule that refuses pushes to panel/* branches: Gitea's reason is shown, nothing is opened, and the clone stays usable", async () => {
    const rule = "panel/*";
    await forge.api("POST", `/repos/${gitea.owner}/${gitea.repo}/branch_protections`, { rule_name: rule, enable_push: false });
    const svc = service();
    try {
      const before = await forge.branches();
      const error = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin").then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(error).toMatchObject({ code: "forbidden" });
      expect(error?.message).toMatch(/^The repository refused the push of panel\/probes-jellyfin-\S+: /);
      expect(error?.message).toMatch(/protected branch/i);
      expect(error?.message).not.toContain(gitea.token);
      expect(await forge.branches()).toEqual(before);
      expect((await forge.listPulls()).filter((p) => p.state === "open")).toEqual([]);
    } finally {
      await forge.api("DELETE", `/repos/${gitea.owner}/${gitea.repo}/branch_protections/${encodeURIComponent(rule)}`, undefined, [204, 404]);
    }
    // Without the rule the same service opens the pull request.
    expect((await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin")).outcome).toBe("opened");
  });

  it("a token Gitea refuses (401) is a clear error naming the variable and the scope, and nothing is pushed", async () => {
    const before = await forge.branches();
    const refused = `${randomBytes(20).toString("hex")}`; // a token Gitea never issued
    // Git keeps working with the real token (GITOPS_GIT_PASSWORD); only the API token is wrong.
    const svc = service({ GITOPS_TOKEN: refused, GITOPS_GIT_PASSWORD: gitea.token }, { passwordEnv: "GITOPS_GIT_PASSWORD" });
    const error = await svc.propose({ kind: "health-probes", target: "media/jellyfin" }, "admin").then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error).toMatchObject({ code: "unauthorized" });
    expect(error?.message).toContain("The Gitea API refused the token in GITOPS_TOKEN");
    expect(error?.message).toContain("HTTP 401: invalid username, password or token");
    expect(error?.message).toContain("write:repository");
    expect(error?.message).not.toContain(refused);
    expect(await forge.branches()).toEqual(before);
    expect((await forge.listPulls()).filter((p) => p.state === "open")).toEqual([]);

    // The same wrong token as the Git password: Git's own refusal, equally clear.
    const viaGit = service({ GITOPS_TOKEN: refused });
    await expect(viaGit.preview({ kind: "health-probes", target: "media/jellyfin" })).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringContaining(`refused the credentials: user ${gitea.username} with the password in GITOPS_TOKEN`),
    });
  });
});
