/**
 * Every route handler and every server action in the tree must refuse an anonymous caller, and every
 * admin action must refuse a viewer (with an audit event). The tree is scanned, so a new handler or
 * action is covered the moment it is added; the only exceptions are listed below with their reason.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { accountsYaml, sessionFor, setAccountHashes, useConfigFile } from "@/test/sessions";

const root = path.resolve(__dirname, "..");
const session: { current: null | { sid?: string; user: { id: string; name: string } } } = { current: null };

vi.mock("@/server/auth", () => ({
  auth: async () => session.current,
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  handlers: { GET: async () => new Response("auth"), POST: async () => new Response("auth") },
}));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), revalidateTag: vi.fn() }));

/** Public route handlers, and why. */
const PUBLIC_ROUTES: Record<string, string> = {
  "app/api/healthz/route.ts": "liveness probe of the kubelet and the Docker HEALTHCHECK",
  "app/api/auth/[...nextauth]/route.ts": "Auth.js sign-in endpoints (CSRF-protected by Auth.js)",
  "app/api/metrics/route.ts": "Prometheus scrapes it with its bearer token (tested below)",
};
/** Public server actions, and why. */
const PUBLIC_ACTIONS: Record<string, string> = {
  "server/actions/auth.ts#login": "the sign-in form itself",
  "server/actions/auth.ts#loginWithOidc": "starts single sign-on",
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const sourceFiles = ["app", "server", "components", "lib"].flatMap((d) => walk(path.join(root, d))).filter((f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f));
const rel = (f: string) => path.relative(root, f);
const routeFiles = sourceFiles.filter((f) => /\/route\.ts$/.test(f));
const actionFiles = sourceFiles.filter((f) => /^\s*["']use server["'];?/m.test(readFileSync(f, "utf8").split("\n").slice(0, 3).join("\n")));
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

const useConfig = (yaml: string) => void useConfigFile(yaml);
const ACCOUNT_LIST = [
  { username: "admin", role: "admin" },
  { username: "guest", role: "viewer" },
] as const;
const ACCOUNTS = accountsYaml(ACCOUNT_LIST);

/** Signs `username` in the way Auth.js does: a server-side session, named by the (mocked) session token. */
async function signInAs(username: "admin" | "guest"): Promise<string> {
  const signedIn = await sessionFor(username, username === "admin" ? "admin" : "viewer");
  session.current = signedIn;
  return signedIn.sid;
}

beforeAll(async () => {
  process.env.PANEL_DATA_DIR = mkdtempSync(path.join(tmpdir(), "panel-guards-"));
  process.env.PANEL_METRICS_TOKEN = "metrics-token-for-test";
  await setAccountHashes(ACCOUNT_LIST);
  useConfig(ACCOUNTS);
});
beforeEach(() => {
  session.current = null;
});

describe("the tree", () => {
  it("has route handlers and server actions to check", () => {
    expect(routeFiles.length).toBeGreaterThanOrEqual(3);
    expect(actionFiles.length).toBeGreaterThanOrEqual(2);
  });

  it("keeps server actions in server/actions/ only (no inline 'use server' elsewhere)", () => {
    for (const f of actionFiles) expect(rel(f)).toMatch(/^server\/actions\//);
    const inline = sourceFiles.filter((f) => !rel(f).startsWith("server/actions/") && /["']use server["']/.test(readFileSync(f, "utf8")));
    expect(inline.map(rel)).toEqual([]);
  });
});

describe("route handlers refuse anonymous callers", () => {
  for (const file of routeFiles) {
    const name = rel(file);
    it(name, async () => {
      const mod = (await import(file)) as Record<string, unknown>;
      const handlers = METHODS.filter((m) => typeof mod[m] === "function");
      expect(handlers.length).toBeGreaterThan(0);
      if (PUBLIC_ROUTES[name]) return;
      for (const method of handlers) {
        const handler = mod[method] as (req: Request, ctx: unknown) => Promise<Response>;
        const response = await handler(new Request(`http://127.0.0.1/${name}`, { method }), { params: Promise.resolve({}) });
        expect(response.status, `${method} ${name}`).toBe(401);
        const body = (await response.json()) as { error?: { code?: string } };
        expect(body.error?.code).toBe("unauthorized");
      }
    });
  }
});

describe("server actions refuse anonymous callers", () => {
  for (const file of actionFiles) {
    it(rel(file), async () => {
      const mod = (await import(file)) as Record<string, unknown>;
      const exported = Object.entries(mod).filter(([, v]) => typeof v === "function");
      expect(exported.length).toBeGreaterThan(0);
      for (const [exportName, fn] of exported) {
        if (PUBLIC_ACTIONS[`${rel(file)}#${exportName}`]) continue;
        let outcome: unknown;
        try {
          outcome = await (fn as (...a: unknown[]) => Promise<unknown>)({ stackName: "x", runbookBaseUrl: "" });
        } catch (error) {
          // A redirect to the sign-in page is a refusal too.
          expect(String((error as { digest?: string }).digest ?? error), `${exportName}`).toMatch(/NEXT_REDIRECT;.*\/login/);
          continue;
        }
        expect(outcome, `${rel(file)}#${exportName}`).toMatchObject({ ok: false, code: "unauthorized" });
      }
    });
  }
});

describe("admin actions refuse a viewer, server-side, with an audit event", () => {
  it("settings.update", async () => {
    await signInAs("guest");
    const { updateSettings } = await import("@/server/actions/settings");
    const result = await updateSettings({ stackName: "Hacked", runbookBaseUrl: "" });
    expect(result).toMatchObject({ ok: false, code: "forbidden" });
    const { getDb } = await import("@/server/db");
    const { readSettings } = await import("@/server/db/settings");
    const { listAuditEvents } = await import("@/server/db/audit");
    expect(readSettings(getDb()).stackName).not.toBe("Hacked");
    const events = listAuditEvents(getDb(), { action: "settings.update" }, 1).events;
    expect(events[0]).toMatchObject({ actor: "guest", role: "viewer", result: "refused" });
  });

  it("changes.refresh (it spends the forge token's rate limit)", async () => {
    await signInAs("guest");
    const { refreshChanges } = await import("@/server/actions/changes");
    expect(await refreshChanges({})).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("the same action works for an admin and is audited", async () => {
    await signInAs("admin");
    const { updateSettings } = await import("@/server/actions/settings");
    const result = await updateSettings({ stackName: "Brett's NAS", runbookBaseUrl: "" });
    expect(result).toMatchObject({ ok: true, data: { stackName: "Brett's NAS" } });
    const bad = await updateSettings({ stackName: "", runbookBaseUrl: "ftp://x" });
    expect(bad).toMatchObject({ ok: false, code: "invalid_input" });
    const { getDb } = await import("@/server/db");
    const { listAuditEvents } = await import("@/server/db/audit");
    expect(listAuditEvents(getDb(), { action: "settings.update", result: "ok" }, 1).events[0]).toMatchObject({ actor: "admin", role: "admin" });
  });
});

describe("sessions", () => {
  it("a signed-out session is refused by actions and route handlers, even with its token", async () => {
    const sid = await signInAs("admin");
    const { updateSettings } = await import("@/server/actions/settings");
    expect(await updateSettings({ stackName: "Before sign-out", runbookBaseUrl: "" })).toMatchObject({ ok: true });
    const { endSession } = await import("@/server/auth/session-check");
    const { getDb } = await import("@/server/db");
    endSession(getDb(), sid);
    expect(await updateSettings({ stackName: "After sign-out", runbookBaseUrl: "" })).toMatchObject({ ok: false, code: "unauthorized" });
    const { GET } = (await import("@/app/api/services/route")) as { GET: (r: Request, c: unknown) => Promise<Response> };
    expect((await GET(new Request("http://127.0.0.1/api/services"), {})).status).toBe(401);
  });

  it("a token without a server-side session (forged role claims included) is refused", async () => {
    session.current = { user: { id: "local:admin", name: "admin", role: "admin" } as { id: string; name: string } };
    const { updateSettings } = await import("@/server/actions/settings");
    expect(await updateSettings({ stackName: "Forged", runbookBaseUrl: "" })).toMatchObject({ ok: false, code: "unauthorized" });
  });
});

describe("public endpoints", () => {
  async function metricsGet(): Promise<(r: Request) => Promise<Response>> {
    vi.resetModules();
    return ((await import("@/app/api/metrics/route")) as { GET: (r: Request) => Promise<Response> }).GET;
  }
  const scrape = (GET: (r: Request) => Promise<Response>, token?: string) =>
    GET(new Request("http://127.0.0.1/api/metrics", token ? { headers: { authorization: `Bearer ${token}` } } : {}));

  it("/api/metrics needs PANEL_METRICS_TOKEN by default", async () => {
    useConfig(ACCOUNTS);
    const GET = await metricsGet();
    expect((await scrape(GET)).status).toBe(401);
    expect((await scrape(GET, "wrong")).status).toBe(401);
    const ok = await scrape(GET, "metrics-token-for-test");
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("panel_build_info");
  });

  it("/api/metrics uses the variable the config names, and answers nobody without it", async () => {
    process.env.OTHER_METRICS_TOKEN = "the-other-token";
    useConfig(`${ACCOUNTS}\nmetrics:\n  bearerTokenEnv: OTHER_METRICS_TOKEN\n`);
    let GET = await metricsGet();
    expect((await scrape(GET, "metrics-token-for-test")).status).toBe(401);
    expect((await scrape(GET, "the-other-token")).status).toBe(200);
    const saved = process.env.PANEL_METRICS_TOKEN;
    delete process.env.PANEL_METRICS_TOKEN;
    useConfig(ACCOUNTS);
    GET = await metricsGet();
    expect((await scrape(GET)).status).toBe(401);
    expect((await scrape(GET, "")).status).toBe(401);
    process.env.PANEL_METRICS_TOKEN = saved;
  });

  it("/api/metrics is public only with metrics.public: true", async () => {
    useConfig(`${ACCOUNTS}\nmetrics:\n  public: true\n`);
    const GET = await metricsGet();
    expect((await scrape(GET)).status).toBe(200);
    useConfig(ACCOUNTS);
  });

  it("/api/healthz tells anonymous callers only ok or not; details need a session or the metrics token", async () => {
    useConfig(ACCOUNTS);
    vi.resetModules();
    const { GET } = (await import("@/app/api/healthz/route")) as { GET: (r: Request) => Promise<Response> };
    session.current = null;
    const anonymous = await GET(new Request("http://127.0.0.1/api/healthz"));
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: "ok" });
    const withToken = await GET(new Request("http://127.0.0.1/api/healthz", { headers: { authorization: "Bearer metrics-token-for-test" } }));
    const body = (await withToken.json()) as { status: string; database: { ok: boolean }; kubernetes: { configured: boolean } };
    expect(body).toMatchObject({ status: "ok", database: { ok: true }, kubernetes: { configured: false } });
    expect(JSON.stringify(body)).not.toContain(process.env.PANEL_TEST_ADMIN_HASH ?? "x");
    await signInAs("guest");
    expect(await (await GET(new Request("http://127.0.0.1/api/healthz"))).json()).toMatchObject({ database: { ok: true } });
  });
});
