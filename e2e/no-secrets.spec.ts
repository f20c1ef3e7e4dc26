import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { expect, test } from "@playwright/test";
import { NAV_ITEMS } from "../lib/nav";
import { labIntegrationSettings, readLabIntegrationJson } from "./support/lab-integrations";
import { E2E_DATA_DIR, E2E_METRICS_TOKEN, E2E_PANEL_LOG, ROOT, USERS } from "./support/panel-env";
import { signIn } from "./support/pages";

/**
 * Runs after every other spec (its own Playwright project depends on them): none of the lab's API
 * keys and passwords may appear in the panel's log of the whole run, in any audit row the run
 * produced, or in any page or JSON answer the panel serves to an admin or a viewer.
 */

const lab = readLabIntegrationJson(ROOT);
/** The GitOps credentials of the lab: the git server's password, the forge token, Gitea's admin password and token. */
function gitopsSecrets(): string[] {
  const apps = (lab?.apps ?? {}) as Record<string, { password?: unknown; token?: unknown } | undefined>;
  return ["git", "forge", "gitea"].flatMap((id) => [apps[id]?.password, apps[id]?.token]).filter((v): v is string => typeof v === "string" && v.length >= 8);
}
const secrets = lab ? [...new Set([...labIntegrationSettings(lab).secretValues, ...gitopsSecrets()])] : [];

function leaks(text: string): string[] {
  return secrets.filter((s) => text.includes(s)).map((s) => `…${s.slice(-4)}`);
}

test.describe("no secret leaves the panel", () => {
  // Without the lab these tests fail (they are not skipped): a missing lab must not pass silently.
  test.beforeAll(() => {
    if (!lab) throw new Error("needs the lab (npm run lab -- up; npm test starts it): its seeded keys are what is searched for");
  });

  test("the panel's log of the whole run", () => {
    // What is searched for: the Secret's API keys, the generated keys, qBittorrent's password.
    expect(secrets.length).toBeGreaterThan(8);
    // Gitea's token is searched for too (the Changes flow may run against the lab's Gitea).
    const giteaToken = (lab?.apps as Record<string, { token?: string } | undefined> | undefined)?.gitea?.token;
    if (giteaToken) expect(secrets).toContain(giteaToken);
    expect(existsSync(E2E_PANEL_LOG), `${E2E_PANEL_LOG} (the web server's output)`).toBe(true);
    const log = readFileSync(E2E_PANEL_LOG, "utf8");
    expect(log.length).toBeGreaterThan(0);
    expect(log).toContain("k8s-nas-panel started");
    expect(leaks(log)).toEqual([]);
  });

  test("every audit row of the run", () => {
    const db = new Database(path.join(E2E_DATA_DIR, "panel.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT * FROM audit_events").all() as Array<Record<string, unknown>>;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.some((r) => r.action === "integrations.apply")).toBe(true);
      expect(leaks(JSON.stringify(rows))).toEqual([]);
    } finally {
      db.close();
    }
  });

  for (const user of [USERS.admin, USERS.viewer]) {
    test(`every page and JSON answer, as ${user.username}`, async ({ page }) => {
      const bodies: Array<{ url: string; text: string }> = [];
      page.on("response", async (response) => {
        const type = response.headers()["content-type"] ?? "";
        if (!/html|json|text\/x-component|text\/plain/.test(type)) return;
        try {
          bodies.push({ url: response.url(), text: await response.text() });
        } catch {
          // Redirects have no body.
        }
      });
      await signIn(page, user, "/");
      for (const item of NAV_ITEMS) {
        await page.goto(item.href);
        await page.waitForLoadState("load");
      }
      for (const api of ["/api/healthz", "/api/metrics"]) {
        const r = await page.request.get(api, { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } });
        expect(r.status(), api).toBe(200);
        bodies.push({ url: api, text: await r.text() });
      }
      expect(bodies.length).toBeGreaterThan(NAV_ITEMS.length);
      const found = bodies.flatMap((b) => leaks(b.text).map((s) => `${b.url}: ${s}`));
      expect(found).toEqual([]);
    });
  }
});
