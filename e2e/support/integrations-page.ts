import { expect, type Locator, type Page } from "@playwright/test";

/** The Integrations page: the links, the fix dialog, the key status and the VPN panel. */
export class IntegrationsPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/integrations");
    await expect(this.page.getByTestId("links-summary")).toBeVisible({ timeout: 30_000 });
  }

  /** Every link in the list (one per link, grouped by target). */
  links(): Locator {
    return this.page.getByTestId("link");
  }

  /** The list entry of a link by definition id, e.g. `sonarr->qbittorrent`. */
  link(id: string): Locator {
    return this.page.locator(`[data-testid="link"][data-link-id="${id}"]`);
  }

  /** `data-state` of every link, by definition id. */
  async states(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const l of await this.links().all()) {
      const id = await l.getAttribute("data-link-id");
      const state = await l.getAttribute("data-state");
      if (id && state) out[id] = state;
    }
    return out;
  }

  summary(): Locator {
    return this.page.getByTestId("links-summary");
  }

  fixEverything(): Locator {
    return this.page.getByTestId("fix-everything");
  }

  fixButtons(): Locator {
    return this.page.getByTestId("link-fix");
  }

  dialog(): Locator {
    return this.page.getByTestId("fix-dialog");
  }

  planSteps(): Locator {
    return this.dialog().getByTestId("plan-step");
  }

  async confirm() {
    await this.dialog().getByTestId("fix-confirm").click();
    await expect(this.dialog().getByTestId("fix-report")).toBeVisible({ timeout: 60_000 });
  }

  results(): Locator {
    return this.dialog().getByTestId("fix-result");
  }

  async closeDialog() {
    await this.dialog().getByTestId("fix-close").click();
    await expect(this.dialog()).toHaveCount(0);
  }

  vpn(service: string): Locator {
    return this.page.locator(`[data-testid="vpn-status"][data-service="${service}"]`);
  }

  key(app: string): Locator {
    return this.page.locator(`[data-testid="key-status"][data-app="${app}"]`);
  }
}
