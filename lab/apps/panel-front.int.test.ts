import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labDir } from "../paths";
import { ensurePanelFront, type PanelFront } from "./panel-front";

/** A stand-in panel that answers with what reached it: the TCP peer and the headers. */
let upstream: http.Server;
let front: PanelFront;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ peer: req.socket.remoteAddress, headers: req.headers }));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  front = await ensurePanelFront({ labDir: labDir(), name: "int-test", upstreamPort: (upstream.address() as AddressInfo).port });
});

afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

function get(url: string, headers: Record<string, string> = {}, ca?: Buffer): Promise<{ peer: string; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers, ...(ca ? { ca } : {}) }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(JSON.parse(body) as { peer: string; headers: Record<string, string> }));
      })
      .on("error", reject);
  });
}

describe("the lab's HTTPS front of a panel", () => {
  it("serves a certificate of the lab CA for 127.0.0.1, refused without that CA", async () => {
    expect(front.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await expect(get(`${front.url}/`)).rejects.toThrow(/self-signed|unable to verify|certificate/i);
    const seen = await get(`${front.url}/`, {}, readFileSync(front.caFile));
    expect(seen.peer).toBe(front.proxyAddress);
  });

  it("sets the forwarded headers as ingress-nginx does, appending to what the client sent", async () => {
    const port = new URL(front.url).port;
    const seen = await get(`${front.url}/x?y=1`, { "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example" }, readFileSync(front.caFile));
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(seen.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe(`127.0.0.1:${port}`);
    expect(seen.headers.host).toBe(`127.0.0.1:${port}`);
  });

  it("keeps its port when asked again", async () => {
    const again = await ensurePanelFront({ labDir: labDir(), name: "int-test", upstreamPort: (upstream.address() as AddressInfo).port });
    expect(again.url).toBe(front.url);
  });
});
