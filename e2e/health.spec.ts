import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createUnknownWorkload, deleteWorkload, labCli, listDeployments, readLab, simControl } from "./support/lab";
import { OverviewPage } from "./support/overview-page";
import { signIn } from "./support/pages";
import { USERS } from "./support/panel-env";

test.describe("service health against the lab", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, USERS.admin);
  });

  test("the overview lists every seeded service with its namespace, URL and version, none down", async ({ page }) => {
    const expected = listDeployments(readLab().namespaces);
    expect(expected.length).toBeGreaterThan(10);
    const overview = new OverviewPage(page);
    await overview.goto();
    await expect(overview.cards()).toHaveCount(expected.length);
    const shown = await overview.cards().evaluateAll((cards) => cards.map((c) => c.getAttribute("data-service")));
    expect([...shown].sort()).toEqual(expected);
    // The seeded apps answer their health APIs: a version appears once the first sweep is done.
    for (const id of ["media/sonarr", "media/radarr", "media/prowlarr", "media/jellyfin", "qbittorrent/qbittorrent"]) {
      await expect(overview.card(id).getByTestId("service-version")).toContainText(/v\d+\.\d+/, { timeout: 20_000 });
      await expect(overview.card(id).getByTestId("service-namespace")).toContainText(id.split("/")[0]!);
    }
    await expect(overview.card("media/sonarr").getByTestId("service-url")).toHaveText("https://home.brettswift.com/sonarr");
    await expect(overview.card("media/jellyseerr").getByTestId("service-url")).toHaveText("https://jellyseerr.home.brettswift.com/");
    await expect(page.locator('[data-testid="service-card"][data-status="down"]')).toHaveCount(0);
    await expect(page.getByTestId("live-indicator")).toHaveText("live");
  });

  test("the overview fetches no page the person did not reach for; a card's page is fetched when pointed at", async ({ page }) => {
    const rsc: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("_rsc=")) rsc.push(new URL(r.url()).pathname);
    });
    const overview = new OverviewPage(page);
    await overview.goto();
    await expect(overview.cards().first()).toBeVisible();
    await expect(page.getByTestId("live-indicator")).toHaveText("live");
    // Every card and navigation link is in view: none of their pages is fetched ahead, even a moment later.
    await page.waitForTimeout(1_500);
    expect(rsc).toEqual([]);
    await overview.card("media/sonarr").getByRole("link").first().hover();
    await expect.poll(() => rsc).toContain("/services/media/sonarr");
    expect(new Set(rsc)).toEqual(new Set(["/services/media/sonarr"]));
    // The sparkline is drawn by the server as SVG.
    await expect(overview.card("media/sonarr").locator("svg[role=img] path")).toHaveAttribute("d", /^M/, { timeout: 20_000 });
  });

  test("scaling sonarr to 0 shows it down within 15 s without a reload, and up again after", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.goto();
    await expect(overview.card("media/sonarr")).not.toHaveAttribute("data-status", "down");
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    try {
      labCli("scale", "media", "sonarr", "0");
      await overview.expectStatus("media/sonarr", "down", 15_000);
      await expect(overview.card("media/sonarr").getByTestId("service-reason")).toContainText(/0\/|scaled to 0|no replicas/);
    } finally {
      labCli("scale", "media", "sonarr", "1");
    }
    await expect(overview.card("media/sonarr")).not.toHaveAttribute("data-status", "down", { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  test("a health error reported by Radarr shows it degraded with the app's own message", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.goto();
    await simControl("radarr", { action: "pushHealth", level: "error", message: "Indexers unavailable due to failures" });
    try {
      await expect(overview.card("media/radarr").getByTestId("service-reason")).toContainText("Indexers unavailable due to failures", { timeout: 20_000 });
      await expect(overview.card("media/radarr")).toHaveAttribute("data-status", "degraded");
      await page.goto("/services/media/radarr");
      await expect(page.getByTestId("app-check").filter({ hasText: "Indexers unavailable due to failures" })).toBeVisible();
    } finally {
      await simControl("radarr", { action: "reset" });
    }
  });

  test("stopping the real qBittorrent process shows it down; started again, it recovers", async ({ page }) => {
    const data = readLab();
    const pidFile = path.join(data.labDir, "pids", "qbittorrent.pid");
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    expect(pid).toBeGreaterThan(0);
    const overview = new OverviewPage(page);
    await overview.goto();
    await expect(overview.card("qbittorrent/qbittorrent")).toHaveAttribute("data-status", "up", { timeout: 20_000 });
    process.kill(pid, "SIGTERM");
    try {
      await overview.expectStatus("qbittorrent/qbittorrent", "down", 30_000);
      await expect(overview.card("qbittorrent/qbittorrent").getByTestId("service-reason")).toContainText(/qBittorrent|unreachable|refused|not answer/i);
    } finally {
      // `lab up` restarts what is missing and keeps the rest.
      labCli("up");
    }
    await overview.expectStatus("qbittorrent/qbittorrent", "up", 30_000);
  });

  test("a workload of an app the panel has never seen shows with Kubernetes health only", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.goto();
    createUnknownWorkload("media", "mystery-app");
    try {
      await expect(overview.card("media/mystery-app")).toBeVisible({ timeout: 15_000 });
      await expect(overview.card("media/mystery-app").getByTestId("service-namespace")).toContainText("other");
      await expect(overview.card("media/mystery-app")).toHaveAttribute("data-status", "up", { timeout: 20_000 });
      await page.goto("/services/media/mystery-app");
      await expect(page.getByTestId("app-checks")).toContainText("Kubernetes health only");
      await expect(page.getByTestId("pod-row").first()).toContainText("ready");
    } finally {
      deleteWorkload("media", "mystery-app");
    }
  });

  test("a service's page follows its own service live, without a reload, fetching only its own data", async ({ page }) => {
    const detailRequests: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/api/services/")) detailRequests.push(path);
    });
    await page.goto("/services/media/radarr");
    const header = page.getByTestId("service-header");
    await expect(header.getByTestId("status")).not.toHaveAttribute("data-status", "down");
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    try {
      labCli("scale", "media", "radarr", "0");
      await expect(header.getByTestId("status")).toHaveAttribute("data-status", "down", { timeout: 15_000 });
    } finally {
      labCli("scale", "media", "radarr", "1");
    }
    await expect(header.getByTestId("status")).not.toHaveAttribute("data-status", "down", { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    // Only its own data was fetched again (the events name the services that changed).
    expect(detailRequests.length).toBeGreaterThan(0);
    expect(detailRequests.filter((p) => p !== "/api/services/media/radarr" && !p.startsWith("/api/services/media/radarr/"))).toEqual([]);
  });

  test("a service's page says which URL base the panel verified and why, and where the app's key came from", async ({ page }) => {
    await page.goto("/services/media/sonarr");
    const addresses = page.getByTestId("addresses");
    await expect(addresses.getByTestId("url-base-value")).toHaveText("/sonarr", { timeout: 20_000 });
    await expect(addresses.getByTestId("url-base-state")).toHaveText("verified");
    await expect(addresses.getByTestId("url-base-reason")).toContainText("the app answered as itself under it; from");
    await expect(addresses.getByTestId("url-base-trial").first()).toContainText("/sonarr");
    await expect(addresses.getByTestId("credential-source")).toContainText(/Credential: (Secret [a-z0-9-]+\/[a-z0-9-]+, key \S+|Deployment media\/sonarr, variable \S+)/);
    await expect(addresses.getByTestId("url-base-wrong-annotation")).toHaveCount(0);
  });

  test("the infrastructure apps show their own health and version: Prometheus (the lab's real one) and Grafana", async ({ page }) => {
    await page.goto("/services/monitoring/prometheus");
    await expect(page.getByTestId("detail-version")).toContainText(/\d+\.\d+/, { timeout: 20_000 });
    await expect(page.getByTestId("addresses").getByTestId("url-base-state")).toHaveText("verified");
    await page.goto("/services/monitoring/grafana");
    await expect(page.getByTestId("detail-version")).toContainText("11.2.0", { timeout: 20_000 });
    await expect(page.getByTestId("addresses").getByTestId("url-base-value")).toHaveText("/grafana");
    await expect(page.getByTestId("addresses").getByTestId("url-base-reason")).toContainText("GF_SERVER_ROOT_URL");
  });

  test("the service page shows pods, the app's version, uptime and charts", async ({ page }) => {
    await page.goto("/services/media/prowlarr");
    await expect(page.getByTestId("service-header")).toContainText("media/prowlarr");
    await expect(page.getByTestId("detail-version")).toContainText(/\d+\.\d+/);
    await expect(page.getByTestId("pod-row").first()).toContainText("ready");
    await expect(page.getByTestId("uptime-24h")).toContainText("%");
    await expect(page.getByTestId("latency-chart")).toBeVisible();
    // The chart library is loaded after the page: the plots replace their placeholders.
    await expect(page.getByTestId("latency-chart").locator("svg.recharts-surface")).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("availability-chart").locator("svg.recharts-surface")).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("plot-loading")).toHaveCount(0);
    await expect(page.getByTestId("link-app")).toHaveAttribute("href", "https://home.brettswift.com/prowlarr");
    await page.getByRole("button", { name: "7d" }).click();
    await expect(page.getByRole("button", { name: "7d" })).toHaveAttribute("aria-pressed", "true");
  });
});
