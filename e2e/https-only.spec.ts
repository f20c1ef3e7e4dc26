import { expect, test, type Page } from "@playwright/test";
import { ChangesPage } from "./support/changes-page";
import { bareGit, listLabPulls, mergeLabPull, readApplicationSync, requireLabGitops, readLabObject, resetLabGitops, type LabGitops } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * HTTPS-only by pull request, against the lab: an Ingress in Git without a tls block
 * (`media/jellyfin-slash-redirect`), found by the live probe of the Certificates page, fixed by the
 * pull request the page proposes on the lab's forge, merged, synced by the lab's Argo CD, and
 * passing the check on the next probe.
 */

const INGRESS = "media/jellyfin-slash-redirect";
const HOST = "home.brettswift.com";
const FILE = "apps/media-services/jellyfin/ingress-redirect.yaml";
const APP = { namespace: "argocd", name: "jellyfin-production-cluster" };
let lab: LabGitops;

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  lab = requireLabGitops();
  await resetLabGitops(lab);
});

test.afterAll(async () => {
  if (!lab) return;
  await resetLabGitops(lab);
  // The lab's Argo CD takes the Ingress back to the imported commit before the next spec.
  const base = bareGit(lab, ["rev-parse", "refs/heads/dev_starr"]);
  await expect.poll(async () => await readApplicationSync(APP.namespace, APP.name), { timeout: 90_000 }).toMatchObject({ status: "Synced", revision: base });
  await expect.poll(async () => ((await readLabObject<{ spec: { tls?: unknown[] } }>("/apis/networking.k8s.io/v1/namespaces/media/ingresses/jellyfin-slash-redirect"))?.spec.tls ?? []).length, { timeout: 30_000 }).toBe(0);
});

/** Probes every host now (the page's button) and waits for the answer. */
async function probeNow(page: Page): Promise<void> {
  await page.getByTestId("probe-now").click();
  await expect(page.getByTestId("probe-result")).toContainText(/Probed \d+ host/, { timeout: 30_000 });
}

const row = (page: Page) => page.locator(`[data-testid="https-row"][data-ingress="${INGRESS}"]`);

test("an Ingress without a tls block: the Certificates page proposes the fix, the pull request carries the expected diff, and once merged and synced the check passes", async ({ page }) => {
  await signIn(page, USERS.admin, "/certificates");
  await page.goto("/certificates");
  await probeNow(page);
  await expect(row(page)).toHaveAttribute("data-host", HOST);
  await expect(row(page)).toHaveAttribute("data-state", "warning");
  await expect(row(page).getByTestId("https-signals")).toContainText(`The Ingress has no tls block for ${HOST}`);
  await expect(row(page).getByTestId("https-hsts")).toHaveText("no tls block");

  // Propose a fix -> preview: the tls block with the Secret the host's other Ingresses use, and ssl-redirect.
  await row(page).getByTestId("https-fix").click();
  await row(page).getByTestId("propose-https-only-media-jellyfin-slash-redirect").click();
  const preview = row(page).getByTestId("change-preview");
  await expect(preview).toHaveAttribute("data-outcome", "preview", { timeout: 30_000 });
  await expect(preview).toContainText("Into dev_starr");
  await expect(preview).toContainText("the Certificate argocd/home-brettswift-com-dns");
  const diff = row(page).getByTestId("change-preview-diff");
  await expect(diff).toContainText(FILE);
  await expect(diff.locator('[data-diff="add"]')).toHaveText(['    nginx.ingress.kubernetes.io/ssl-redirect: "true"', "  tls:", "  - hosts:", `    - ${HOST}`, "    secretName: home-brettswift-com-tls"].map((l) => `+${l}`));
  await expect(diff.locator('[data-diff="del"]')).toHaveCount(0);

  // Confirm -> a pull request on the lab's forge, with the change's labels.
  await row(page).getByTestId("change-confirm").click();
  const link = row(page).getByTestId("change-pr-link");
  await expect(link).toBeVisible({ timeout: 30_000 });
  const prUrl = (await link.getAttribute("href")) ?? "";
  expect(prUrl).toMatch(new RegExp(`^${lab.forge.apiUrl}/${lab.forge.owner}/${lab.forge.repo}/pull/\\d+$`));
  const pull = (await listLabPulls(lab)).find((p) => p.html_url === prUrl);
  expect(pull).toMatchObject({ state: "open", base: { ref: "dev_starr" } });
  expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "https-only"]);
  const branch = pull?.head.ref ?? "";

  // The diff in Git: exactly the tls block and the redirect annotation, the rest of the file as it was.
  const gitDiff = bareGit(lab, ["diff", "refs/heads/dev_starr", `refs/heads/${branch}`]);
  expect(gitDiff).toContain(`a/${FILE} b/${FILE}`);
  expect(gitDiff.split("\n").filter((l) => /^[+-](?![+-])/.test(l))).toEqual(['+    nginx.ingress.kubernetes.io/ssl-redirect: "true"', "+  tls:", "+  - hosts:", `+    - ${HOST}`, "+    secretName: home-brettswift-com-tls"]);
  const after = bareGit(lab, ["show", `refs/heads/${branch}:${FILE}`]);
  expect(after).toContain("nginx.ingress.kubernetes.io/permanent-redirect: https://$host/jellyfin/");

  // The Changes page lists it, open.
  const changes = new ChangesPage(page);
  await changes.goto();
  await expect(changes.change(branch)).toHaveAttribute("data-status", "open");

  // Merged on the forge and synced by the lab's Argo CD: the live Ingress has the tls block.
  const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);
  await expect.poll(async () => await readApplicationSync(APP.namespace, APP.name), { timeout: 120_000 }).toMatchObject({ status: "Synced", revision: mergeSha });
  const live = await readLabObject<{ metadata: { annotations?: Record<string, string> }; spec: { tls?: Array<{ hosts: string[]; secretName: string }> } }>("/apis/networking.k8s.io/v1/namespaces/media/ingresses/jellyfin-slash-redirect");
  expect(live?.spec.tls).toEqual([{ hosts: [HOST], secretName: "home-brettswift-com-tls" }]);
  expect(live?.metadata.annotations?.["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("true");

  // The next probe: plain HTTP redirects to HTTPS on the host, HSTS is there, no signal and no fix left.
  await page.goto("/certificates");
  await expect(async () => {
    await probeNow(page);
    await expect(row(page)).toHaveAttribute("data-state", "ok", { timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(row(page).getByTestId("https-fine")).toHaveText("HTTPS only");
  await expect(row(page).getByTestId("https-http")).toContainText(`308 → https://${HOST}`);
  await expect(row(page).getByTestId("https-hsts")).toContainText("1 year");
  await expect(row(page).getByTestId("https-fix")).toHaveCount(0);
});
