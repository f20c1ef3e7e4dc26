import { expect, type Locator, type Page } from "@playwright/test";

/** The Overview page: the banner and one card per service. */
export class OverviewPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/");
    await expect(this.page.getByTestId("summary-banner")).toBeVisible();
  }

  card(serviceId: string): Locator {
    return this.page.locator(`[data-testid="service-card"][data-service="${serviceId}"]`);
  }

  cards(): Locator {
    return this.page.getByTestId("service-card");
  }

  /** Waits until the card shows `status` (live: no reload). */
  async expectStatus(serviceId: string, status: "up" | "degraded" | "down" | "unknown", timeout = 15_000) {
    await expect(this.card(serviceId)).toHaveAttribute("data-status", status, { timeout });
  }
}
