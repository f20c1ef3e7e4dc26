import { expect, test, type Page } from "@playwright/test";
import { labCli } from "./support/lab";
import { readLabObject } from "./support/lab-gitops";
import { signIn } from "./support/pages";
import { E2E_METRICS_TOKEN, USERS } from "./support/panel-env";

/**
 * Certificates against the lab: cert-manager's seeded Certificates (one close to expiry with its
 * renewal failing), the lab's cert-manager answering "Renew now", the live TLS probe of every Ingress
 * host through the lab's ingress controller (which serves each host the certificate of its Ingress's
 * Secret), a copy of the Secret made stale, and the HTTPS-only checks.
 */

const EXPIRING = "argocd/home-brettswift-com-dns";
const HOSTS = { expired: "expired.home.brettswift.com", mismatch: "wrong-name.home.brettswift.com", plain: "plain.home.brettswift.com" };

test.describe.configure({ mode: "serial", timeout: 120_000 });

/** The value of one series of a Prometheus text exposition (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? "").matchAll(/([a-z_][a-z0-9_]*)="((?:[^"\\]|\\.)*)"/gi)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

/** Probes every host now (the page's button) and waits for the answer. */
async function probeNow(page: Page): Promise<void> {
  await page.getByTestId("probe-now").click();
  await expect(page.getByTestId("probe-result")).toContainText(/Probed \d+ host/, { timeout: 30_000 });
}

test.describe("certificates against the lab", () => {
  test.beforeAll(() => {
    // Ingresses for the lab's expired, wrong-name and plain-HTTP hosts (test objects; reset removes them).
    labCli("tls-case-hosts");
  });

  test.afterAll(() => {
    labCli("reset");
  });

  test("the certificate close to expiry, the expired, wrong-name and plain-HTTP hosts each show their problem in words", async ({ page }) => {
    await signIn(page, USERS.admin);
    await page.goto("/certificates");
    const row = page.locator(`[data-testid="cert-row"][data-cert="${EXPIRING}"]`);
    await expect(row).toHaveAttribute("data-state", "warning");
    await expect(row.getByTestId("cert-days-left")).toHaveText(/^(9|10) days left$/);
    await expect(row.getByTestId("cert-signals")).toContainText("Renewal failing");
    await expect(row.getByTestId("cert-signals")).toContainText("DNS-01 challenge did not propagate");
    // Every Ingress that names its Secret, in every namespace, and the services behind them.
    await expect(row.getByTestId("cert-ingress").first()).toBeVisible();
    expect(await row.getByTestId("cert-ingress").count()).toBeGreaterThanOrEqual(14);
    await expect(row.getByTestId("cert-ingress").filter({ hasText: "Ingress media/sonarr-ingress" })).toContainText("is a copy");
    for (const service of ["media/sonarr", "media/jellyseerr", "qbittorrent/qbittorrent", "monitoring/grafana"]) {
      await expect(row.getByTestId("cert-services").locator(`[data-service="${service}"]`)).toBeVisible();
    }
    await expect(row.getByTestId("cert-copied-by")).toContainText("CronJob argocd/sync-cert-secret");

    await probeNow(page);
    const host = (name: string) => page.locator(`[data-testid="host-row"][data-host="${name}"]`);
    await expect(host(HOSTS.expired)).toHaveAttribute("data-state", "critical");
    await expect(host(HOSTS.expired).getByTestId("host-signals")).toContainText("Serves a certificate that expired");
    await expect(host(HOSTS.mismatch)).toHaveAttribute("data-state", "critical");
    await expect(host(HOSTS.mismatch).getByTestId("host-signals")).toContainText(`Serves a certificate for wrong-host.home.brettswift.com, not for ${HOSTS.mismatch}`);
    // The host the expiring certificate is served on: its days left, and it is cert-manager's certificate.
    await expect(host("home.brettswift.com").getByTestId("host-signals")).toContainText(/Serves a certificate that expires in (9|10) days/);
    await expect(host("home.brettswift.com").getByTestId("host-issued")).toContainText(`${EXPIRING} · the certificate cert-manager issued`);
    await expect(host("home.brettswift.com").getByTestId("host-served")).toContainText("chain trusted");

    // HTTPS-only: the plain-HTTP host is found; the others redirect and send HSTS.
    const plain = page.locator(`[data-testid="https-row"][data-host="${HOSTS.plain}"]`);
    await expect(plain).toHaveAttribute("data-state", "critical");
    await expect(plain.getByTestId("https-signals")).toContainText("Served on plain HTTP only: plain HTTP answers 200 instead of redirecting to HTTPS");
    const sonarr = page.locator('[data-testid="https-row"][data-ingress="media/sonarr-ingress"]');
    await expect(sonarr.getByTestId("https-http")).toContainText("308 → https://home.brettswift.com");
    await expect(sonarr.getByTestId("https-hsts")).toContainText("1 year");

    // The overview's banner names the worst signal; the affected service's card shows it.
    await page.goto("/");
    await expect(page.getByTestId("cert-banner")).toBeVisible();
    await expect(page.getByTestId("cert-banner-text")).toContainText(/expired|not for|plain HTTP|expires/i);
    await expect(page.locator('[data-testid="service-card"][data-service="media/radarr"]').getByTestId("service-cert")).toContainText(/expires in (9|10) days|Renewal failing/i);
  });

  test("/api/metrics, scraped with the bearer token: days left and state of each certificate and each probed host, as the lab has them", async ({ page, request }) => {
    await signIn(page, USERS.admin);
    await page.goto("/certificates");
    await probeNow(page);
    // Without the token the scrape is refused.
    expect((await request.get("/api/metrics")).status()).toBe(401);
    const scrape = await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } });
    expect(scrape.status()).toBe(200);
    const text = await scrape.text();
    const cert = { namespace: "argocd", certificate: "home-brettswift-com-dns" };

    // Days left of the certificate close to expiry: what cert-manager's status in the lab says.
    const status = await readLabObject<{ status: { notAfter: string } }>("/apis/cert-manager.io/v1/namespaces/argocd/certificates/home-brettswift-com-dns");
    const notAfter = Date.parse(status?.status.notAfter ?? "");
    expect(Number.isFinite(notAfter)).toBe(true);
    const days = sample(text, "panel_certificate_expiry_days", cert);
    expect(days).toBeGreaterThan(8);
    expect(Math.abs((days ?? 0) - (notAfter - Date.now()) / 86_400_000)).toBeLessThan(0.05);
    expect(sample(text, "panel_certificate_state", { ...cert, state: "warning" })).toBe(1);
    expect(sample(text, "panel_certificate_state", { ...cert, state: "ok" })).toBe(0);
    expect(sample(text, "panel_certificate_problem", { ...cert, problem: "expires_soon" })).toBe(1);
    expect(sample(text, "panel_certificate_problem", { ...cert, problem: "renewal_failing" })).toBe(1);

    // Per probed host: the expired and wrong-name hosts are critical, the expired one with negative days.
    expect(sample(text, "panel_tls_host_expiry_days", { host: HOSTS.expired })).toBeLessThan(0);
    expect(sample(text, "panel_tls_host_state", { host: HOSTS.expired, state: "critical" })).toBe(1);
    expect(sample(text, "panel_tls_host_problem", { host: HOSTS.expired, problem: "expired" })).toBe(1);
    expect(sample(text, "panel_tls_host_state", { host: HOSTS.mismatch, state: "critical" })).toBe(1);
    expect(sample(text, "panel_tls_host_problem", { host: HOSTS.mismatch, problem: "wrong_name" })).toBe(1);
    // The host served with the expiring certificate: the same days left as cert-manager's notAfter.
    expect(Math.abs((sample(text, "panel_tls_host_expiry_days", { host: "home.brettswift.com" }) ?? 0) - (days ?? 0))).toBeLessThan(0.05);
    expect(sample(text, "panel_tls_host_state", { host: "home.brettswift.com", state: "warning" })).toBe(1);
    // HTTPS-only: the plain-HTTP host; a host that redirects and sends HSTS has no problem series.
    const plainIngress = (await page.locator(`[data-testid="https-row"][data-host="${HOSTS.plain}"]`).getAttribute("data-ingress")) ?? "";
    expect(sample(text, "panel_https_only_problem", { ingress: plainIngress, host: HOSTS.plain, problem: "plain_http_only" })).toBe(1);
    expect(text).not.toMatch(/panel_https_only_problem\{[^}]*ingress="media\/sonarr-ingress"/);
    expect(sample(text, "panel_tls_last_probe_timestamp_seconds", {})).toBeGreaterThan(Date.now() / 1000 - 120);
    // The exposition carries no certificate material.
    expect(text).not.toContain("BEGIN");
  });

  test("Renew now: a renewal the lab makes fail shows its reason; then Issuing, and Ready with a new notAfter", async ({ page }) => {
    await signIn(page, USERS.admin);
    await page.goto("/certificates");
    const row = page.locator(`[data-testid="cert-row"][data-cert="${EXPIRING}"]`);
    const before = (await row.getByTestId("cert-not-after").textContent()) ?? "";
    expect(before).toMatch(/^\d{4}-/);

    labCli("cert-renewal-fails", "argocd", "home-brettswift-com-dns", "Route 53 refused the TXT record: AccessDenied");
    await row.getByTestId("cert-renew").click();
    await expect(row.getByTestId("cert-renew-dialog")).toContainText("Renew argocd/home-brettswift-com-dns now?");
    await row.getByTestId("cert-renew-confirm").click();
    await expect(row.getByTestId("cert-renew-result")).toContainText("Renewal of argocd/home-brettswift-com-dns requested");
    await expect(row).toHaveAttribute("data-phase", "Issuing", { timeout: 10_000 });
    await expect(row.getByTestId("cert-signals")).toContainText("Route 53 refused the TXT record: AccessDenied", { timeout: 20_000 });
    await expect(row.getByTestId("cert-not-after")).toHaveText(before);

    labCli("cert-renewal-fails", "argocd", "home-brettswift-com-dns", "--off");
    await row.getByTestId("cert-renew").click();
    await row.getByTestId("cert-renew-confirm").click();
    await expect(row).toHaveAttribute("data-phase", "Issuing", { timeout: 10_000 });
    await expect(row.getByTestId("cert-phase")).toContainText("Issuing");
    await expect(row).toHaveAttribute("data-phase", "Ready", { timeout: 20_000 });
    await expect(row).toHaveAttribute("data-state", "ok");
    await expect(row.getByTestId("cert-not-after")).not.toHaveText(before);
    expect(Date.parse((await row.getByTestId("cert-not-after").textContent()) ?? "")).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    // The host is probed again after the change: it serves the renewed certificate.
    const host = page.locator('[data-testid="host-row"][data-host="home.brettswift.com"]');
    await expect(host.getByTestId("host-issued")).toContainText(`${EXPIRING} · the certificate cert-manager issued`, { timeout: 30_000 });
    await expect(host.getByTestId("host-served")).toContainText(new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
  });

  test("a copied Secret made stale by the lab shows as stale, with its sync CronJob", async ({ page }) => {
    await signIn(page, USERS.admin);
    labCli("cert-stale-copy");
    await page.goto("/certificates");
    await probeNow(page);
    const stale = page.locator('[data-testid="stale-copy"][data-host="jellyseerr.home.brettswift.com"]');
    await expect(stale).toBeVisible({ timeout: 20_000 });
    await expect(stale).toHaveAttribute("data-secret", "media/home-brettswift-com-tls");
    await expect(stale.getByTestId("stale-cronjob")).toHaveAttribute("data-cronjob", "argocd/sync-cert-secret");
    const host = page.locator('[data-testid="host-row"][data-host="jellyseerr.home.brettswift.com"]');
    await expect(host.getByTestId("host-signals")).toContainText("Stale copy: the Secret media/home-brettswift-com-tls holds the certificate ending");
    // The host served from the source Secret has the new certificate.
    await expect(page.locator('[data-testid="host-row"][data-host="home.brettswift.com"]').getByTestId("host-issued")).toContainText("the certificate cert-manager issued");
  });

  test("a viewer sees the certificates but cannot renew", async ({ page }) => {
    await signIn(page, USERS.viewer);
    await page.goto("/certificates");
    await expect(page.locator(`[data-testid="cert-row"][data-cert="${EXPIRING}"]`)).toBeVisible();
    await expect(page.getByTestId("cert-renew")).toHaveCount(0);
  });
});
