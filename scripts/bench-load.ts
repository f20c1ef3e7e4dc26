// Load benchmark: 20 signed-in browsers' worth of traffic for 60 s against the panel on the lab,
// through the lab's nginx over HTTPS, the way people reach it (npm run lab -- up, npm run build first).
// Each "browser" is one session (its own sign-in) that keeps the live event stream open and asks for
// pages and data at 2 requests a second (the Overview, its JSON, the service list, a service page, the
// Changes and Audit pages), with autocannon on loopback only. Prints requests, errors (any answer
// that is not 200, socket errors and timeouts), latency p50 / p95 / p99, whether every event stream
// stayed open, and the panel's RSS after. Figures only; nothing is asserted.
// Run: npm run bench:load   (BENCH_LOAD_SECONDS, BENCH_LOAD_BROWSERS, BENCH_LOAD_RATE, BENCH_PORT)
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, scryptSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { stringify } from "yaml";
import { labIntegrationSettings, type LabIntegrationJson } from "../e2e/support/lab-integrations";
import { ensurePanelFront } from "../lab/apps/panel-front";

const ROOT = path.resolve(__dirname, "..");
const LAB_DIR = process.env.LAB_DIR ?? path.join(ROOT, ".lab");
const PORT = Number(process.env.BENCH_PORT ?? 3291);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const BROWSERS = Number(process.env.BENCH_LOAD_BROWSERS ?? 20);
/** Requests per second of one browser. */
const RATE = Number(process.env.BENCH_LOAD_RATE ?? 2);
const PASSWORD = randomBytes(12).toString("base64url");
const SERVER = path.join(ROOT, ".next", "standalone", "server.js");

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function rssMb(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024);
}

/** GET/POST over HTTPS with the lab CA (the front's certificate is verified here; autocannon does not verify). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca: Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? "GET", headers: opts.headers, ca: opts.ca, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

async function signIn(base: string, ca: Buffer): Promise<string> {
  const csrf = await request(`${base}/api/auth/csrf`, { ca });
  const jar = ((csrf.headers["set-cookie"] as string[] | undefined) ?? []).map((c) => c.split(";")[0]).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const answer = await request(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    ca,
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar },
    body: new URLSearchParams({ username: "admin", password: PASSWORD, csrfToken, callbackUrl: "/" }).toString(),
  });
  const session = ((answer.headers["set-cookie"] as string[] | undefined) ?? []).find((c) => c.startsWith("__Secure-authjs.session-token="));
  if (!session) fail(`sign-in failed (HTTP ${answer.status} ${String(answer.headers.location ?? "")})`);
  return session.split(";")[0] as string;
}

/** Holds one browser's event stream open; counts its events and whether it was still open at the end. */
function openStream(base: string, cookie: string, ca: Buffer): { events: () => number; open: () => boolean; close: () => void } {
  let events = 0;
  let open = true;
  const req = https.request(`${base}/api/events`, { headers: { cookie, accept: "text/event-stream" }, ca }, (res) => {
    if (res.statusCode !== 200) open = false;
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (events += (chunk.match(/^event: /gm) ?? []).length));
    res.on("close", () => (open = false));
  });
  req.on("error", () => (open = false));
  req.end();
  return { events: () => events, open: () => open, close: () => req.destroy() };
}

async function main(): Promise<void> {
  const labJson = path.join(LAB_DIR, "lab.json");
  if (!existsSync(labJson)) fail("The lab is not up: run `npm run lab -- up` first.");
  if (!existsSync(SERVER)) fail("The panel is not built: run `npm run build` first.");
  const front = await ensurePanelFront({ labDir: LAB_DIR, name: "bench", upstreamPort: PORT });
  const ca = readFileSync(front.caFile);
  const lab = JSON.parse(readFileSync(labJson, "utf8")) as LabIntegrationJson & { kubeconfig: string };
  const integration = labIntegrationSettings(lab);
  const panelKubeconfig = path.join(LAB_DIR, "panel.kubeconfig");
  const dir = mkdtempSync(path.join(tmpdir(), "panel-bench-load-"));
  writeFileSync(
    path.join(dir, "config.yaml"),
    stringify({
      server: { publicUrl: front.url, trustedProxies: [`${front.proxyAddress}/32`], logLevel: "warn" },
      kubernetes: { mode: "kubeconfig", kubeconfig: existsSync(panelKubeconfig) ? panelKubeconfig : lab.kubeconfig },
      addressMap: integration.config.addressMap,
      apps: integration.config.apps,
      integrations: integration.config.integrations,
    }),
  );
  const salt = randomBytes(16);
  const hash = `scrypt$16384$8$1$${salt.toString("base64")}$${scryptSync(PASSWORD, salt, 32).toString("base64")}`;
  const panel: ChildProcess = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PORT: String(PORT),
      HOSTNAME: "127.0.0.1",
      NEXT_TELEMETRY_DISABLED: "1",
      PANEL_CONFIG: path.join(dir, "config.yaml"),
      PANEL_DATA_DIR: path.join(dir, "data"),
      PANEL_ADMIN_PASSWORD_HASH: hash,
      AUTH_SECRET: randomBytes(33).toString("base64"),
      PANEL_METRICS_TOKEN: randomBytes(24).toString("hex"),
      PANEL_LOG_LEVEL: "warn",
      // The production limits (Dockerfile, scripts/start-standalone.mjs).
      NODE_OPTIONS: "--max-old-space-size=192 --max-semi-space-size=4",
      ...integration.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = () => {
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await request(`${front.url}/api/healthz`, { ca }).then((r) => r.status === 200, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error("the panel did not answer through the front within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    const cookies: string[] = [];
    for (let i = 0; i < BROWSERS; i++) cookies.push(await signIn(front.url, ca));
    const one = await request(`${front.url}/api/services`, { headers: { cookie: cookies[0] as string }, ca });
    const services = (JSON.parse(one.body) as { services: Array<{ namespace: string; name: string }> }).services;
    const service = services.find((s) => s.name === "sonarr") ?? services[0];
    if (!service) throw new Error("the panel lists no service: is the lab seeded?");
    const streams = cookies.map((c) => openStream(front.url, c, ca));
    const rssBefore = rssMb(panel.pid as number);
    console.log(`panel ${front.url} (pid ${panel.pid}, ${services.length} services, RSS ${rssBefore} MB); ${BROWSERS} sessions, ${RATE} req/s each, ${SECONDS} s...`);

    const paths = ["/", "/api/services", "/services", `/api/services/${service.namespace}/${service.name}`, "/api/services", "/changes", "/audit"];
    const times: number[] = [];
    const statuses = new Map<number, number>();
    // One autocannon instance per browser: its own session cookie on every request it sends.
    const trackers = cookies.map((cookie) => {
      const tracker = autocannon({
        url: front.url,
        connections: 1,
        connectionRate: RATE,
        duration: SECONDS,
        timeout: 30,
        headers: { cookie, accept: "text/html,application/json" },
        requests: paths.map((p) => ({ method: "GET" as const, path: p })),
      });
      tracker.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
        times.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
      return tracker;
    });
    const results = await Promise.all(trackers.map((t) => Promise.resolve(t)));
    const total = (pick: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + pick(r), 0);
    const result = {
      requests: total((r) => r.requests.total),
      non2xx: total((r) => r.non2xx),
      errors: total((r) => r.errors),
      timeouts: total((r) => r.timeouts),
      duration: Math.max(...results.map((r) => r.duration)),
    };
    times.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0);
    const stillOpen = streams.filter((s) => s.open()).length;
    const events = streams.reduce((n, s) => n + s.events(), 0);
    for (const s of streams) s.close();
    const rssAfter = rssMb(panel.pid as number);
    const notOk = result.non2xx + result.errors + result.timeouts;
    console.log(`requests:  ${result.requests} in ${result.duration} s (${Math.round(result.requests / result.duration)} req/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    console.log(`errors:    ${notOk} (non-2xx ${result.non2xx}, socket errors ${result.errors}, timeouts ${result.timeouts})`);
    console.log(`latency:   p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${Math.round(times.at(-1) ?? 0)} ms`);
    console.log(`streams:   ${stillOpen}/${BROWSERS} event streams open at the end, ${events} events received`);
    console.log(`panel RSS: ${rssBefore} MB before, ${rssAfter} MB after`);
  } finally {
    stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
