/**
 * Every route handler and every server action in the tree must refuse an anonymous caller, and every
 * admin action must refuse a viewer (with an audit event). The tree is scanned, so a new handler or
 * action is covered the moment it is added; the only exceptions are listed below with their reason.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

const root = path.resolve(__dirname, "..");
const session: { current: null | { user: { id: string; name: string; role: string } } } = { current: null };

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
  "app/api/metrics/route.ts": "Prometheus scrapes it; behind a bearer token when one is configured (tested below)",
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

beforeAll(async () => {
  const { hashPassword } = await import("@/server/auth/password");
  process.env.PANEL_DATA_DIR = mkdtempSync(path.join(tmpdir(), "panel-guards-"));
  process.env.PANEL_ADMIN_PASSWORD_HASH = await hashPassword("irrelevant-here");
  process.env.PANEL_METRICS_TOKEN = "metrics-token-for-test";
  delete process.env.PANEL_CONFIG;
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
    session.current = { user: { id: "local:guest", name: "guest", role: "viewer" } };
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

  it("the same action works for an admin and is audited", async () => {
    session.current = { user: { id: "local:admin", name: "admin", role: "admin" } };
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

describe("public endpoints", () => {
  it("/api/metrics requires its bearer token when one is configured", async () => {
    const { loadConfigFrom } = await import("@/server/config/load");
    // The metrics route reads the process configuration: point it at a file that names the token.
    const dir = mkdtempSync(path.join(tmpdir(), "panel-metrics-"));
    const file = path.join(dir, "config.yaml");
    (await import("node:fs")).writeFileSync(file, "metrics:\n  bearerTokenEnv: PANEL_METRICS_TOKEN\n");
    expect(loadConfigFrom({ ...process.env, PANEL_CONFIG: file }).config.metrics.bearerTokenEnv).toBe("PANEL_METRICS_TOKEN");
    vi.resetModules();
    process.env.PANEL_CONFIG = file;
    const { GET } = (await import("@/app/api/metrics/route")) as { GET: (r: Request) => Promise<Response> };
    expect((await GET(new Request("http://127.0.0.1/api/metrics"))).status).toBe(401);
    expect((await GET(new Request("http://127.0.0.1/api/metrics", { headers: { authorization: "Bearer wrong" } }))).status).toBe(401);
    const ok = await GET(new Request("http://127.0.0.1/api/metrics", { headers: { authorization: "Bearer metrics-token-for-test" } }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("panel_build_info");
    delete process.env.PANEL_CONFIG;
  });

  it("/api/healthz reports the database and Kubernetes without secrets", async () => {
    const { GET } = (await import("@/app/api/healthz/route")) as { GET: () => Promise<Response> };
    const response = await GET();
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; database: { ok: boolean }; kubernetes: { configured: boolean } };
    expect(body).toMatchObject({ status: "ok", database: { ok: true }, kubernetes: { configured: false } });
    expect(JSON.stringify(body)).not.toContain(process.env.PANEL_ADMIN_PASSWORD_HASH ?? "x");
  });
});
