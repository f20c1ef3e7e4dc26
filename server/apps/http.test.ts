import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { startFakeApp, type FakeApp, type FakeHandler } from "@/scripts/fake-apps";
import { appMessagesOf, httpRequest, joinUrl, scrubSecrets, type HttpConnection } from "./http";

const KEY = "0123456789abcdef0123456789abcdef";
const apps: FakeApp[] = [];

async function serve(handler: FakeHandler): Promise<HttpConnection> {
  const app = await startFakeApp(handler);
  apps.push(app);
  return { baseUrl: `${app.url}/sonarr`, timeoutMs: 300, appName: "Sonarr", source: "sonarr", secrets: [KEY] };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected a failure");
}

const status = z.object({ version: z.string() });

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe("joinUrl", () => {
  it("keeps the URL base and adds the query", () => {
    expect(joinUrl("http://h:1/sonarr/", "/api/v3/health").href).toBe("http://h:1/sonarr/api/v3/health");
    expect(joinUrl("http://h:1", "api", { a: 1, b: undefined, c: "x y" }).href).toBe("http://h:1/api?a=1&c=x+y");
  });
});

describe("httpRequest error mapping", () => {
  it("parses and validates a good answer and measures latency", async () => {
    const conn = await serve((req) => (req.path === "/sonarr/api/v3/system/status" ? { json: { version: "4.0.1", extra: 1 } } : undefined));
    const r = await httpRequest(conn, { path: "/api/v3/system/status", schema: status });
    expect(r.data).toEqual({ version: "4.0.1" });
    expect(r.status).toBe(200);
    expect(r.latencyMs).toBeGreaterThan(0);
  });

  it("401 is unauthorized: key rejected, without the key", async () => {
    const conn = await serve(() => ({ status: 401, json: { message: `bad key ${KEY}` } }));
    const e = await failure(httpRequest(conn, { path: "/api/v3/system/status", query: { apikey: KEY }, schema: status }));
    expect(e.code).toBe("unauthorized");
    expect(e.message).toBe("Sonarr rejected the API key (HTTP 401)");
    expect(e.message).not.toContain(KEY);
  });

  it("401 without a key says the key is missing, not rejected", async () => {
    const conn = { ...(await serve(() => ({ status: 401, text: "Unauthorized" }))), secrets: [undefined, ""] };
    const e = await failure(httpRequest(conn, { path: "/api/v3/system/status", schema: status }));
    expect(e.code).toBe("unauthorized");
    expect(e.message).toBe("Sonarr: API key missing, the panel has none to send (HTTP 401)");
  });

  it("404 is not_found: wrong URL base?", async () => {
    const conn = await serve(() => ({ status: 404 }));
    const e = await failure(httpRequest(conn, { path: "/api/v3/system/status", query: { apikey: KEY }, schema: status }));
    expect(e.code).toBe("not_found");
    expect(e.message).toBe("Sonarr answered 404 for GET /api/v3/system/status: wrong URL base?");
  });

  it("a redirect or an HTML page where JSON belongs also says wrong URL base", async () => {
    const redirect = await serve(() => ({ status: 302, headers: { location: "/sonarr/login?returnUrl=x" } }));
    const r = await failure(httpRequest(redirect, { path: "/api/v3/system/status", schema: status }));
    expect([r.code, r.message]).toEqual(["not_found", "Sonarr redirected GET /api/v3/system/status to /sonarr/login: wrong URL base?"]);
    const html = await serve(() => ({ text: "<!doctype html><html><body>app</body></html>", headers: { "content-type": "text/html" } }));
    const h = await failure(httpRequest(html, { path: "/api/v3/system/status", schema: status }));
    expect(h.code).toBe("not_found");
    expect(h.message).toMatch(/web page instead of JSON: wrong URL base\?/);
  });

  it("a hung app times out after timeoutMs", async () => {
    const conn = await serve(() => ({ hang: true }));
    const t0 = Date.now();
    const e = await failure(httpRequest(conn, { path: "/api/v3/system/status", schema: status }));
    const took = Date.now() - t0;
    expect(e.code).toBe("timeout");
    expect(e.message).toBe("Sonarr did not answer GET /api/v3/system/status within 300 ms");
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1500);
  });

  it("a body that stalls after the headers also times out", async () => {
    const conn = await serve(() => ({ status: 200, json: { version: "4.0.1" }, stallBody: true }));
    const e = await failure(httpRequest(conn, { path: "/x", schema: status }));
    expect(e.code).toBe("timeout");
  });

  it("the outer signal aborts early, as a timeout", async () => {
    const conn = await serve(() => ({ hang: true }));
    const outer = new AbortController();
    setTimeout(() => outer.abort(), 50);
    const t0 = Date.now();
    const e = await failure(httpRequest({ ...conn, timeoutMs: 5000 }, { path: "/x", schema: status, signal: outer.signal }));
    expect(e.code).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("malformed JSON and a wrong shape are invalid_response", async () => {
    const broken = await serve(() => ({ text: '{"version": "4.0', headers: { "content-type": "application/json" } }));
    const m = await failure(httpRequest(broken, { path: "/api/v3/system/status", schema: status }));
    expect([m.code, m.message]).toEqual(["invalid_response", "Sonarr sent malformed JSON for GET /api/v3/system/status"]);
    const shape = await serve(() => ({ json: { version: 4 } }));
    const s = await failure(httpRequest(shape, { path: "/api/v3/system/status", schema: status }));
    expect(s.code).toBe("invalid_response");
    expect(s.message).toMatch(/^Sonarr sent an unexpected response for GET \/api\/v3\/system\/status \(version: /);
  });

  it("connection refused is unreachable", async () => {
    const conn = await serve(() => undefined);
    await apps.pop()?.close();
    const e = await failure(httpRequest(conn, { path: "/ping", schema: z.unknown() }));
    expect(e.code).toBe("unreachable");
    expect(e.message).toBe("Sonarr is unreachable: connection refused (ECONNREFUSED)");
  });

  it("5xx statuses: 500 carries the app's message, 503 is unreachable, 504 a timeout", async () => {
    let code = 500;
    const conn = await serve(() => ({ status: code, json: { message: "Database is locked", description: `key ${KEY}` } }));
    const e500 = await failure(httpRequest(conn, { path: "/api/v3/health", schema: z.unknown() }));
    expect([e500.code, e500.message]).toEqual(["invalid_response", "Sonarr answered HTTP 500 for GET /api/v3/health: Database is locked"]);
    code = 503;
    expect((await failure(httpRequest(conn, { path: "/x", schema: z.unknown() }))).code).toBe("unreachable");
    code = 504;
    expect((await failure(httpRequest(conn, { path: "/x", schema: z.unknown() }))).code).toBe("timeout");
  });

  it("400 keeps the app's validation messages, scrubbed of secrets", async () => {
    const conn = await serve(() => ({
      status: 400,
      json: [
        { propertyName: "Host", errorMessage: "Unable to connect to qBittorrent" },
        { propertyName: "ApiKey", errorMessage: `Key ${KEY} is invalid` },
      ],
    }));
    const e = await failure(httpRequest(conn, { path: "/api/v3/downloadclient", method: "POST", body: { apiKey: KEY }, schema: z.unknown() }));
    expect(e.code).toBe("invalid_input");
    expect(e.message).toBe(
      "Sonarr refused the request POST /api/v3/downloadclient (HTTP 400): Unable to connect to qBittorrent; Key [redacted] is invalid",
    );
  });

  it("sends JSON and form bodies with their content types", async () => {
    const conn = await serve((req) => ({ json: { version: `${req.headers["content-type"]}|${req.body}` } }));
    const json = await httpRequest(conn, { path: "/a", method: "POST", body: { a: 1 }, schema: status });
    expect(json.data.version).toBe('application/json|{"a":1}');
    const form = await httpRequest(conn, { path: "/a", method: "POST", form: { u: "x y" }, schema: status });
    expect(form.data.version).toBe("application/x-www-form-urlencoded|u=x+y");
  });
});

describe("helpers", () => {
  it("scrubSecrets and appMessagesOf", () => {
    expect(scrubSecrets(`a ${KEY} b ${KEY}`, [KEY, undefined])).toBe("a [redacted] b [redacted]");
    expect(appMessagesOf('{"message":"m"}')).toEqual(["m"]);
    expect(appMessagesOf('[{"errorMessage":"a"},{"errorMessage":"b"}]')).toEqual(["a", "b"]);
    expect(appMessagesOf("API Key Incorrect")).toEqual(["API Key Incorrect"]);
    expect(appMessagesOf("<html>x</html>")).toEqual([]);
  });
});
