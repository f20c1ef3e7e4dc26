import { expect, type Locator, type Page } from "@playwright/test";

/** The Changes page: propose (preview -> confirm -> pull request) and follow changes. */
export class ChangesPage {
  constructor(private readonly page: Page) {}

  async goto(query = "") {
    await this.page.goto(`/changes${query}`);
    await expect(this.page.getByRole("heading", { name: "Changes", level: 1 })).toBeVisible();
  }

  /** The button of a suggested change, e.g. `health-probes-media-jellyfin`, `unpackerr-wiring`. */
  proposeButton(id: string): Locator {
    return this.page.getByTestId(`propose-${id}`);
  }

  proposeCard(): Locator {
    return this.page.getByTestId("propose-card");
  }

  preview(): Locator {
    return this.page.getByTestId("change-preview");
  }

  previewDiff(): Locator {
    return this.page.getByTestId("change-preview-diff");
  }

  confirmButton(): Locator {
    return this.page.getByTestId("change-confirm");
  }

  /** The link to the pull request shown once it is opened (or already open). */
  prLink(): Locator {
    return this.page.getByTestId("change-pr-link");
  }

  alreadyOpen(): Locator {
    return this.page.getByTestId("change-already-open");
  }

  checkNowButton(): Locator {
    return this.page.getByTestId("changes-refresh");
  }

  /** The listed change on `branch`. */
  change(branch: string): Locator {
    return this.page.locator(`[data-testid="change"][data-branch="${branch}"]`);
  }

  changes(): Locator {
    return this.page.getByTestId("change");
  }

  /** Previews a suggested change and waits for its diff (or its "already" message). */
  async previewChange(id: string) {
    await this.proposeButton(id).click();
    await expect(this.preview()).toBeVisible({ timeout: 30_000 });
  }

  /** Confirms the previewed change and returns the pull request URL shown. */
  async confirm(): Promise<string> {
    await this.confirmButton().click();
    await expect(this.prLink()).toBeVisible({ timeout: 30_000 });
    return (await this.prLink().getAttribute("href")) ?? "";
  }

  /** Warnings shown with the result of a proposal (e.g. labels the forge did not take). */
  warnings() {
    return this.page.getByTestId("change-warning");
  }

  /** Re-reads the forge and Argo CD, then waits for the change on `branch` to reach `status`. */
  async expectStatus(branch: string, status: "open" | "merged" | "live" | "closed") {
    await expect(async () => {
      await this.checkNowButton().click();
      await expect(this.change(branch)).toHaveAttribute("data-status", status, { timeout: 3_000 });
    }).toPass({ timeout: 30_000 });
  }

  /** How a live change's services are doing ("live and healthy", "live, but ... since the sync"). */
  afterSync(branch: string): Locator {
    return this.change(branch).getByTestId("change-after-sync");
  }

  /** Waits (re-reading now and then) until the live change on `branch` is followed to `state`. */
  async expectAfterSync(branch: string, state: "checking" | "healthy" | "down", timeout = 90_000) {
    await expect(async () => {
      await this.checkNowButton().click();
      await expect(this.afterSync(branch)).toHaveAttribute("data-state", state, { timeout: 3_000 });
    }).toPass({ timeout });
  }

  /** Previews the revert of the change on `branch` and waits for its diff or conflict. */
  async previewRevert(branch: string): Promise<Locator> {
    await this.change(branch).getByTestId("change-revert-preview").click();
    const preview = this.change(branch).getByTestId("revert-preview");
    await expect(preview).toBeVisible({ timeout: 60_000 });
    return preview;
  }

  /** Confirms the previewed revert of the change on `branch`; returns the pull request URL. */
  async confirmRevert(branch: string): Promise<string> {
    await this.change(branch).getByTestId("revert-confirm").click();
    const link = this.change(branch).getByTestId("revert-pr-link");
    await expect(link).toBeVisible({ timeout: 60_000 });
    return (await link.getAttribute("href")) ?? "";
  }
}
