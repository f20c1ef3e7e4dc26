import { expect, test } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { bareGit, listLabPulls, mergeLabPull, readApplicationSync, requireLabGitops, readLabObject, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { labCli } from "./support/lab";
import { signIn } from "./support/pages";
import { callServerAction } from "./support/server-actions";
import { USERS } from "./support/panel-env";

/**
 * GitOps changes in the browser, against the lab's git server, forge simulator and Argo CD (the
 * lab's own, which syncs what is merged; the e2e panel gets the lab's gitops section from panel-env
 * when the lab is up).
 */

const APP = { namespace: "argocd", name: "jellyfin-production-cluster" };
let lab: LabGitops;
/** The branch of the health-probes change the first test merges (followed and reverted after). */
let probesBranch = "";

interface Container {
  readinessProbe?: { httpGet?: { path?: string; port?: number } };
}
interface PodList {
  items: Array<{ metadata: { deletionTimestamp?: string }; spec: { containers: Container[] }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
}

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  if (!lab) return;
  labCli("render-error", APP.namespace, APP.name, "--clear");
  await resetLabGitops(lab);
  // The lab's Argo CD takes the cluster back to the imported commit before the next spec.
  const base = bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]);
  await expect.poll(async () => await readApplicationSync(APP.namespace, APP.name), { timeout: 60_000 }).toMatchObject({ status: "Synced", revision: base, health: "Healthy" });
});

test("admin: add health probes to jellyfin -> preview diff -> confirm -> pull request, followed to merged and live", async ({ page }) => {
  await signIn(page, USERS.admin, "/changes");
  const changes = new ChangesPage(page);
  await changes.goto();

  await changes.previewChange("health-probes-media-jellyfin");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "preview");
  await expect(changes.preview()).toContainText("Into dev_starr");
  await expect(changes.previewDiff()).toContainText("apps/media-services/jellyfin/deployment.yaml");
  await expect(changes.previewDiff().locator('[data-diff="add"]')).toHaveCount(16);
  await expect(changes.previewDiff().locator('[data-diff="del"]')).toHaveCount(0);
  await expect(changes.previewDiff()).toContainText("+            path: /health");

  const prUrl = await changes.confirm();
  expect(prUrl).toMatch(new RegExp(`^${lab.forge.apiUrl}/${lab.forge.owner}/${lab.forge.repo}/pull/\\d+$`));
  // The forge took the labels: no warning under the result.
  await expect(changes.warnings()).toHaveCount(0);
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "dev_starr" } });
  expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "health-probes"]);
  const branch = pull?.head.ref ?? "";
  expect(branch).toMatch(/^panel\/probes-jellyfin-/);
  probesBranch = branch;

  // The change is listed with its pull request and diff.
  await expect(changes.change(branch)).toHaveAttribute("data-status", "open");
  await expect(changes.change(branch).getByTestId("change-pr-url")).toHaveAttribute("href", prUrl);
  await changes.change(branch).getByTestId("change-diff-toggle").click();
  await expect(changes.change(branch).locator('[data-diff="add"]').first()).toBeVisible();

  // The same change again points to the open pull request instead of opening another.
  await changes.previewChange("health-probes-media-jellyfin");
  await expect(changes.preview()).toHaveAttribute("data-outcome", "already_open");
  await expect(changes.alreadyOpen()).toContainText(prUrl);
  await expect(changes.confirmButton()).toHaveCount(0);

  // A reviewer merges it on the forge while Argo CD cannot render the repository -> merged, waiting.
  labCli("render-error", APP.namespace, APP.name, "repo server unavailable");
  const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);
  await changes.expectStatus(branch, "merged");
  await expect(changes.change(branch)).toContainText(`merge commit ${mergeSha.slice(0, 7)}`);

  // Argo CD renders again and syncs the merge commit: live, because the probes are on the cluster.
  labCli("render-error", APP.namespace, APP.name, "--clear");
  await changes.expectStatus(branch, "live");
  await expect(changes.change(branch).getByTestId("change-app")).toContainText(`Synced at ${mergeSha.slice(0, 7)} (includes the change)`);
  const deployment = await readLabObject<{ spec: { template: { spec: { containers: Container[] } } } }>("/apis/apps/v1/namespaces/media/deployments/jellyfin");
  expect(deployment?.spec.template.spec.containers[0]?.readinessProbe?.httpGet).toMatchObject({ path: "/health", port: 8096 });
  await expect
    .poll(async () => {
      const pods = ((await readLabObject<PodList>("/api/v1/namespaces/media/pods?labelSelector=app%3Djellyfin"))?.items ?? []).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length > 0 && pods.every((p) => p.spec.containers[0]?.readinessProbe?.httpGet?.path === "/health" && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    }, { timeout: 30_000 })
    .toBe(true);

  // The audit log has the proposal with its pull request link.
  await page.goto("/audit?action=changes.propose");
  await expect(page.getByTestId("audit-row").first()).toContainText("health-probes media/jellyfin");
  await expect(page.getByTestId("audit-row").first().getByRole("link", { name: "Pull request" })).toHaveAttribute("href", prUrl);
});

test("admin: the merged change is followed to live and healthy; a crash shows live but down; revert is the exact inverse and takes the probes away", async ({ page }) => {
  expect(probesBranch, "the first test merged a change").not.toBe("");
  await signIn(page, USERS.admin, "/changes");
  const changes = new ChangesPage(page);
  await changes.goto();
  const branch = probesBranch;
  // Followed until jellyfin is healthy by the panel's own verdict, not only Argo CD's badge.
  await changes.expectAfterSync(branch, "healthy");
  await expect(changes.afterSync(branch)).toContainText("live and healthy");

  // A lab control breaks jellyfin after the sync: the change says so, with the reason.
  labCli("crash-loop", "media", "jellyfin", "5");
  await changes.expectAfterSync(branch, "down");
  await expect(changes.afterSync(branch)).toContainText(/live, but jellyfin is (down|degraded) \(.+\) since the sync/);

  // Revert: the preview is `git revert -m 1` of the merge commit, the exact inverse of the change.
  const mergeSha = bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]);
  const forward = bareGit(lab, ["diff", `${mergeSha}^1`, mergeSha]);
  const preview = await changes.previewRevert(branch);
  await expect(preview).toHaveAttribute("data-outcome", "preview");
  await expect(preview).toContainText(`git revert -m 1 ${mergeSha.slice(0, 7)}`);
  const diff = preview.getByTestId("revert-preview-diff");
  await expect(diff.locator('[data-diff="del"]')).toHaveCount(16);
  await expect(diff.locator('[data-diff="add"]')).toHaveCount(0);
  await expect(diff).toContainText("-            path: /health");
  const prUrl = await changes.confirmRevert(branch);
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "dev_starr" }, title: 'Revert "jellyfin: add readiness and liveness probes"' });
  const revertBranch = pull?.head.ref ?? "";
  // The pushed branch is the exact inverse of the merge.
  const backward = bareGit(lab, ["diff", mergeSha, `refs/heads/${revertBranch}`]);
  const flip = (d: string) => d.split("\n").filter((l) => /^[+-](?![+-])/.test(l)).map((l) => (l[0] === "+" ? "-" : "+") + l.slice(1));
  expect(backward.split("\n").filter((l) => /^[+-](?![+-])/.test(l))).toEqual(flip(forward));
  await changes.goto();
  await expect(changes.change(revertBranch)).toHaveAttribute("data-status", "open");

  // Merged and synced: the objects are back as before the change.
  const revertSha = await mergeLabPull(lab, pull?.number ?? 0);
  await changes.expectStatus(revertBranch, "live");
  await expect(changes.change(revertBranch).getByTestId("change-app")).toContainText(`Synced at ${revertSha.slice(0, 7)}`);
  const deployment = await readLabObject<{ spec: { template: { spec: { containers: Container[] } } } }>("/apis/apps/v1/namespaces/media/deployments/jellyfin");
  expect(deployment?.spec.template.spec.containers[0]?.readinessProbe).toBeUndefined();
  expect(bareGit(lab, ["rev-parse", `${revertSha}^{tree}`])).toBe(bareGit(lab, ["rev-parse", `${mergeSha}^1^{tree}`]));
  await changes.expectAfterSync(revertBranch, "healthy");

  // The audit log has the revert with its pull request.
  await page.goto("/audit?action=changes.revert");
  await expect(page.getByTestId("audit-row").first().getByRole("link", { name: "Pull request" })).toHaveAttribute("href", prUrl);
});

test("viewer: sees the changes, and no button to propose or refresh", async ({ page }) => {
  await signIn(page, USERS.viewer, "/changes");
  const changes = new ChangesPage(page);
  await changes.goto();
  await expect(changes.changes().first()).toBeVisible();
  await expect(changes.proposeCard()).toHaveCount(0);
  await expect(changes.checkNowButton()).toHaveCount(0);
  await expect(page.getByRole("main").locator("button")).toHaveCount(0);
  // The server refuses a viewer too, and nothing reaches the forge.
  const pullsBefore = (await listLabPulls(lab)).length;
  for (const [name, args] of [
    ["previewChange", [{ kind: "health-probes", target: "qbittorrent/qbittorrent" }]],
    ["proposeChange", [{ request: { kind: "health-probes", target: "qbittorrent/qbittorrent" } }]],
  ] as const) {
    const result = await callServerAction(page.request, "/changes", "server/actions/changes.ts", name, [...args]);
    expect(result.text, name).toContain('"code":"forbidden"');
  }
  expect((await listLabPulls(lab)).length).toBe(pullsBefore);
});
