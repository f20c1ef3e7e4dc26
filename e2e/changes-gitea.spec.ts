import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { getGiteaPull, giteaGit, labGiteaConfigLines, mergeGiteaPull, readApplicationSync, readLabGitea, readLabObject, type LabGitea } from "./support/lab-gitops";
import { labCli } from "./support/lab";
import { LoginPage } from "./support/pages";
import { E2E_DIR, panelServerEnv, ROOT, USERS } from "./support/panel-env";

/**
 * The Changes flow in the browser against the lab's real Gitea (built from the Go module proxy,
 * started by `lab up`): a panel configured with `gitops.forge: gitea` proposes a change, the pull
 * request opens on Gitea, a reviewer merges it there, the lab's Argo CD (following Gitea's copy of
 * the repository, as the user's Argo CD follows theirs) syncs it, the panel follows it to "live and
 * healthy", and revert opens a pull request on Gitea that takes the change back.
 *
 * The spec starts its own panel (the main e2e panel works against the lab's GitHub-shaped forge) on
 * a free port, reached directly over HTTP.
 */

const APP = { namespace: "argocd", name: "jellyfin-production-cluster" };
const DIR = path.join(E2E_DIR, "gitea");
let gitea: LabGitea;
let panel: ChildProcess | undefined;
let context: BrowserContext;
let page: Page;
/** The change the first test merges, and its merge commit (reverted by the second). */
let probes = { branch: "", mergeSha: "" };

interface Container {
  readinessProbe?: { httpGet?: { path?: string; port?: number } };
}

const jellyfinContainer = async () =>
  (await readLabObject<{ spec: { template: { spec: { containers: Container[] } } } }>("/apis/apps/v1/namespaces/media/deployments/jellyfin"))?.spec.template.spec.containers[0];

/** Changed lines (`+x` / `-x`) of a diff, without the file headers. */
const changedLines = (diff: string) => diff.split("\n").filter((l) => /^[+-](?![+-])/.test(l));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const found = readLabGitea();
  if (!found) throw new Error("The lab runs no Gitea (apps.gitea in .lab/lab.json): start it with `npm run lab -- up` (without --no-gitea) before the e2e tests.");
  gitea = found;
  // The cluster as seeded, Gitea as imported, and the lab's Argo CD following Gitea's repository.
  labCli("reset");
  labCli("gitea-reset");
  labCli("follow-gitops", "gitea");

  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  rmSync(path.join(DIR, "data"), { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const env = panelServerEnv({ port, dir: DIR, publicUrl: baseURL, gitops: { lines: labGiteaConfigLines(gitea), env: { GITOPS_TOKEN: gitea.token } } });
  const log = openSync(path.join(DIR, "panel.log"), "w");
  panel = spawn(process.execPath, [path.join(ROOT, ".next", "standalone", "server.js")], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", log, log] });
  await expect
    .poll(async () => (await fetch(`${baseURL}/api/healthz`).catch(() => undefined))?.status, { timeout: 120_000, message: `the Gitea panel on ${baseURL} (log: ${DIR}/panel.log)` })
    .toBe(200);
  // The first requests of a fresh server load its pages: once before the browser, so signing in
  // is not what waits for them.
  for (const pathName of ["/login", "/changes"]) await fetch(`${baseURL}${pathName}`, { redirect: "manual", signal: AbortSignal.timeout(60_000) });
  context = await browser.newContext({ baseURL });
  page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto("/changes");
  await login.signIn(USERS.admin.username, USERS.admin.password);
  await expect(page.getByTestId("current-user")).toBeVisible({ timeout: 60_000 });
});

test.afterAll(async () => {
  test.setTimeout(180_000);
  await context?.close();
  if (panel?.pid !== undefined && panel.exitCode === null) {
    const exited = new Promise((resolve) => panel?.once("exit", resolve));
    panel.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  if (!gitea) return;
  // The lab's Argo CD back on the lab's Git server, which takes the cluster back to the imported commit.
  labCli("follow-gitops");
  labCli("gitea-reset");
  await expect.poll(async () => await readApplicationSync(APP.namespace, APP.name), { timeout: 90_000 }).toMatchObject({ status: "Synced", health: "Healthy" });
  await expect.poll(async () => (await jellyfinContainer())?.readinessProbe, { timeout: 30_000 }).toBeUndefined();
});

test("Gitea: add health probes to jellyfin -> pull request on Gitea -> merged there -> synced by Argo CD -> live and healthy", async () => {
  const changes = new ChangesPage(page);
  // The panel's first clone of the Gitea repository may outlast the page's 10 s for suggestions
  // ("slow to answer; reload the page in a moment"): reload until they are there.
  await expect(async () => {
    await changes.goto();
    await expect(changes.proposeButton("health-probes-media-jellyfin")).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 120_000 });

  await changes.previewChange("health-probes-media-jellyfin");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.preview()).toContainText("Into dev_starr");
  await expect(changes.previewDiff()).toContainText("apps/media-services/jellyfin/deployment.yaml");
  await expect(changes.previewDiff().locator('[data-diff="add"]')).toHaveCount(16);

  // The link shown is Gitea's page of the pull request, and Gitea's API has it: open, from the pushed
  // branch into dev_starr, with both labels (created by the panel on Gitea).
  const prUrl = await changes.confirm();
  expect(prUrl).toMatch(new RegExp(`^${gitea.webUrl}/pulls/\\d+$`));
  await expect(changes.warnings()).toHaveCount(0);
  const number = Number(prUrl.split("/").pop());
  const pull = await getGiteaPull(gitea, number);
  expect(pull).toMatchObject({ state: "open", merged: false, html_url: prUrl, base: { ref: "dev_starr" }, title: "jellyfin: add readiness and liveness probes" });
  expect(pull.labels.map((l) => l.name).sort()).toEqual(["health-probes", "k8s-nas-panel"]);
  const branch = pull.head.ref;
  expect(branch).toMatch(/^panel\/probes-jellyfin-/);
  expect(giteaGit(gitea, ["rev-parse", `refs/heads/${branch}`])).toBe(pull.head.sha);
  expect(changedLines(giteaGit(gitea, ["diff", "refs/heads/dev_starr", `refs/heads/${branch}`])).every((l) => l.startsWith("+"))).toBe(true);

  await changes.goto();
  await expect(changes.change(branch)).toHaveAttribute("data-status", "open");
  await expect(changes.change(branch).getByTestId("change-pr-url")).toHaveAttribute("href", prUrl);

  // A reviewer merges it on Gitea: merged, with Gitea's merge commit; the lab's Argo CD, following
  // Gitea's repository, syncs it: live, the probes on the cluster, and jellyfin healthy by the
  // panel's own verdict.
  const mergeSha = await mergeGiteaPull(gitea, number);
  expect(giteaGit(gitea, ["rev-parse", "refs/heads/dev_starr"])).toBe(mergeSha);
  await changes.expectStatus(branch, "merged");
  await changes.expectStatus(branch, "live");
  await expect(changes.change(branch).getByTestId("change-app")).toContainText(`Synced at ${mergeSha.slice(0, 7)} (includes the change)`);
  expect((await jellyfinContainer())?.readinessProbe?.httpGet).toMatchObject({ path: "/health", port: 8096 });
  await changes.expectAfterSync(branch, "healthy");
  await expect(changes.afterSync(branch)).toContainText("live and healthy");
  probes = { branch, mergeSha };
});

test("Gitea: revert opens a pull request on Gitea that is the exact inverse; merged there and synced, the probes are gone", async () => {
  expect(probes.branch, "the first test merged a change").not.toBe("");
  const { branch, mergeSha } = probes;
  const changes = new ChangesPage(page);
  await changes.goto();

  const preview = await changes.previewRevert(branch);
  await expect(preview).toHaveAttribute("data-outcome", "preview");
  await expect(preview).toContainText(`git revert -m 1 ${mergeSha.slice(0, 7)}`);
  const diff = preview.getByTestId("revert-preview-diff");
  await expect(diff.locator('[data-diff="del"]')).toHaveCount(16);
  await expect(diff.locator('[data-diff="add"]')).toHaveCount(0);

  const prUrl = await changes.confirmRevert(branch);
  expect(prUrl).toMatch(new RegExp(`^${gitea.webUrl}/pulls/\\d+$`));
  const number = Number(prUrl.split("/").pop());
  const pull = await getGiteaPull(gitea, number);
  expect(pull).toMatchObject({ state: "open", merged: false, base: { ref: "dev_starr" }, title: 'Revert "jellyfin: add readiness and liveness probes"' });
  expect(pull.labels.map((l) => l.name).sort()).toEqual(["k8s-nas-panel", "revert"]);
  const revertBranch = pull.head.ref;
  // The branch on Gitea is one commit on top of the merge, the exact inverse of it.
  expect(giteaGit(gitea, ["rev-parse", `refs/heads/${revertBranch}^`])).toBe(mergeSha);
  const forward = changedLines(giteaGit(gitea, ["diff", `${mergeSha}^1`, mergeSha]));
  const backward = changedLines(giteaGit(gitea, ["diff", mergeSha, `refs/heads/${revertBranch}`]));
  expect(backward).toEqual(forward.map((l) => (l[0] === "+" ? "-" : "+") + l.slice(1)));
  expect(giteaGit(gitea, ["log", "-1", "--format=%B", `refs/heads/${revertBranch}`])).toContain(`This reverts commit ${mergeSha}`);

  // One revert, one audit row with its pull request.
  await page.goto("/audit?action=changes.revert");
  await expect(page.getByTestId("audit-row")).toHaveCount(1);
  await expect(page.getByTestId("audit-row").first().getByRole("link", { name: "Pull request" })).toHaveAttribute("href", prUrl);

  // Merged on Gitea and synced: the objects are back as before the change.
  const revertSha = await mergeGiteaPull(gitea, number);
  await changes.goto();
  await changes.expectStatus(revertBranch, "live");
  await expect(changes.change(revertBranch).getByTestId("change-app")).toContainText(`Synced at ${revertSha.slice(0, 7)}`);
  expect((await jellyfinContainer())?.readinessProbe).toBeUndefined();
  expect(giteaGit(gitea, ["rev-parse", `${revertSha}^{tree}`])).toBe(giteaGit(gitea, ["rev-parse", `${mergeSha}^1^{tree}`]));
  await changes.expectAfterSync(revertBranch, "healthy");
});
