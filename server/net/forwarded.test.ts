import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardedHookInstalled, installForwardedHook, PEER_HEADER, requestOrigin } from "./forwarded";

/** Sends a request from `localAddress` and returns the headers and origin the handler saw. */
function ask(port: number, localAddress: string, headers: Record<string, string>): Promise<{ headers: http.IncomingHttpHeaders; origin: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, localAddress, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(JSON.parse(body) as { headers: http.IncomingHttpHeaders; origin: unknown }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the forwarded-header hook", () => {
  let server: http.Server;
  let port = 0;

  beforeAll(async () => {
    // Created before the hook: the hook must still cover it.
    server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      res.end(JSON.stringify({ headers: req.headers, origin: requestOrigin(headers) }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
    expect(requestOrigin(new Headers({ [PEER_HEADER]: "127.0.0.2", "x-forwarded-for": "1.2.3.4" })).address).toBe("unknown");
    installForwardedHook(["127.0.0.2/32"]);
    installForwardedHook(["127.0.0.2/32"]);
    expect(forwardedHookInstalled()).toBe(true);
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("drops forwarded headers a direct client wrote and records the real peer", async () => {
    const seen = await ask(port, "127.0.0.1", {
      "X-Forwarded-For": "203.0.113.9",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "evil.example",
      "X-Real-IP": "203.0.113.9",
      Forwarded: "for=203.0.113.9;proto=https",
      [PEER_HEADER]: "127.0.0.2",
    });
    expect(seen.headers[PEER_HEADER]).toBe("127.0.0.1");
    for (const h of ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "forwarded"]) expect(seen.headers[h], h).toBeUndefined();
    expect(seen.origin).toEqual({ address: "127.0.0.1", https: false, viaTrustedProxy: false });
  });

  it("keeps a trusted proxy's headers and takes the address it saw", async () => {
    const seen = await ask(port, "127.0.0.2", { "X-Forwarded-For": "203.0.113.9, 192.168.1.50", "X-Forwarded-Proto": "https" });
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.origin).toEqual({ address: "192.168.1.50", https: true, viaTrustedProxy: true });
  });
});
