import { expect, test, type Page } from "@playwright/test";
import { ForgeControls } from "../lab/forge/controls";
import { labCli } from "./support/lab";
import { listLabPulls, mergeLabPull, requireLabGitops, readLabObject, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { callServerAction } from "./support/server-actions";
import { USERS } from "./support/panel-env";

/**
 * "Make everything ready" against the seeded lab: the preview lists every fix the matrix offers,
 * grouped and in order, with what each changes; running it opens the pull requests and does the
 * actions through their own guarded actions, each step with its result; a refused pull request
 * fails its step and the others go on. The "enable backups" of the services of one namespace is one
 * pull request. After the lab merges qBittorrent's and Argo CD syncs it, qBittorrent's backup cell
 * moves on, and a second run backs it up and drills the backup: the cell passes and the score
 * rises. The media services' one, merged after, is still mergeable and Argo CD applies every
 * CronJob it lists. A viewer gets no such button, and the step
 * action refuses them.
 */

const QBIT = "qbittorrent/qbittorrent";
const QBIT_SLUG = "qbittorrent-qbittorrent";
/** The "enable backups" steps: qBittorrent's, and the one for the media services, which share kustomizations. */
const ENABLE = "change:enable-backups:qbittorrent/backups";
const ENABLE_MEDIA = "change:enable-backups:media/backups";
let lab: LabGitops;

interface Matrix {
  score: { passed: number; applicable: number; percent: number };
  services: Array<{ id: string; score: { passed: number; applicable: number; percent: number }; cells: Array<{ requirement: string; state: string; reason: string }> }>;
}

test.describe.configure({ mode: "serial", timeout: 600_000 });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
  labCli("clear-job-faults", "qbittorrent");
});

test.afterAll(async () => {
  if (!lab) return;
  labCli("clear-job-faults", "qbittorrent");
  await resetLabGitops(lab);
  labCli("reset");
});

async function readMatrix(page: Page): Promise<Matrix> {
  const res = await page.request.get("/api/readiness");
  expect(res.status()).toBe(200);
  return (await res.json()) as Matrix;
}

function cellOf(m: Matrix, service: string, requirement: string) {
  return m.services.find((s) => s.id === service)?.cells.find((c) => c.requirement === requirement);
}

async function openPreview(page: Page) {
  await page.goto("/readiness");
  await page.getByTestId("make-ready-open").click();
  const preview = page.getByTestId("make-ready-preview");
  await expect(preview).toBeVisible({ timeout: 120_000 });
  return preview;
}

/** Runs the previewed steps and waits for the closing line; returns each step's state by id. */
async function runAll(page: Page): Promise<Map<string, { state: string; result: string }>> {
  await page.getByTestId("make-ready-confirm").click();
  const summary = page.getByTestId("make-ready-summary");
  await expect(async () => {
    if ((await summary.count()) === 0) {
      const states = await page.getByTestId("make-ready-step").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-step")}=${e.getAttribute("data-state")}`).join(", "));
      throw new Error(`make everything ready still running; steps: ${states}`);
    }
  }).toPass({ timeout: 360_000, intervals: [2_000] });
  const out = new Map<string, { state: string; result: string }>();
  for (const step of await page.getByTestId("make-ready-step").all()) {
    out.set((await step.getAttribute("data-step")) ?? "", { state: (await step.getAttribute("data-state")) ?? "", result: (await step.getByTestId("step-result").textContent()) ?? "" });
  }
  return out;
}

test("a viewer sees the matrix without the button, and the step action refuses them", async ({ page }) => {
  await signIn(page, USERS.viewer);
  await page.goto("/readiness");
  await expect(page.getByTestId("readiness-matrix")).toBeVisible();
  await expect(page.getByTestId("make-ready-open")).toHaveCount(0);
  // The server refuses them too, whatever the page shows: nothing is proposed.
  const direct = await callServerAction(page.request, "/readiness", "server/actions/readiness.ts", "runMakeReadyStepAction", [{ fix: { kind: "change", request: { kind: "alert-rules" } } }]);
  expect(direct.text).toContain("forbidden");
  const preview = await callServerAction(page.request, "/readiness", "server/actions/readiness.ts", "previewMakeReadyAction", [{}]);
  expect(preview.text).toContain("forbidden");
  expect((await listLabPulls(lab)).filter((p) => p.state === "open")).toEqual([]);
});

test("admin: make everything ready previews every fix in order, runs them with a result each (a refused pull request fails alone), and after the merge and sync a second run backs qBittorrent up and drills it", async ({ page }) => {
  await signIn(page, USERS.admin);
  const before = await readMatrix(page);
  expect(cellOf(before, QBIT, "backed-up")?.reason).toMatch(/^No backup: /);

  // The preview: grouped steps, in order, each with the cells it is for and what it changes.
  const preview = await openPreview(page);
  const steps = page.getByTestId("make-ready-step");
  const ids = await steps.evaluateAll((els) => els.map((e) => e.getAttribute("data-step") ?? ""));
  expect(ids.filter((id) => id.startsWith("change:enable-backups:")), `every step: ${ids.join(", ")}`).toEqual([ENABLE_MEDIA, ENABLE]);
  const enable = page.locator(`[data-testid="make-ready-step"][data-step="${ENABLE}"]`);
  await expect(enable.getByTestId("step-title")).toHaveText(`Pull request: enable backups of ${QBIT}`);
  await expect(enable.getByTestId("step-cells")).toContainText(`${QBIT} (backed-up)`);
  await expect(enable.getByTestId("step-changes")).toContainText("qbittorrent-backup.yaml");
  // The media services' step: several services, each one's CronJob in the one pull request, and
  // the kustomization they share edited once.
  const media = page.locator(`[data-testid="make-ready-step"][data-step="${ENABLE_MEDIA}"]`);
  const mediaServices = ((await media.getByTestId("step-title").textContent()) ?? "").replace("Pull request: enable backups of ", "").split(", ");
  expect(mediaServices.length, `the media step's services: ${mediaServices.join(", ")}`).toBeGreaterThan(1);
  const mediaChanges = (await media.getByTestId("step-changes").textContent()) ?? "";
  for (const id of mediaServices) expect(mediaChanges, id).toContain(`${id.split("/")[1]}-backup.yaml`);
  expect(mediaChanges.split("edits apps/media-services/starr/kustomization.yaml").length - 1, mediaChanges).toBe(1);
  // Pull requests come last, after the actions through the apps and the cluster.
  const groups = await preview.locator("[data-testid^='make-ready-group-']").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
  expect(groups[groups.length - 1]).toBe("make-ready-group-pull-requests");
  const kinds = await steps.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind") ?? ""));
  expect(kinds.slice(kinds.indexOf("change")).every((k) => k === "change")).toBe(true);
  // Nothing ran yet: no pull request is open.
  expect((await listLabPulls(lab)).filter((p) => p.state === "open")).toEqual([]);

  // The forge refuses one pull request, qBittorrent's health probes (not one the merges below need):
  // that step fails with the reason, the others go on.
  const changeSteps = ids.filter((id) => id.startsWith("change:"));
  const refused = `change:health-probes:${QBIT}`;
  expect(changeSteps, "the pull request steps").toContain(refused);
  await new ForgeControls(lab.forge).refusePullCreation(1, "panel/probes-qbittorrent-");
  const results = await runAll(page);
  const all = JSON.stringify([...results]);
  expect(results.get(refused)?.state, `the refused step; every step: ${all}`).toBe("failed");
  expect(results.get(refused)?.result).toMatch(/Bad credentials|401|token/i);
  for (const id of changeSteps.filter((s) => s !== refused)) expect(results.get(id)?.state, `${id}; every step: ${all}`).toBe("done");
  // Links the matrix found broken were fixed through the apps' APIs, each tested by the app after its
  // write (an earlier file may have left them all working: then there is no such step).
  if (ids.includes("integrations")) expect(results.get("integrations")?.state, `every step: ${all}`).toBe("done");
  for (const [id, r] of results) expect(r.result.length, `${id} has a result`).toBeGreaterThan(0);
  await expect(page.getByTestId("make-ready-summary")).toContainText("did not stop the steps that do not depend on it");

  // The pull requests are open on the forge; the step links to its own.
  const open = (await listLabPulls(lab)).filter((p) => p.state === "open");
  expect(open.length).toBe(changeSteps.length - 1);
  const enablePr = open.find((p) => p.labels.some((l) => l.name === "backups") && p.body?.includes(QBIT));
  expect(enablePr, `open pull requests: ${open.map((p) => p.title).join("; ")}`).toBeDefined();
  await expect(enable.getByTestId("step-link")).toHaveAttribute("href", enablePr!.html_url);
  const mediaPr = open.find((p) => p.labels.some((l) => l.name === "backups") && mediaServices.every((id) => p.body?.includes(id)));
  expect(mediaPr, `open pull requests: ${open.map((p) => p.title).join("; ")}`).toBeDefined();
  await expect(media.getByTestId("step-link")).toHaveAttribute("href", mediaPr!.html_url);

  // The audit log has the run, step by step.
  await page.goto("/audit?action=readiness.step");
  await expect(page.getByTestId("audit-row").filter({ hasText: ENABLE })).toHaveCount(1);
  await expect(page.getByTestId("audit-row").filter({ hasText: refused }).first()).toContainText("failed");
  await page.goto("/audit?action=changes.propose");
  await expect(page.getByTestId("audit-row").filter({ hasText: `enable-backups ${QBIT}` }).first()).toBeVisible();

  // A reviewer merges qBittorrent's enable-backups pull request; the lab's Argo CD applies it.
  await mergeLabPull(lab, enablePr!.number);
  await expect(async () => {
    const names = (await readLabObject<{ items: Array<{ metadata: { name: string } }> }>("/apis/batch/v1/namespaces/qbittorrent/cronjobs?labelSelector=k8s-nas-panel%2Fbackup%3Dtrue"))?.items.map((c) => c.metadata.name) ?? [];
    if (!names.includes("qbittorrent-backup")) throw new Error(`no backup CronJob of ${QBIT} after the merge yet (backup CronJobs in qbittorrent: ${names.join(", ") || "none"})`);
  }).toPass({ timeout: 180_000, intervals: [2_000] });
  // Enabled now, not yet protected: no good backup, or (when earlier files of the run left qBittorrent a
  // backup history in this panel's database) a stale one; both offer "back up now" and the drill.
  await expect
    .poll(async () => cellOf(await readMatrix(page), QBIT, "backed-up")?.reason ?? "", { timeout: 90_000, message: "qBittorrent's backup cell after the sync" })
    .toMatch(/^(No good backup yet|Backup stale)/);

  // The second run offers what the merge enabled: back up now, then the drill of that backup.
  await openPreview(page);
  const again = await page.getByTestId("make-ready-step").evaluateAll((els) => els.map((e) => e.getAttribute("data-step") ?? ""));
  expect(again.indexOf(`backup:${QBIT}`)).toBeGreaterThanOrEqual(0);
  expect(again.indexOf(`drill:${QBIT}`)).toBeGreaterThan(again.indexOf(`backup:${QBIT}`));
  const second = await runAll(page);
  expect(second.get(`backup:${QBIT}`), JSON.stringify(second.get(`backup:${QBIT}`))).toMatchObject({ state: "done" });
  expect(second.get(`drill:${QBIT}`), JSON.stringify(second.get(`drill:${QBIT}`))).toMatchObject({ state: "done" });
  expect(second.get(`drill:${QBIT}`)?.result).toContain("passed");

  // The cell passes on the page and the score rose.
  await page.goto("/readiness");
  await expect(page.getByTestId(`cell-${QBIT_SLUG}-backed-up`)).toHaveAttribute("data-state", "passed");
  const after = await readMatrix(page);
  const qBefore = before.services.find((s) => s.id === QBIT)!.score;
  const qAfter = after.services.find((s) => s.id === QBIT)!.score;
  expect(qAfter.passed, `qBittorrent's score before ${JSON.stringify(qBefore)}, after ${JSON.stringify(qAfter)}`).toBeGreaterThan(qBefore.passed);
  expect(after.score.passed).toBeGreaterThan(before.score.passed);

  // Then the media services' pull request, still mergeable after the other merge: Argo CD applies
  // every CronJob it lists, though they share kustomizations.
  await mergeLabPull(lab, mediaPr!.number);
  for (const id of mediaServices) {
    const [namespace, name] = id.split("/") as [string, string];
    await expect(async () => {
      const names = (await readLabObject<{ items: Array<{ metadata: { name: string } }> }>(`/apis/batch/v1/namespaces/${namespace}/cronjobs?labelSelector=k8s-nas-panel%2Fbackup%3Dtrue`))?.items.map((c) => c.metadata.name) ?? [];
      if (!names.includes(`${name}-backup`)) throw new Error(`no backup CronJob of ${id} after the merge yet (backup CronJobs in ${namespace}: ${names.join(", ") || "none"})`);
    }).toPass({ timeout: 180_000, intervals: [2_000] });
  }
});
