import { expect, test, type Page } from "@playwright/test";
import { ApplicationsPage } from "./support/applications-page";
import { labCli } from "./support/lab";
import { readLabObject } from "./support/lab-gitops";
import { OverviewPage } from "./support/overview-page";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

/**
 * Argo CD on every page, against the lab's Argo CD: each lab control breaks an Application the way
 * real events do (a repo server that cannot render, drift from Git, a volume gone), and the panel
 * shows it on the service's card, its page, the Applications view and the Overview banner, live.
 */

const MEDIA = "media-services-production-cluster";
const JELLYFIN = "jellyfin-production-cluster";

interface LabApp {
  metadata: { name: string };
  status?: { sync?: { status?: string }; health?: { status?: string } };
}

async function labApplications(): Promise<LabApp[]> {
  return (await readLabObject<{ items: LabApp[] }>("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"))?.items ?? [];
}

async function expectSettled(name: string) {
  await expect
    .poll(async () => {
      const app = (await labApplications()).find((a) => a.metadata.name === name);
      return `${app?.status?.sync?.status}/${app?.status?.health?.status}`;
    }, { timeout: 60_000 })
    .toBe("Synced/Healthy");
}

async function noReload(page: Page) {
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}

async function stillNoReload(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

test.describe.configure({ mode: "serial", timeout: 240_000 });

test.beforeEach(async ({ page }) => {
  await signIn(page, USERS.viewer);
});

test("the Applications view lists every Application and ApplicationSet of the lab with sync, revision, health and the last sync", async ({ page }) => {
  const apps = await labApplications();
  expect(apps.length).toBeGreaterThan(5);
  const view = new ApplicationsPage(page);
  await page.getByTestId("nav-applications").click();
  await expect(page).toHaveURL(/\/applications$/);
  await expect(view.rows()).toHaveCount(apps.length);
  const media = view.row(MEDIA);
  await expect(media).toHaveAttribute("data-sync", "Synced");
  await expect(media).toHaveAttribute("data-health", "Healthy");
  await expect(media).toContainText(/[0-9a-f]{7}/);
  await expect(media.getByRole("link", { name: "Sonarr" })).toHaveAttribute("href", "/services/media/sonarr");
  // Every ApplicationSet, with the Applications it generated.
  const appsets = (await readLabObject<{ items: Array<{ metadata: { name: string } }> }>("/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets"))?.items ?? [];
  expect(appsets.length).toBeGreaterThan(0);
  await expect(view.appSets()).toHaveCount(appsets.length);
  await expect(view.appSet("media-services-starr").getByTestId("applicationset-generated")).toHaveText(`Generated: ${MEDIA}`);
  await expect(view.row(MEDIA)).toContainText("from ApplicationSet media-services-starr");
});

test("ComparisonError: the repo server cannot render jellyfin's Application -> card, page, Applications view and banner name it, live", async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.goto();
  await expect(overview.card("media/jellyfin").getByTestId("service-argocd")).toHaveAttribute("data-argocd-app", JELLYFIN);
  const named = page.locator(`[data-testid="summary-argocd"] [data-argocd-app="${JELLYFIN}"]`);
  await expect(named).toHaveCount(0);
  // The lab's repository really has two Applications whose path does not exist: the banner names them.
  await expect(page.locator('[data-testid="summary-argocd"] [data-argocd-app="sample-hello-production-cluster"][data-problem="ComparisonError"]')).toContainText("app path does not exist");
  await noReload(page);
  try {
    labCli("render-error", "argocd", JELLYFIN, "repo server unavailable");
    const card = overview.card("media/jellyfin");
    await expect(card.getByTestId("service-argocd-message")).toContainText("ComparisonError", { timeout: 20_000 });
    await expect(card.getByTestId("service-argocd-message")).toContainText("repo server unavailable");
    const banner = page.locator(`[data-testid="summary-argocd"] [data-argocd-app="${JELLYFIN}"][data-problem="ComparisonError"]`);
    await expect(banner).toContainText("repo server unavailable");
    await stillNoReload(page);

    await page.goto("/services/media/jellyfin");
    const panel = page.getByTestId("argocd-app");
    await expect(panel).toContainText(`Argo CD: ${JELLYFIN}`);
    await expect(panel.locator('[data-problem="ComparisonError"]')).toContainText("repo server unavailable");

    const view = new ApplicationsPage(page);
    await view.goto();
    await expect(view.row(JELLYFIN).getByTestId("application-problems").locator('[data-problem="ComparisonError"]')).toContainText("repo server unavailable");
  } finally {
    labCli("render-error", "argocd", JELLYFIN, "--clear");
  }
  await expectSettled(JELLYFIN);
  await page.goto("/");
  await expect(page.locator(`[data-testid="summary-argocd"] [data-argocd-app="${JELLYFIN}"]`)).toHaveCount(0, { timeout: 20_000 });
});

test("OutOfSync: sonarr scaled by hand (self-heal off) -> its Application is OutOfSync on card, page, view and banner; back in sync after", async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.goto();
  await noReload(page);
  try {
    labCli("scale", "media", "sonarr", "2");
    const card = overview.card("media/sonarr");
    await expect(card.getByTestId("argocd-sync")).toHaveAttribute("data-sync", "OutOfSync", { timeout: 20_000 });
    await expect(card.getByTestId("service-argocd-message")).toContainText("Deployment sonarr differs from Git");
    await expect(page.locator(`[data-testid="summary-argocd"] [data-argocd-app="${MEDIA}"][data-problem="OutOfSync"]`)).toContainText("Deployment sonarr differs from Git");
    await stillNoReload(page);

    await page.goto("/services/media/sonarr");
    await expect(page.getByTestId("argocd-app").getByTestId("argocd-sync")).toHaveAttribute("data-sync", "OutOfSync");
    await expect(page.getByTestId("argocd-app").locator('[data-resource="Deployment/sonarr"]')).toContainText("OutOfSync");

    const view = new ApplicationsPage(page);
    await view.goto();
    await expect(view.row(MEDIA)).toHaveAttribute("data-sync", "OutOfSync");
    await expect(view.row(MEDIA).locator('[data-resource="Deployment/sonarr"]')).toContainText("OutOfSync");
  } finally {
    labCli("scale", "media", "sonarr", "1");
  }
  await expectSettled(MEDIA);
});

test("Degraded: sonarr's volume is lost -> its Application is Degraded with Argo CD's reason on card, page, view and banner", async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.goto();
  await noReload(page);
  try {
    labCli("claim-lost", "media", "sonarr-config", "true");
    const card = overview.card("media/sonarr");
    await expect(card.getByTestId("argocd-health")).toHaveAttribute("data-health", "Degraded", { timeout: 20_000 });
    await expect(card.getByTestId("service-argocd-message")).toContainText("PersistentVolumeClaim sonarr-config");
    await expect(page.locator(`[data-testid="summary-argocd"] [data-argocd-app="${MEDIA}"][data-problem="Degraded"]`)).toContainText("sonarr-config");
    await stillNoReload(page);

    await page.goto("/services/media/sonarr");
    await expect(page.getByTestId("argocd-app").getByTestId("argocd-health")).toHaveAttribute("data-health", "Degraded");
    await expect(page.getByTestId("argocd-app").locator('[data-resource="PersistentVolumeClaim/sonarr-config"]')).toContainText("Degraded");

    const view = new ApplicationsPage(page);
    await view.goto();
    await expect(view.row(MEDIA)).toHaveAttribute("data-health", "Degraded");
    await expect(view.row(MEDIA).locator('[data-problem="Degraded"]')).toContainText("sonarr-config");
  } finally {
    labCli("claim-lost", "media", "sonarr-config", "false");
  }
  await expectSettled(MEDIA);
});
