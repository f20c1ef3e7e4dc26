// Certificates benchmark. Prints:
//  - one TLS probe sweep over 50 local TLS hosts where 5 accept the connection but never answer the
//    handshake (target: about one timeout, not five);
//  - the Certificates page's server response time (HTML page and /api/certificates), p50 / p95, on the
//    seeded lab with the panel probing its Ingress hosts through the lab's ingress controller
//    (target: p95 < 300 ms). Skipped without the lab (npm run lab -- up) or without a build.
// Figures only; nothing is asserted.
// Run: npm run bench:certs
// Env: BENCH_HOSTS (50), BENCH_HANGING (5), BENCH_PROBE_TIMEOUT_MS (5000, the default
//      certificates.probeTimeoutMs), BENCH_CONCURRENCY (10), BENCH_PORT (3291), BENCH_REQUESTS (60).
import { benchSignIn, percentile, startBenchPanel } from "@/scripts/bench-panel";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { parsePanelConfig } from "@/lib/config-schema";
import { TlsProber, tlsProberSettingsOf } from "@/server/certs/prober";

const ROOT = path.resolve(__dirname, "..");
const count = Number(process.env.BENCH_HOSTS ?? 50);
const hanging = Number(process.env.BENCH_HANGING ?? 5);
const timeoutMs = Number(process.env.BENCH_PROBE_TIMEOUT_MS ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3291);
const BASE = `http://127.0.0.1:${PORT}`;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const SERVER = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");

/** A self-signed certificate naming every bench host (made with openssl in `dir`). */
function benchCertificate(dir: string, hosts: string[]): { cert: string; key: string } {
  const key = path.join(dir, "bench.key");
  const cert = path.join(dir, "bench.crt");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
    "-days", "60", "-subj", "/CN=bench.test", "-addext", `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
  ], { stdio: "ignore" });
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * The bench hosts, in a child process of their own (so their handshakes do not share the prober's
 * event loop): prints `{ ports }` as JSON once listening, and keeps running until killed.
 */
async function serveHosts(): Promise<void> {
  const { cert, key, hanging: n, hosts } = JSON.parse(process.env.BENCH_HOSTS_SPEC ?? "{}") as { cert: string; key: string; hanging: number; hosts: string[] };
  const sockets = new Set<net.Socket>();
  const ports: Record<string, number> = {};
  for (const [i, host] of hosts.entries()) {
    // The first `hanging` hosts accept the connection and never answer the handshake.
    const server = i < n ? net.createServer((s) => sockets.add(s)) : tls.createServer({ cert, key });
    ports[host] = await listen(server);
  }
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
}

async function probeSweep(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-certs-"));
  const hosts = Array.from({ length: count }, (_, i) => `host${i}.bench.test`);
  const { cert, key } = benchCertificate(dir, hosts);
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, BENCH_ROLE: "hosts", BENCH_HOSTS_SPEC: JSON.stringify({ cert, key, hanging, hosts }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const ports = await new Promise<Record<string, number>>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve((JSON.parse(out.split("\n")[0] ?? "{}") as { ports: Record<string, number> }).ports);
      });
      child.once("exit", (code) => reject(new Error(`the bench hosts exited (${code})`)));
    });
    const parsed = parsePanelConfig({
      certificates: {
        probeTimeoutMs: timeoutMs,
        probeConcurrency: concurrency,
        addresses: Object.fromEntries(hosts.map((h) => [h, { https: `127.0.0.1:${ports[h]}`, http: `127.0.0.1:${ports[h]}` }])),
      },
    });
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; "));
    const prober = new TlsProber({ targets: () => Promise.resolve({ hosts, checks: [] }), db: null }, tlsProberSettingsOf(parsed.config, cert));
    console.log(`bench-certs: ${count} TLS hosts on 127.0.0.1 in another process (${hanging} never answer the handshake), timeout ${timeoutMs} ms, concurrency ${concurrency}`);
    for (const label of ["first sweep", "second sweep"]) {
      const sweep = await prober.probeNow();
      const answered = sweep.probes.filter((p) => p.outcome === "ok").length;
      const slowest = Math.max(0, ...sweep.probes.filter((p) => p.outcome === "ok").map((p) => p.durationMs));
      console.log(
        `bench-certs: ${label}: ${sweep.durationMs} ms for ${sweep.probes.length} hosts (${answered} handshakes, slowest ${slowest} ms; ${sweep.probes.length - answered} timed out) = ${(sweep.durationMs / timeoutMs).toFixed(2)} x the timeout`,
      );
    }
    await prober.stop();
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Lab {
  kubeconfig: string;
  namespaces: string[];
  addressMap: Record<string, string>;
  labDir: string;
  apps: { ingress?: { controller?: { httpsPort: number; httpPort: number } } };
}

async function startPanel(lab: Lab, dir: string): Promise<ChildProcess> {
  const controller = lab.apps.ingress?.controller;
  const cas = [path.join(lab.labDir, "certs", "ca.crt"), path.join(lab.labDir, "tls", "ca.crt")].filter((f) => existsSync(f));
  writeFileSync(path.join(dir, "ca.pem"), cas.map((f) => readFileSync(f, "utf8")).join(""));
  const config = {
    kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig, namespaces: lab.namespaces },
    addressMap: lab.addressMap,
    server: { logLevel: "warn" },
    certificates: {
      caFile: path.join(dir, "ca.pem"),
      ...(controller ? { httpsAddress: `127.0.0.1:${controller.httpsPort}`, httpAddress: `127.0.0.1:${controller.httpPort}` } : {}),
    },
  };
  return startBenchPanel({ port: PORT, dir, config: config, startTimeoutMs: 30_000 });
}

async function signIn(): Promise<string> {
  return benchSignIn(BASE);
}

async function measure(cookie: string, url: string, n: number): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${BASE}${url}`, { headers: { cookie } });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function pageTimes(): Promise<void> {
  const labFile = path.join(process.env.LAB_DIR ?? path.join(ROOT, ".lab"), "lab.json");
  if (!existsSync(labFile) || !existsSync(SERVER)) {
    console.log("bench-certs: page timing skipped (needs the lab, npm run lab -- up, and a build, npm run build)");
    return;
  }
  const lab = JSON.parse(readFileSync(labFile, "utf8")) as Lab;
  const dir = mkdtempSync(path.join(tmpdir(), "bench-certs-panel-"));
  const child = await startPanel(lab, dir);
  try {
    const cookie = await signIn();
    // Wait for the first probe sweep, so the page shows every host's live result.
    const deadline = Date.now() + 60_000;
    let hosts = 0;
    let certificates = 0;
    while (Date.now() < deadline) {
      const r = await fetch(`${BASE}/api/certificates`, { headers: { cookie } });
      if (r.ok) {
        const view = (await r.json()) as { certificates: unknown[]; hosts: { probe?: unknown }[] };
        certificates = view.certificates.length;
        hosts = view.hosts.length;
        if (hosts > 0 && view.hosts.every((h) => h.probe !== undefined)) break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    await measure(cookie, "/certificates", 5);
    const page = await measure(cookie, "/certificates", REQUESTS);
    const api = await measure(cookie, "/api/certificates", REQUESTS);
    console.log(`bench-certs: seeded lab (${certificates} Certificates, ${hosts} Ingress hosts probed), ${REQUESTS} requests each`);
    console.log(`bench-certs: /certificates p50 ${page.p50.toFixed(0)} ms, p95 ${page.p95.toFixed(0)} ms (target p95 < 300 ms)`);
    console.log(`bench-certs: /api/certificates p50 ${api.p50.toFixed(0)} ms, p95 ${api.p95.toFixed(0)} ms`);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.BENCH_ROLE === "hosts") {
  void serveHosts();
} else {
  main();
}

function main(): void {
const began = Date.now();
probeSweep()
  .then(pageTimes)
  .then(
    () => {
      console.log(`bench-certs: done in ${((Date.now() - began) / 1000).toFixed(1)} s (load average ${(readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?")})`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
