import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { checkServerIdentity, connect } from "node:tls";
import type { PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";
import type { TlsCase } from "./tls";

let lab: AppsHandle;

beforeAll(async () => {
  lab = await useLabApps();
});

afterAll(async () => {
  await lab?.release();
});

interface Handshake {
  cert: PeerCertificate;
  authorized: boolean;
  authorizationError: string | undefined;
}

/** A real TLS handshake with SNI = the case's host, trusting the lab CA. */
function handshake(c: TlsCase): Promise<Handshake> {
  return new Promise((resolveHs, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: c.port,
      servername: c.host,
      ca: readFileSync(c.caFile),
      rejectUnauthorized: false,
      // Identity is checked separately below.
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const authorizationError = socket.authorizationError === null ? undefined : String(socket.authorizationError);
      resolveHs({ cert, authorized: socket.authorized, authorizationError });
      socket.end();
    });
    socket.once("error", reject);
  });
}

function tlsCase(name: TlsCase["name"]): TlsCase {
  const c = lab.apps.tls.find((t) => t.name === name);
  if (c === undefined) throw new Error(`no TLS case ${name} in apps.tls`);
  return c;
}

const DAY = 86_400_000;

describe("nginx ingress TLS cases", () => {
  it("records four cases on distinct ports, issued by the lab CA", () => {
    expect(lab.apps.tls.map((t) => t.name).sort()).toEqual(["expired", "expiring", "mismatch", "valid"]);
    expect(new Set(lab.apps.tls.map((t) => t.port)).size).toBe(4);
    expect(lab.apps.tls[0]?.host).toBe("home.brettswift.com");
  });

  it("valid: trusted, matches its host, about 90 days left", async () => {
    const c = tlsCase("valid");
    const hs = await handshake(c);
    expect(new Date(hs.cert.valid_to).toISOString()).toBe(c.expectNotAfter);
    expect(hs.authorized).toBe(true);
    expect(checkServerIdentity(c.host, hs.cert)).toBeUndefined();
    const left = Date.parse(c.expectNotAfter) - Date.now();
    expect(left).toBeGreaterThan(60 * DAY);
    expect(left).toBeLessThanOrEqual(90 * DAY);
  });

  it("expiring: trusted, matches its host, fewer than 30 days left", async () => {
    const c = tlsCase("expiring");
    const hs = await handshake(c);
    expect(new Date(hs.cert.valid_to).toISOString()).toBe(c.expectNotAfter);
    expect(hs.authorized).toBe(true);
    expect(checkServerIdentity(c.host, hs.cert)).toBeUndefined();
    const left = Date.parse(c.expectNotAfter) - Date.now();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(30 * DAY);
  });

  it("expired: notAfter in the past, rejected as expired", async () => {
    const c = tlsCase("expired");
    const hs = await handshake(c);
    expect(new Date(hs.cert.valid_to).toISOString()).toBe(c.expectNotAfter);
    expect(Date.parse(c.expectNotAfter)).toBeLessThan(Date.now());
    expect(hs.authorized).toBe(false);
    expect(hs.authorizationError).toBe("CERT_HAS_EXPIRED");
  });

  it("mismatch: trusted chain and dates, but the SAN does not name the host", async () => {
    const c = tlsCase("mismatch");
    const hs = await handshake(c);
    expect(new Date(hs.cert.valid_to).toISOString()).toBe(c.expectNotAfter);
    expect(hs.authorized).toBe(true);
    expect(hs.cert.subjectaltname).not.toContain(`DNS:${c.host},`);
    expect(checkServerIdentity(c.host, hs.cert)).toBeInstanceOf(Error);
  });

  it("plain HTTP endpoint answers without redirecting to HTTPS", async () => {
    const res = await fetch(`${lab.apps.ingress.plainUrl}/qbittorrent/`, { redirect: "manual" });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain("qBittorrent");
    expect(res.headers.get("x-lab-endpoint")).toBe("plain-http");
    expect(res.headers.get("location")).toBeNull();
  });
});

describe("nginx ingress routing", () => {
  it("proxies /qbittorrent/ (rewrite-target /$2) to the real qBittorrent over HTTPS", async () => {
    const c = tlsCase("valid");
    const { status, body } = await new Promise<{ status: number; body: string }>((resolveReq, reject) => {
      const form = new URLSearchParams({ username: lab.apps.qbittorrent.username, password: lab.apps.qbittorrent.password }).toString();
      const req = connect({ host: "127.0.0.1", port: c.port, servername: c.host, ca: readFileSync(c.caFile) }, () => {
        req.write(
          `POST /qbittorrent/api/v2/auth/login HTTP/1.1\r\nHost: ${c.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(form)}\r\nConnection: close\r\n\r\n${form}`,
        );
      });
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString("utf8")));
      req.on("end", () => resolveReq({ status: Number(raw.split(" ")[1]), body: raw.slice(raw.indexOf("\r\n\r\n") + 4) }));
      req.on("error", reject);
    });
    expect(status).toBe(200);
    expect(body).toContain("Ok.");
  });

  it("keeps the Exact /jellyfin redirect of the user's ingress", async () => {
    const res = await new Promise<{ status: number; location: string | undefined }>((resolveReq, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: lab.apps.ingress.plainPort, path: "/jellyfin", headers: { host: "home.brettswift.com" } }, (r) => {
        r.resume();
        resolveReq({ status: r.statusCode ?? 0, location: r.headers.location });
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(301);
    expect(res.location).toBe("https://home.brettswift.com/jellyfin/");
  });

  it("routes every ingress path of the fixture", () => {
    const paths = lab.apps.ingress.routes.map((r) => `${r.host}${r.path}`);
    expect(paths).toContain("home.brettswift.com/sonarr");
    expect(paths).toContain("jellyseerr.home.brettswift.com/");
    const qb = lab.apps.ingress.routes.find((r) => r.service === "qbittorrent.qbittorrent");
    expect(qb?.upstream).toBe(lab.apps.qbittorrent.url);
  });
});
