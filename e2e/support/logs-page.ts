import { expect, type Page } from "@playwright/test";

/** The Logs card on a service's page. */
export class LogsCard {
  constructor(private readonly page: Page) {}

  async goto(serviceId: string) {
    await this.page.goto(`/services/${serviceId}`);
    await expect(this.card()).toBeVisible();
  }

  card() {
    return this.page.getByTestId("logs");
  }

  lines() {
    return this.card().getByTestId("log-line");
  }

  line(text: string | RegExp) {
    return this.lines().filter({ hasText: text });
  }

  notAllowed() {
    return this.card().getByTestId("logs-not-allowed");
  }

  async search(text: string) {
    await this.card().getByTestId("logs-search").fill(text);
  }

  async minLevel(level: string) {
    await this.card().getByTestId("logs-level").selectOption(level);
  }

  async refresh() {
    await this.card().getByTestId("logs-refresh").click();
  }

  async follow() {
    await this.card().getByTestId("logs-follow").click();
    await expect(this.card().getByTestId("logs-follow")).toHaveAttribute("aria-pressed", "true");
  }
}
