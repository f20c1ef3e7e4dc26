import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTlsCases } from "@/lab/apps/tls";
import { openDatabase } from "@/server/db/open";
import { latestTlsResults, tlsHistory } from "@/server/db/tls-probes";
import { checkHttpsOnly, parseAddress, probeTls, trustedCas, type Address } from "./probe";
import { TlsProber } from "./prober";

/**
 * Real handshakes against real TLS servers on loopback, with certificates from a CA made by openssl
 * (the lab's TLS cases: valid, expiring, expired, a wrong name), a server that accepts and never
 * answers the handshake, and a closed port.
 */

const HOST = "home.example.test";
let dir: string;
let ca: string;
const servers: Array<net.Server> = [];
const sockets = new Set<net.Socket>();
const addr: Record<string, Address> = {};
/** The connections the never-answering server held: when each opened and closed (performance.now()). */
const hangLog: Array<{ start: number; end?: number }> = [];

function listen(server: net.Server): Promise<Address> {
  servers.push(server);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port })));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "panel-tls-probe-"));
  const cases = await ensureTlsCases(dir, [HOST, `app.${HOST}`]);
  ca = readFileSync(cases[0]!.caFile, "utf8");
  for (const c of cases) {
    const server = https.createServer({ cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) }, (req, res) => {
      res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
      res.end("ok");
    });
    addr[c.name] = await listen(server);
  }
  addr.hang = await listen(
    net.createServer((socket) => {
      const entry: (typeof hangLog)[number] = { start: performance.now() };
      hangLog.push(entry);
      // Read (and ignore) the ClientHello, so the client's close is seen.
      socket.resume();
      socket.on("close", () => (entry.end = performance.now()));
    }),
  );
  const closed = await listen(net.createServer());
  await new Promise<void>((r) => servers.pop()?.close(() => r()));
  addr.closed = closed;
  addr.plain = await listen(
    http.createServer((req, res) => {
      if (req.headers.host === HOST) {
        res.writeHead(308, { location: `https://${HOST}${req.url}` });
        res.end();
      } else res.end("plain");
    }),
  );
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(dir, { recursive: true, force: true });
});

describe("a live TLS probe", () => {
  it("valid: the served certificate, trusted through the configured CA, names the host, its TLS version and serial", async () => {
    const p = await probeTls(HOST, addr.valid!, { timeoutMs: 3000, ca: trustedCas(ca) });
    expect(p).toMatchObject({ host: HOST, address: `127.0.0.1:${addr.valid!.port}`, outcome: "ok", chainTrusted: true, nameMatches: true });
    expect(p.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(p.certificate?.sans).toEqual([HOST, `app.${HOST}`]);
    expect(p.certificate?.issuer).toBe("CN=k8s-nas lab CA");
    expect(p.certificate?.serial).toMatch(/^[0-9A-F]+$/);
    expect(Date.parse(p.certificate?.notAfter ?? "") - Date.now()).toBeGreaterThan(60 * 86_400_000);
  });

  it("the same server without the CA is not trusted, and says why", async () => {
    const p = await probeTls(HOST, addr.valid!, { timeoutMs: 3000, ca: trustedCas() });
    expect(p.chainTrusted).toBe(false);
    expect(p.chainError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it("expired and wrong-name certificates are told apart", async () => {
    const expired = await probeTls(HOST, addr.expired!, { timeoutMs: 3000, ca: trustedCas(ca) });
    expect(expired).toMatchObject({ outcome: "ok", chainTrusted: false, chainError: "CERT_HAS_EXPIRED", nameMatches: true });
    const wrong = await probeTls(HOST, addr.mismatch!, { timeoutMs: 3000, ca: trustedCas(ca) });
    expect(wrong).toMatchObject({ outcome: "ok", chainTrusted: true, nameMatches: false });
    expect(wrong.certificate?.sans).toEqual([`wrong-host.${HOST}`]);
  });

  it("a server that never answers the handshake costs one timeout; a closed port is refused at once", async () => {
    const hang = await probeTls(HOST, addr.hang!, { timeoutMs: 500, ca: trustedCas(ca) });
    expect(hang).toMatchObject({ outcome: "timeout", error: "no handshake within 500 ms" });
    const refused = await probeTls(HOST, addr.closed!, { timeoutMs: 3000, ca: trustedCas(ca) });
    expect(refused).toMatchObject({ outcome: "refused", error: "connection refused" });
  });

  it("the HTTPS-only check reads the redirect (not followed) and the HSTS header", async () => {
    const c = await checkHttpsOnly({ ingress: "media/x", host: HOST, path: "/sonarr" }, { http: addr.plain!, https: addr.valid! }, { timeoutMs: 3000 });
    expect(c.http).toEqual({ status: 308, location: `https://${HOST}/sonarr` });
    expect(c.https).toEqual({ status: 200, hsts: "max-age=31536000; includeSubDomains" });
    const other = await checkHttpsOnly({ ingress: "media/y", host: "plain.example.test", path: "/" }, { http: addr.plain!, https: addr.closed! }, { timeoutMs: 3000 });
    expect(other.http).toEqual({ status: 200 });
    expect(other.https.error).toBe("connection refused");
  });

  it("parses addresses", () => {
    expect(parseAddress("127.0.0.1:8443")).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(parseAddress("[::1]:443")).toEqual({ host: "::1", port: 443 });
    expect(() => parseAddress("nohost")).toThrow();
  });
});

describe("the TLS prober", () => {
  it("sweeps hosts side by side (the hung ones cost one timeout), stores each probe and reads the latest back", async () => {
    const db = openDatabase(path.join(dir, "db"));
    const hosts = ["valid", "expired", "mismatch", "hang", "hang2", "closed"].map((n) => `${n}.example.test`);
    const address = (host: string): Address => {
      const name = host.split(".")[0]!.replace(/2$/, "");
      return addr[name]!;
    };
    const prober = new TlsProber(
      { targets: async () => ({ hosts, checks: [{ ingress: "media/x", host: "valid.example.test", path: "/" }] }), db },
      { intervalMs: 60_000, timeoutMs: 3000, concurrency: 10, thresholds: { warnDays: 30, criticalDays: 7 }, historyDays: 30, ca: trustedCas(ca), addressOf: (h) => ({ https: address(h), http: addr.plain! }) },
    );
    hangLog.length = 0;
    const sweep = await prober.probeNow();
    // Side by side: the two hung hosts' connections were open at the same time, so they cost one timeout.
    for (let i = 0; i < 100 && hangLog.some((h) => h.end === undefined); i++) await new Promise((r) => setTimeout(r, 50));
    expect(hangLog).toHaveLength(2);
    expect(Math.max(...hangLog.map((h) => h.start))).toBeLessThan(Math.min(...hangLog.map((h) => h.end ?? 0)));
    expect(sweep.probes.map((p) => `${p.host}:${p.outcome}`).sort()).toEqual([
      "closed.example.test:refused",
      "expired.example.test:ok",
      "hang.example.test:timeout",
      "hang2.example.test:timeout",
      "mismatch.example.test:ok",
      "valid.example.test:ok",
    ]);
    expect(sweep.checks).toHaveLength(1);
    await prober.probeNow(["valid.example.test"]);
    const latest = latestTlsResults(db);
    expect(latest.probes.map((p) => p.host).sort()).toEqual([...hosts].sort());
    expect(latest.checks).toHaveLength(1);
    const history = tlsHistory(db, 0);
    // Two identical probes of the valid host are one point of history.
    expect(history.get("valid.example.test")).toHaveLength(1);
    expect(history.get("expired.example.test")?.[0]?.summary).toMatch(/^Serves a certificate that expired/);
    // A new prober starts from the stored results.
    const again = new TlsProber({ targets: async () => ({ hosts: [], checks: [] }), db }, prober.settings);
    expect([...again.probes().keys()].sort()).toEqual([...hosts].sort());
    db.$client.close();
  }, 30_000);
});
