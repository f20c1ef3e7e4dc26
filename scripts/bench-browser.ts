// Browser benchmark: the panel's Overview, a service page and the Integrations page in Debian's chromium,
// against the lab (npm run lab -- up and npm run build first). For each page it prints, over several runs
// (min / median / max):
//  - cold (a fresh browser profile each run): when the services' state is in the page, when it is painted
//    (the later of the state and the first contentful paint), requests by kind (documents, scripts, `?_rsc=`
//    fetches, styles, fonts, the event stream, other) and JavaScript bytes on the wire (all, and those asked
//    for before the load event: a chart library loaded after the page counts only in the total);
//  - warm (one tab, the page loaded again and again): painted median and p95;
//  - the server's CPU per warm view (from /proc, minus what the idle panel spends in as long) and its RSS
//    before and after the warm views.
// Targets (overview): state in page <= 200 ms, painted cold <= 250 ms, warm painted <= 100 / 150 ms,
// CPU <= 0.025 s per view, RSS after 100 views <= 200 MiB, JS <= 120 KiB, <= 15 requests per cold view.
// Figures only; nothing is asserted.
// Run: npm run bench:browser   (BENCH_BROWSER_RUNS cold runs, default 5; BENCH_BROWSER_VIEWS warm views, 100;
//      BENCH_BROWSER_PAGES=overview,integrations measures only those pages)
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { labIntegrationSettings, type LabIntegrationJson } from "@/e2e/support/lab-integrations";
import { benchSignIn, percentile, readBenchLab, startBenchPanel } from "@/scripts/bench-panel";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3293);
const BASE = `http://127.0.0.1:${PORT}`;
const RUNS = Number(process.env.BENCH_BROWSER_RUNS ?? 5);
const VIEWS = Number(process.env.BENCH_BROWSER_VIEWS ?? 100);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const KIB = 1024;
/** BENCH_BROWSER_VERBOSE=1 lists every script a cold view loads, with its size on the wire. */
const VERBOSE = process.env.BENCH_BROWSER_VERBOSE === "1";

/** A page measured, and the element that says its state is shown. */
interface Target {
  name: string;
  path: string;
  state: string;
}

interface ColdView {
  stateMs: number;
  paintedMs: number;
  requests: Record<string, number>;
  jsBytes: number;
  /** Of jsBytes, the scripts asked for before the load event (what the page needs to start). */
  jsFirstBytes: number;
}

/** Records, inside the page, when the state selector first appears (a MutationObserver from the first byte). */
const STATE_OBSERVER = `
(() => {
  const selector = window.__benchStateSelector;
  const check = () => {
    if (window.__benchStateAt === undefined && document.querySelector(selector)) window.__benchStateAt = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", check);
})();
`;

function kindOf(url: string, resourceType: string): string {
  if (url.includes("_rsc=")) return "rsc";
  if (url.includes("/api/events")) return "events";
  if (resourceType === "document") return "document";
  if (resourceType === "script") return "script";
  if (resourceType === "stylesheet") return "style";
  if (resourceType === "font") return "font";
  if (resourceType === "image") return "image";
  if (resourceType === "fetch" || resourceType === "xhr") return "fetch";
  return "other";
}

/** Opens `target` in `page` and reads when its state showed and when it was painted (ms from navigation start). */
async function view(page: Page, target: Target): Promise<{ stateMs: number; paintedMs: number }> {
  await page.goto(`${BASE}${target.path}`, { waitUntil: "load" });
  await page.waitForSelector(target.state, { timeout: 30_000 });
  // First contentful paint is reported a frame after it happens.
  await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, undefined, { timeout: 10_000 });
  return page.evaluate(() => {
    const w = window as unknown as { __benchStateAt?: number };
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN;
    const state = w.__benchStateAt ?? performance.now();
    return { stateMs: state, paintedMs: Math.max(state, fcp) };
  });
}

async function newContext(browser: Browser, cookie: string, target: Target) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies(
    cookie.split("; ").map((pair) => {
      const at = pair.indexOf("=");
      return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: "127.0.0.1", path: "/" };
    }),
  );
  await context.addInitScript(`window.__benchStateSelector = ${JSON.stringify(target.state)};${STATE_OBSERVER}`);
  return context;
}

async function coldView(browser: Browser, cookie: string, target: Target): Promise<ColdView> {
  const context = await newContext(browser, cookie, target);
  const page = await context.newPage();
  const requests: Record<string, number> = {};
  let jsBytes = 0;
  let jsFirstBytes = 0;
  let loaded = false;
  const beforeLoad = new Set<unknown>();
  page.on("load", () => {
    loaded = true;
  });
  page.on("request", (r) => {
    const kind = kindOf(r.url(), r.resourceType());
    requests[kind] = (requests[kind] ?? 0) + 1;
    if (!loaded) beforeLoad.add(r);
  });
  const scripts: Array<Promise<void>> = [];
  page.on("requestfinished", (r) => {
    if (r.resourceType() !== "script") return;
    scripts.push(
      r.sizes().then(
        (s) => {
          jsBytes += s.responseBodySize + s.responseHeadersSize;
          if (beforeLoad.has(r)) jsFirstBytes += s.responseBodySize + s.responseHeadersSize;
          if (VERBOSE) console.log(`    ${(s.responseBodySize / KIB).toFixed(1).padStart(7)} KiB ${new URL(r.url()).pathname}`);
        },
        () => undefined,
      ),
    );
  });
  const timing = await view(page, target);
  // What the page asks for after its load event (prefetches, the event stream) counts as part of the view.
  await page.waitForTimeout(2_000);
  await Promise.all(scripts);
  await context.close();
  return { ...timing, requests, jsBytes, jsFirstBytes };
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  // utime and stime are fields 14 and 15 of stat (1-based); after the command they are 12th and 13th.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

const median = (v: number[]) => percentile([...v].sort((a, b) => a - b), 50);
const spread = (v: number[], unit = "ms", digits = 0) => {
  const s = [...v].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(digits);
  return `${f(s[0] ?? 0)} / ${f(median(s))} / ${f(s.at(-1) ?? 0)} ${unit}`;
};

async function main(): Promise<void> {
  const server = process.env.BENCH_SERVER ?? path.join(ROOT, ".next", "standalone", "server.js");
  if (!existsSync(server)) {
    console.error("The panel is not built: run `npm run build` first.");
    process.exit(1);
  }
  const lab = readBenchLab<LabIntegrationJson & { kubeconfig: string; namespaces: string[] }>();
  const integration = labIntegrationSettings(lab);
  const dir = mkdtempSync(path.join(tmpdir(), "panel-bench-browser-"));
  console.log("Starting the panel against the lab...");
  const panel = await startBenchPanel({
    port: PORT,
    dir,
    config: {
      server: { logLevel: "warn" },
      kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig, namespaces: lab.namespaces },
      addressMap: integration.config.addressMap,
      apps: integration.config.apps,
      integrations: integration.config.integrations,
    },
    env: integration.env,
  });
  const pid = panel.pid as number;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const cookie = await benchSignIn(BASE);
    // Wait for the first probe sweep, so every view shows the services' verdicts.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const r = await fetch(`${BASE}/api/services`, { headers: { cookie } });
      if (r.ok && ((await r.json()) as { lastSweepAt: number | null }).lastSweepAt !== null) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const services = ((await (await fetch(`${BASE}/api/services`, { headers: { cookie } })).json()) as { services: Array<{ namespace: string; name: string; appKind: string }> }).services;
    const one = services.find((s) => s.appKind === "sonarr") ?? services[0];
    if (!one) throw new Error("the panel lists no service: is the lab seeded?");
    const pages = process.env.BENCH_BROWSER_PAGES?.split(",").map((p) => p.trim());
    const targets: Target[] = [
      { name: "overview", path: "/", state: "[data-testid=service-card][data-status]" },
      { name: "service page", path: `/services/${one.namespace}/${one.name}`, state: "[data-testid=service-header]" },
      { name: "integrations", path: "/integrations", state: "[data-testid=link][data-state]" },
    ].filter((t) => !pages || pages.includes(t.name) || pages.includes(t.name.split(" ")[0] ?? ""));
    console.log(`panel ${BASE} (pid ${pid}), ${services.length} services; ${RUNS} cold runs and ${VIEWS} warm views per page\n`);

    // What the idle panel spends (its probe sweeps and watches), to take out of the per-view figure.
    const idleStart = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const idlePerSecond = (cpuSeconds(pid) - idleStart) / 10;

    for (const target of targets) {
      const cold: ColdView[] = [];
      for (let i = 0; i < RUNS; i++) cold.push(await coldView(browser, cookie, target));
      const rssBefore = rssMiB(pid);
      const context = await newContext(browser, cookie, target);
      const page = await context.newPage();
      await view(page, target);
      const painted: number[] = [];
      const cpuStart = cpuSeconds(pid);
      const wallStart = Date.now();
      for (let i = 0; i < VIEWS; i++) painted.push((await view(page, target)).paintedMs);
      const wall = (Date.now() - wallStart) / 1000;
      const cpu = cpuSeconds(pid) - cpuStart;
      await context.close();
      const rssAfter = rssMiB(pid);
      const kinds = [...new Set(cold.flatMap((c) => Object.keys(c.requests)))].sort();
      const total = cold.map((c) => Object.values(c.requests).reduce((a, b) => a + b, 0));
      const sorted = [...painted].sort((a, b) => a - b);
      console.log(`== ${target.name} (${target.path})`);
      console.log(`  cold, state in the page:       ${spread(cold.map((c) => c.stateMs))}`);
      console.log(`  cold, state painted:           ${spread(cold.map((c) => c.paintedMs))}`);
      console.log(`  warm, painted median / p95:    ${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 95).toFixed(0)} ms (${VIEWS} views)`);
      console.log(`  server CPU per warm view:      ${(cpu / VIEWS).toFixed(3)} s (${((cpu - idlePerSecond * wall) / VIEWS).toFixed(3)} s without the idle panel's ${idlePerSecond.toFixed(3)} s/s)`);
      console.log(`  RSS before / after the views:  ${rssBefore.toFixed(0)} / ${rssAfter.toFixed(0)} MiB`);
      console.log(`  JavaScript on the wire (cold): ${spread(cold.map((c) => c.jsBytes / KIB), "KiB", 1)}; before the load event ${spread(cold.map((c) => c.jsFirstBytes / KIB), "KiB", 1)}`);
      console.log(`  requests per cold view:        ${spread(total, "")} (median by kind: ${kinds.map((k) => `${k} ${median(cold.map((c) => c.requests[k] ?? 0))}`).join(", ")})`);
      console.log("");
    }
  } finally {
    await browser.close();
    panel.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
