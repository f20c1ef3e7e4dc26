import { expect, test } from "@playwright/test";
import { E2E_DOWN_PROBES, readLabAlerting } from "./support/lab-alerts";
import { labCli } from "./support/lab";
import { signIn } from "./support/pages";
import { E2E_BASE_URL, ROOT, USERS } from "./support/panel-env";

interface Received {
  form: string;
  receivedAt: number;
  message: { title?: string; message?: string; click?: string; priority?: number; topic: string; actions?: Array<{ label: string; url: string }> };
}

function lab() {
  const a = readLabAlerting(ROOT);
  if (!a?.ntfy || !a.alertmanager) throw new Error("These tests need the lab's ntfy simulator and Alertmanager: npm run lab -- up.");
  return { ntfy: a.ntfy, alertmanager: a.alertmanager };
}

async function ntfyControl(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${lab().ntfy.controlUrl}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.ok).toBe(true);
}

async function received(): Promise<Received[]> {
  const res = await fetch(`${lab().ntfy.controlUrl}/messages`);
  return ((await res.json()) as { messages: Received[] }).messages;
}

const about = (service: string) => (r: Received) => (r.message.click ?? "").endsWith(`/services/${service}`);

test.describe.configure({ mode: "serial" });

test.describe("alerts and notifications against the lab", () => {
  test.beforeEach(async ({ page }) => {
    await ntfyControl({ action: "clear" });
    await signIn(page, USERS.admin);
  });

  test("a stopped service: one ntfy message after the grace period, on the Alerts page with its runbook; one recovery message", async ({ page }) => {
    test.setTimeout(240_000);
    const service = "media/lidarr";
    await page.goto("/alerts");
    await expect(page.locator(`[data-testid="alert-group-service"][data-service="${service}"]`)).toHaveCount(0);
    const stoppedAt = Date.now();
    labCli("scale", "media", "lidarr", "0");
    try {
      // The detector waits for E2E_DOWN_PROBES failed probes (5 s apart): one message, not one per probe.
      await expect.poll(async () => (await received()).filter(about(service)).length, { timeout: 60_000, intervals: [1000] }).toBe(1);
      const [firing] = (await received()).filter(about(service));
      const delay = (firing!.receivedAt - stoppedAt) / 1000;
      test.info().annotations.push({ type: "stop-to-ntfy-seconds", description: delay.toFixed(1) });
      expect(delay).toBeGreaterThanOrEqual((E2E_DOWN_PROBES - 1) * 5 - 5);
      expect(firing!.message.title).toBe("Lidarr is down");
      expect(firing!.message.priority).toBe(5);
      expect(firing!.message.click).toBe(`${E2E_BASE_URL}/services/${service}`);
      expect(firing!.message.actions?.find((a) => a.label === "Runbook")?.url).toBe(`${E2E_BASE_URL}/runbooks/alerts/service-down`);

      // The Alerts page shows it under the service, firing, with the runbook; the navigation counts it.
      await page.goto("/alerts");
      const group = page.locator(`[data-testid="alert-group-service"][data-service="${service}"]`);
      const row = group.locator('[data-testid="alert-row"][data-alert="ServiceDown"][data-source="panel"]');
      await expect(row).toHaveAttribute("data-state", "firing", { timeout: 15_000 });
      await expect(page.getByTestId("nav-alert-count")).toBeVisible();
      await expect(page.getByTestId("notification-row").filter({ hasText: "Lidarr is down" }).first()).toHaveAttribute("data-status", "sent");

      // More probes fail: still one message.
      await page.waitForTimeout(15_000);
      expect((await received()).filter(about(service))).toHaveLength(1);

      await row.getByTestId("alert-runbook").click();
      await expect(page).toHaveURL(/\/runbooks\/alerts\/service-down$/);
      await expect(page.getByTestId("runbook").getByRole("heading", { level: 1 })).toHaveText("Service down");
      await expect(page.getByTestId("runbook-body")).toContainText("kubectl -n <namespace> logs deploy/<name> --previous");
      // Relative links between runbooks become panel links.
      await expect(page.getByTestId("runbook-body").getByRole("link", { name: "Pod crash-looping" })).toHaveAttribute("href", "/runbooks/alerts/pod-crash-looping");
    } finally {
      labCli("scale", "media", "lidarr", "1");
    }
    await expect.poll(async () => (await received()).filter(about(service)).map((r) => r.message.title), { timeout: 60_000, intervals: [1000] }).toEqual(["Lidarr is down", "Recovered: Lidarr is up again"]);
    await page.goto("/alerts");
    await expect(page.locator(`[data-testid="alert-group-service"][data-service="${service}"]`)).toHaveCount(0, { timeout: 15_000 });
    // The service page links the app kind's runbook.
    await page.goto(`/services/${service}`);
    await expect(page.getByTestId("link-runbook")).toHaveAttribute("href", "/runbooks/apps/lidarr");
  });

  test("ntfy answering 503, then unreachable: the Settings page says so, and the message is delivered once when it is back", async ({ page }) => {
    test.setTimeout(120_000);
    await ntfyControl({ action: "fault", fault: "error", status: 503 });
    await page.goto("/settings");
    const target = page.locator('[data-testid="notification-target"][data-target="phone"]');
    await target.getByTestId("send-test-notification").click();
    await expect(page.getByTestId("test-notification-result")).toContainText(/not delivered \(ntfy answered HTTP 503/);
    await expect(target.getByTestId("target-error")).toContainText("HTTP 503");
    await expect(target.getByTestId("target-queue")).toContainText("1 message waiting");
    await ntfyControl({ action: "fault", fault: "unreachable" });
    await page.waitForTimeout(12_000);
    await page.reload();
    await expect(target.getByTestId("target-error")).not.toContainText("HTTP 503");
    await expect(target.getByTestId("target-queue")).toContainText("1 message waiting");
    expect(await received()).toHaveLength(0);
    await ntfyControl({ action: "fault", fault: "none" });
    // Retried with back-off (5 s doubling): delivered, once.
    await expect.poll(async () => (await received()).map((r) => r.message.title), { timeout: 60_000, intervals: [1000] }).toEqual(["Test notification from k8s-nas-panel"]);
    await expect(target.getByTestId("target-queue")).toContainText("Nothing waiting", { timeout: 15_000 });
  });

  test("an alert from Prometheus through Alertmanager: silenced in the panel, muted in Alertmanager; the silence ended again", async ({ page }) => {
    test.setTimeout(90_000);
    const am = lab().alertmanager;
    await page.goto("/alerts");
    // The lab's always-firing Watchdog rule.
    const row = page.locator('[data-testid="alert-row"][data-alert="Watchdog"]').first();
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row).toHaveAttribute("data-silenced", "false");
    await row.getByTestId("alert-silence-open").click();
    await page.getByTestId("silence-comment").fill("e2e: checking silences");
    await page.getByTestId("silence-submit").click();
    await expect(page.getByTestId("alerts-message")).toContainText("Silenced in Alertmanager until");
    const amAlerts = async () => ((await (await fetch(`${am}/api/v2/alerts?filter=alertname%3D%22Watchdog%22`)).json()) as Array<{ status: { state: string; silencedBy: string[] } }>)[0];
    await expect.poll(async () => (await amAlerts())?.status.state, { timeout: 15_000 }).toBe("suppressed");
    await expect(page.locator('[data-testid="alert-row"][data-alert="Watchdog"]').first()).toHaveAttribute("data-silenced", "true", { timeout: 15_000 });
    const silenceRow = page.getByTestId("silence-row").filter({ hasText: "e2e: checking silences" });
    await expect(silenceRow).toContainText('alertname="Watchdog"');
    page.once("dialog", (d) => void d.accept());
    await silenceRow.getByTestId("silence-expire").click();
    await expect(page.getByTestId("alerts-message")).toContainText("The silence has ended.");
    await expect.poll(async () => (await amAlerts())?.status.state, { timeout: 15_000 }).toBe("active");
  });
});
