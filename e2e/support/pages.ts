import { expect, type Page } from "@playwright/test";

/** The sign-in page. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async goto(callbackUrl?: string) {
    await this.page.goto(callbackUrl ? `/login?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/login");
  }

  async signIn(username: string, password: string) {
    // React resets the form when the previous attempt's action settles: fill only after that.
    await expect(this.page.getByTestId("login-submit")).toHaveText("Sign in");
    await this.page.getByLabel("Username").fill(username);
    await this.page.getByLabel("Password").fill(password);
    await expect(this.page.getByLabel("Username")).toHaveValue(username);
    // Wait for the form's POST to finish, so consecutive attempts never overlap.
    const answered = this.page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login");
    await this.page.getByTestId("login-submit").click();
    await answered;
  }

  error() {
    return this.page.getByTestId("login-error");
  }
}

/** The signed-in frame (header and navigation). */
export class PanelFrame {
  constructor(private readonly page: Page) {}

  async expectSignedInAs(name: string, role: "admin" | "viewer") {
    await expect(this.page.getByTestId("current-user")).toContainText(name);
    await expect(this.page.getByTestId("current-user")).toContainText(role);
  }

  nav(id: string) {
    return this.page.getByTestId(`nav-${id}`);
  }

  async signOut() {
    await this.page.getByTestId("sign-out").click();
    await expect(this.page).toHaveURL(/\/login/);
  }
}

/** Signs in through the real form and waits for the panel. */
export async function signIn(page: Page, user: { username: string; password: string }, callbackUrl = "/") {
  const login = new LoginPage(page);
  await login.goto(callbackUrl);
  await login.signIn(user.username, user.password);
  await expect(page.getByTestId("current-user")).toBeVisible();
}
