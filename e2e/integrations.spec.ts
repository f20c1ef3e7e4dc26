import { expect, test, type Page } from "@playwright/test";
import { resetAll, SimulatorControl } from "../lab/sims/control";
import { IntegrationsPage } from "./support/integrations-page";
import { labIntegrationSettings, readLabIntegrationJson, type LabIntegrationJson } from "./support/lab-integrations";
import { E2E_METRICS_TOKEN, ROOT, USERS } from "./support/panel-env";
import { signIn } from "./support/pages";
import { callServerAction } from "./support/server-actions";

/**
 * The Integrations page in chromium against the lab (real qBittorrent, spec-validated simulators):
 * every link missing on a fresh lab, "fix everything" through the preview, all ok, nothing to change
 * the second time; a viewer sees everything and can change nothing; a Gluetun leak is shown and
 * exported. Every response the browser receives is checked for the lab's keys and passwords.
 */

const lab = readLabIntegrationJson(ROOT) as (LabIntegrationJson & { apps: Record<string, { controlUrl?: string }> }) | undefined;
const secrets = lab ? labIntegrationSettings(lab).secretValues : [];

function control(id: string): SimulatorControl {
  const url = lab?.apps[id]?.controlUrl;
  if (!url) throw new Error(`the lab has no simulator ${id}`);
  return new SimulatorControl(url);
}

/** Collects the text of every HTML, JSON and server-action response the page receives. */
function recordResponses(page: Page): string[] {
  const bodies: string[] = [];
  page.on("response", async (response) => {
    const type = response.headers()["content-type"] ?? "";
    if (!/html|json|text\/x-component|text\/plain/.test(type)) return;
    try {
      bodies.push(await response.text());
    } catch {
      // Redirects and aborted requests have no body.
    }
  });
  return bodies;
}

function expectNoSecrets(bodies: string[]) {
  expect(bodies.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    const hit = bodies.find((b) => b.includes(secret));
    expect(hit === undefined, `a response contains a lab secret ending in ${secret.slice(-4)}`).toBe(true);
  }
}

test.describe("integrations", () => {
  // Without the lab these tests fail (they are not skipped): a missing lab must not pass silently.
  test.beforeAll(() => {
    if (!lab) throw new Error("needs the lab (npm run lab -- up; npm test starts it)");
  });
  test.describe.configure({ timeout: 120_000 });

  test.beforeEach(async () => {
    await resetAll(control("sonarr").controlUrl);
  });

  test.afterAll(async () => {
    // Leave the simulators as seeded for the specs that run after this one.
    await resetAll(control("sonarr").controlUrl);
  });

  test("admin: every link missing, fix everything after the preview, all ok, then nothing to change", async ({ page }) => {
    const bodies = recordResponses(page);
    await signIn(page, USERS.admin, "/integrations");
    const integrations = new IntegrationsPage(page);
    await integrations.goto();
    const before = await integrations.states();
    const wired = Object.entries(before).filter(([id]) => !id.startsWith("unpackerr->"));
    expect(wired.length).toBeGreaterThanOrEqual(14);
    expect(wired.filter(([, s]) => s !== "missing")).toEqual([]);
    expect(before["unpackerr->sonarr"]).toBe("needs_git");
    await expect(integrations.key("sonarr")).toHaveAttribute("data-verdict", "accepted");
    await expect(integrations.key("sonarr").getByTestId("key-hint")).toContainText("present, ends in …");
    await expect(integrations.vpn("qbittorrent/qbittorrent")).toHaveAttribute("data-status", "protected");

    await integrations.fixEverything().click();
    await expect(integrations.dialog()).toBeVisible();
    await expect(integrations.planSteps()).toHaveCount(wired.length);
    await expect(integrations.dialog().getByTestId("plan-sentence")).toContainText(`${wired.length} changes`);
    // The preview shows Jellyseerr's choices, taken from what Sonarr offers.
    await expect(integrations.dialog().locator('[data-link-id="jellyseerr->sonarr"]').getByTestId("option-qualityProfile")).toBeVisible();
    await integrations.confirm();
    await expect(integrations.results()).toHaveCount(wired.length);
    for (const r of await integrations.results().all()) await expect(r).toHaveAttribute("data-outcome", /created|updated/);
    await integrations.closeDialog();

    await page.reload();
    await expect(integrations.summary()).toBeVisible({ timeout: 30_000 });
    const after = await integrations.states();
    expect(Object.entries(after).filter(([id, s]) => !id.startsWith("unpackerr->") && s !== "ok")).toEqual([]);
    await expect(integrations.fixButtons()).toHaveCount(0);

    await integrations.fixEverything().click();
    await expect(integrations.dialog().getByTestId("plan-empty")).toHaveText("Nothing to change.");
    await integrations.dialog().getByTestId("fix-cancel").click();

    await page.goto("/audit");
    const row = page.getByTestId("audit-row").filter({ hasText: "integrations.apply" }).first();
    await expect(row).toContainText(`${wired.length} changed`);
    expectNoSecrets(bodies);
  });

  test("one action pushes the qBittorrent download client to every *arr app", async ({ page }) => {
    await signIn(page, USERS.admin, "/integrations");
    const integrations = new IntegrationsPage(page);
    await integrations.goto();
    // Every *arr app with a library gets the download client: as many as the page lists.
    const toQbit = Object.keys(await integrations.states()).filter((id) => id.endsWith("->qbittorrent"));
    expect(toQbit).toEqual(expect.arrayContaining(["sonarr->qbittorrent", "radarr->qbittorrent", "lidarr->qbittorrent"]));
    const group = page.getByTestId("link-group").filter({ hasText: "To qBittorrent" });
    await group.getByTestId("group-fix").click();
    await expect(integrations.planSteps()).toHaveCount(toQbit.length);
    await expect(integrations.dialog()).toContainText("Sonarr → qBittorrent");
    await integrations.confirm();
    await expect(integrations.results()).toHaveCount(toQbit.length);
    await integrations.closeDialog();
    for (const id of toQbit) await expect(integrations.link(id)).toHaveAttribute("data-state", "ok");
    await expect(integrations.link("sonarr->sabnzbd")).toHaveAttribute("data-state", "missing");
  });

  test("viewer: sees the links, no buttons, and the server refuses the action", async ({ page }) => {
    const bodies = recordResponses(page);
    await signIn(page, USERS.viewer, "/integrations");
    const integrations = new IntegrationsPage(page);
    await integrations.goto();
    await expect(integrations.links().first()).toBeVisible();
    await expect(integrations.fixEverything()).toHaveCount(0);
    await expect(integrations.fixButtons()).toHaveCount(0);
    await expect(page.getByTestId("group-fix")).toHaveCount(0);
    // A viewer learns that a key is there, not how it ends (admins see the last four characters).
    await expect(integrations.key("sonarr").getByTestId("key-hint")).toContainText("present");
    await expect(page.getByTestId("key-panel")).not.toContainText("ends in");
    const before = await integrations.states();
    expect(Object.values(before)).toContain("missing");
    const keys = await integrations.links().evaluateAll((els) => els.map((e) => e.getAttribute("data-link-key") ?? ""));
    const result = await callServerAction(page.request, "/integrations", "server/actions/integrations.ts", "applyIntegrationFixes", [{ keys }]);
    expect(result.text).toContain('"code":"forbidden"');
    await page.reload();
    await expect(integrations.summary()).toBeVisible({ timeout: 30_000 });
    expect(await integrations.states()).toEqual(before);
    await page.goto("/audit?result=refused");
    await expect(page.getByTestId("audit-row").filter({ hasText: "integrations.apply" }).first()).toContainText(USERS.viewer.username);
    expectNoSecrets([...bodies, result.text]);
  });

  test("Gluetun leaking: the VPN panel says LEAK and the metric says so", async ({ page, request }) => {
    await control("gluetun-qbittorrent").set({ leak: true });
    try {
      await signIn(page, USERS.viewer, "/integrations");
      const integrations = new IntegrationsPage(page);
      await integrations.goto();
      await expect(integrations.vpn("qbittorrent/qbittorrent")).toHaveAttribute("data-status", "leak");
      await expect(integrations.vpn("qbittorrent/qbittorrent").getByTestId("vpn-message")).toContainText("LEAK: traffic exits from the home IP");
      await expect(integrations.vpn("media/sabnzbd")).toHaveAttribute("data-status", "protected");
      await expect(page.getByTestId("vpn-leak-alert")).toContainText("qBittorrent: VPN leak");
      const metrics = await (await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } })).text();
      expect(metrics).toContain('panel_vpn_protected{service="qbittorrent/qbittorrent"} 0');
    } finally {
      await control("gluetun-qbittorrent").set({ leak: false });
    }
  });

  test("phone width: the links read as a list", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, USERS.admin, "/integrations");
    const integrations = new IntegrationsPage(page);
    await integrations.goto();
    await expect(page.getByTestId("links-matrix")).toBeHidden();
    await expect(integrations.links().first()).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await integrations.fixEverything().click();
    await expect(integrations.dialog()).toBeVisible();
    const dialogBox = await integrations.dialog().boundingBox();
    expect(dialogBox?.width ?? 999).toBeLessThanOrEqual(390);
  });
});
