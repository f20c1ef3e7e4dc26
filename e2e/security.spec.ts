import http from "node:http";
import https from "node:https";
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { SimulatorControl } from "../lab/sims/control";
import { readLabIntegrationJson } from "./support/lab-integrations";
import { E2E_BASE_URL, E2E_DIRECT_URL, E2E_FRONT, E2E_METRICS_TOKEN, ROOT, USERS } from "./support/panel-env";
import { PanelFrame, signIn } from "./support/pages";

/**
 * The panel as production serves it: over HTTPS through a proxy (the lab's nginx, playing
 * ingress-nginx) that the panel trusts, and nobody else. Direct requests with forged forwarded
 * headers gain nothing; sessions end when they should; metrics and health say nothing to strangers.
 */

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with full control of the headers, from a chosen local address (direct) or through the front. */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const transport = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      u,
      { method: opts.method ?? "GET", headers: opts.headers, localAddress: opts.localAddress, timeout: 30_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const cookieHeader = (r: RawResponse): string => (r.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");

/**
 * A sign-in through Auth.js's own endpoint, the way any HTTP client can try one; returns the `code`
 * the panel answered (`credentials` for a wrong password, `rate_limited` when throttled).
 */
async function signInOverHttp(base: string, username: string, password: string, headers: Record<string, string>, localAddress?: string): Promise<string> {
  const csrf = await raw(`${base}/api/auth/csrf`, { headers, localAddress });
  expect(csrf.status).toBe(200);
  const token = (JSON.parse(csrf.body) as { csrfToken: string }).csrfToken;
  const post = await raw(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    localAddress,
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(csrf) },
    body: new URLSearchParams({ username, password, csrfToken: token, callbackUrl: "/" }).toString(),
  });
  expect(post.status, post.body.slice(0, 200)).toBe(302);
  return new URL(String(post.headers.location), base).searchParams.get("code") ?? "signed-in";
}

const randomIp = () => `203.0.113.${1 + (randomBytes(1)[0] ?? 0) % 250}`;

test.describe("over HTTPS through the trusted proxy", () => {
  test.beforeAll(() => {
    if (!E2E_FRONT) throw new Error("needs the lab (npm run lab -- up; npm test starts it): the panel is reached through its nginx over HTTPS");
  });

  test("the browser trusts the lab CA, and the panel sets __Secure- cookies and HSTS", async ({ page, context }) => {
    expect(E2E_BASE_URL).toMatch(/^https:\/\//);
    const response = await page.goto("/login");
    expect(response?.headers()["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(response?.headers()["content-security-policy"]).toContain("upgrade-insecure-requests");
    await signIn(page, USERS.admin, "/settings");
    const session = (await context.cookies()).find((c) => c.name.endsWith("authjs.session-token"));
    expect(session?.name).toBe("__Secure-authjs.session-token");
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });
  });

  test("a direct request with forged forwarded headers is plain HTTP from its real address", async () => {
    const forged = { "X-Forwarded-Proto": "https", "X-Forwarded-For": randomIp(), "X-Forwarded-Host": "evil.example", "X-Real-IP": randomIp() };
    const login = await raw(`${E2E_DIRECT_URL}/login`, { headers: forged, localAddress: "127.0.0.3" });
    expect(login.status).toBe(200);
    expect(login.headers["strict-transport-security"]).toBeUndefined();
    expect(String(login.headers["content-security-policy"])).not.toContain("upgrade-insecure-requests");
    // Auth.js's idea of the panel's URLs is the same with and without the forged headers.
    const providers = await raw(`${E2E_DIRECT_URL}/api/auth/providers`, { headers: forged, localAddress: "127.0.0.3" });
    const plain = await raw(`${E2E_DIRECT_URL}/api/auth/providers`, { localAddress: "127.0.0.3" });
    expect(providers.body).not.toContain("evil.example");
    expect(providers.body).toBe(plain.body);
  });

  test("rotating X-Forwarded-For on direct requests does not escape the sign-in limit", async ({ page }) => {
    const account = `intruder-${randomBytes(3).toString("hex")}`;
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(await signInOverHttp(E2E_DIRECT_URL, account, `guess-${i}`, { "X-Forwarded-For": randomIp(), "X-Real-IP": randomIp() }, "127.0.0.3"));
    }
    // e2e config: three failures, then a wait (10 s, doubling) for this address and account.
    expect(codes).toEqual(["credentials", "credentials", "credentials", "rate_limited", "rate_limited"]);

    // The real admin, from another address, is not affected.
    await signIn(page, USERS.admin, "/audit");
    await new PanelFrame(page).expectSignedInAs("admin", "admin");
    await page.goto(`/audit?q=${account}`);
    const rows = page.getByTestId("audit-row");
    await expect(rows.first()).toBeVisible();
    const text = (await rows.allTextContents()).join("\n");
    expect(text).toContain("127.0.0.3");
    expect(text).not.toContain("203.0.113.");
    // The failures fold into one row per client and window instead of one row per try.
    await expect(rows.filter({ hasText: "Wrong username or password" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "Wrong username or password" }).getByTestId("audit-repeat")).toContainText("×3");
  });

  test("through the proxy, the client's own X-Forwarded-For entry is ignored for the one the proxy saw", async ({ page }) => {
    const account = `forger-${randomBytes(3).toString("hex")}`;
    const forgedIp = randomIp();
    const code = await signInOverHttp(E2E_BASE_URL, account, "wrong", { "X-Forwarded-For": forgedIp, "X-Forwarded-Proto": "http" });
    expect(code).toBe("credentials");
    const front = await raw(`${E2E_BASE_URL}/login`, { headers: { "X-Forwarded-Proto": "http" } });
    expect(front.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    await signIn(page, USERS.admin, `/audit?q=${account}`);
    const row = page.getByTestId("audit-row").first();
    await expect(row).toContainText("127.0.0.1");
    await expect(row).not.toContainText(forgedIp);
  });
});

test.describe("sessions", () => {
  test("a signed-out session's cookie no longer opens anything, even when copied before", async ({ page, browser }) => {
    await signIn(page, USERS.admin, "/settings");
    const copied = await page.context().cookies();
    await new PanelFrame(page).signOut();
    const other = await browser.newContext();
    try {
      await other.addCookies(copied);
      const stolen = await other.newPage();
      await stolen.goto("/settings");
      await expect(stolen).toHaveURL(/\/login/);
      const api = await other.request.get("/api/services");
      expect(api.status()).toBe(401);
    } finally {
      await other.close();
    }
  });

  test("the live event stream ends when its session is signed out", async ({ page }) => {
    await signIn(page, USERS.viewer, "/");
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const events: string[] = [];
    const ended = new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const req = https.request(`${E2E_BASE_URL}/api/events`, { headers: { cookie, accept: "text/event-stream" } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          for (const m of chunk.matchAll(/^event: (\S+)$/gm)) events.push(m[1] ?? "");
        });
        res.on("end", () => resolve(Date.now() - started));
      });
      req.on("error", reject);
      req.setTimeout(60_000, () => req.destroy(new Error("the stream did not end within 60 s")));
      req.end();
    });
    await expect.poll(() => events.includes("hello")).toBe(true);
    await new PanelFrame(page).signOut();
    await ended;
    expect(events).toContain("session-ended");
  });
});

test.describe("metrics and health", () => {
  test("metrics need the bearer token; health tells strangers only ok", async ({ request, page }) => {
    expect((await request.get("/api/metrics")).status()).toBe(401);
    expect((await request.get("/api/metrics", { headers: { authorization: "Bearer wrong-token" } })).status()).toBe(401);
    const scraped = await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } });
    expect(scraped.status()).toBe(200);
    expect(await scraped.text()).toMatch(/panel_build_info\{version="[^"]+"/);
    const health = await request.get("/api/healthz");
    expect(health.status()).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    await signIn(page, USERS.viewer, "/");
    expect(await (await page.request.get("/api/healthz")).json()).toMatchObject({ status: "ok", database: { ok: true }, kubernetes: { configured: true } });
  });

  test("a scrape never makes the panel ask Gluetun: it reads the last verdict", async ({ request }) => {
    const lab = readLabIntegrationJson(ROOT) as { apps: Record<string, { controlUrl?: string }> } | undefined;
    const url = lab?.apps["gluetun-qbittorrent"]?.controlUrl;
    if (!url) throw new Error("needs the lab's Gluetun simulator");
    const gluetun = new SimulatorControl(url);
    const before = (await gluetun.snapshot()).counters.requests;
    // More than the 15 s a verdict used to be reused: an old-style scrape would have checked again.
    for (let i = 0; i < 4; i++) {
      const scrape = await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_METRICS_TOKEN}` } });
      expect(scrape.status()).toBe(200);
      await new Promise((r) => setTimeout(r, 6_000));
    }
    expect((await gluetun.snapshot()).counters.requests).toBe(before);
  });
});
