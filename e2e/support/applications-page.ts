import { expect, type Locator, type Page } from "@playwright/test";

/** The Applications view: one row per Argo CD Application, the ApplicationSets below. */
export class ApplicationsPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/applications");
    await expect(this.page.getByTestId("applications-summary")).toBeVisible();
  }

  row(name: string): Locator {
    return this.page.locator(`[data-testid="application-row"][data-app="${name}"]`);
  }

  rows(): Locator {
    return this.page.getByTestId("application-row");
  }

  appSet(name: string): Locator {
    return this.page.locator(`[data-testid="applicationset-row"][data-appset="${name}"]`);
  }

  appSets(): Locator {
    return this.page.getByTestId("applicationset-row");
  }
}
