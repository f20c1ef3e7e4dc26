// Readiness benchmark against the lab (npm run lab -- up, npm run build first). From a freshly reset,
// seeded lab: signs in as an admin in Debian's chromium, runs "make everything ready" on the
// Readiness page, merges the pull requests it opened on the lab's forge, waits for the lab's Argo CD
// to sync them, and goes round again until no step is left (at most BENCH_ROUNDS). Prints each
// round's steps, results and times, the time from the start to the end, and the cells still failing
// with their reasons (what cannot pass in the lab). Figures only; nothing is asserted.
// BENCH_SCREENSHOTS=DIR also saves the Readiness and Backups pages as they end.
// Run: npm run bench:readiness
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Page } from "@playwright/test";
import { labCli } from "@/e2e/support/lab";
import { bareGit, labGitopsConfigLines, labGitopsEnv, listLabPulls, mergeLabPull, readLabGitops, readLabObject, resetLabGitops, type LabGitops } from "@/e2e/support/lab-gitops";
import { panelServerEnv, USERS } from "@/e2e/support/panel-env";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.BENCH_PORT ?? 3296);
const BASE = `http://127.0.0.1:${PORT}`;
const SERVER = path.join(ROOT, ".next", "standalone", "server.js");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);

interface Matrix {
  score: { passed: number; applicable: number; percent: number };
  services: Array<{ id: string; cells: Array<{ requirement: string; state: string; reason: string }> }>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function startPanel(lab: LabGitops, dir: string): Promise<ChildProcess> {
  const env = panelServerEnv({ port: PORT, dir, publicUrl: BASE, gitops: { lines: labGitopsConfigLines(lab), env: labGitopsEnv(lab) } });
  const child: ChildProcess = spawn(process.execPath, [SERVER], { env: { ...process.env, ...env, PANEL_LOG_LEVEL: "warn" } as NodeJS.ProcessEnv, stdio: ["ignore", "ignore", "inherit"] });
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
    if (await fetch(`${BASE}/api/healthz`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 300));
  }
  child.kill();
  throw new Error("the panel did not start within 90 s");
}

async function readMatrix(page: Page): Promise<Matrix> {
  const res = await page.request.get(`${BASE}/api/readiness`);
  if (!res.ok()) throw new Error(`/api/readiness: HTTP ${res.status()}`);
  return (await res.json()) as Matrix;
}

/** Every Application of the lab, and the commit its branch is at now. */
async function applications(lab: LabGitops): Promise<Array<{ name: string; branch: string }>> {
  const list = await readLabObject<{ items: Array<{ metadata: { name: string }; spec: { source?: { targetRevision?: string } } }> }>("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications");
  return (list?.items ?? []).map((a) => ({ name: a.metadata.name, branch: a.spec.source?.targetRevision && a.spec.source.targetRevision !== "HEAD" ? a.spec.source.targetRevision : lab.git.defaultBranch }));
}

/** Waits until every Application compared its branch's head and is not out of sync (the seeded Unknown ones stay Unknown); says which one was not when it gives up. */
async function waitForSync(lab: LabGitops): Promise<void> {
  const apps = await applications(lab);
  const deadline = Date.now() + 300_000;
  let behind = "";
  while (Date.now() < deadline) {
    const states = await Promise.all(
      apps.map(async (a) => {
        const head = bareGit(lab, ["rev-parse", `refs/heads/${a.branch}`]);
        const app = await readLabObject<{ status?: { sync?: { status?: string; revision?: string } } }>(`/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${a.name}`);
        return { name: a.name, ok: app?.status?.sync?.revision === head && app.status.sync.status !== "OutOfSync", seen: `${app?.status?.sync?.status ?? "?"}@${app?.status?.sync?.revision?.slice(0, 7) ?? "?"} (head ${head.slice(0, 7)})` };
      }),
    );
    const late = states.filter((s) => !s.ok);
    if (late.length === 0) return;
    behind = late.map((s) => `${s.name} ${s.seen}`).join(", ");
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`the lab's Argo CD did not sync within 300 s: ${behind}`);
}

async function round(page: Page, lab: LabGitops, n: number): Promise<{ steps: number; runMs: number; mergeMs: number }> {
  await page.goto(`${BASE}/readiness`);
  const t0 = performance.now();
  await page.getByTestId("make-ready-open").click();
  await page.getByTestId("make-ready-preview").waitFor({ timeout: 180_000 });
  const previewMs = performance.now() - t0;
  const steps = await page.getByTestId("make-ready-step").count();
  if (steps === 0) {
    console.log(`round ${n}: nothing left to run (preview ${seconds(previewMs)})`);
    return { steps: 0, runMs: previewMs, mergeMs: 0 };
  }
  await page.getByTestId("make-ready-confirm").click();
  await page.getByTestId("make-ready-summary").waitFor({ timeout: 900_000 });
  const runMs = performance.now() - t0;
  const results = await page.getByTestId("make-ready-step").evaluateAll((els) =>
    els.map((e) => `  ${e.getAttribute("data-state")?.padEnd(7)} ${e.querySelector("[data-testid=step-title]")?.textContent ?? ""}: ${e.querySelector("[data-testid=step-result]")?.textContent ?? ""}`),
  );
  console.log(`round ${n}: ${steps} steps, preview ${seconds(previewMs)}, preview + run ${seconds(runMs)}: ${await page.getByTestId("make-ready-summary").textContent()}`);
  for (const r of results) console.log(r.length > 220 ? `${r.slice(0, 217)}...` : r);
  const t1 = performance.now();
  const open = (await listLabPulls(lab)).filter((p) => p.state === "open");
  for (const pull of open) {
    try {
      await mergeLabPull(lab, pull.number);
      console.log(`  merged #${pull.number} ${pull.title}`);
    } catch (error) {
      // Pull requests of one run edit the same kustomization: once one is merged the next may conflict.
      // A reviewer closes it; the next round proposes it again on the new base.
      console.log(`  could not merge #${pull.number} ${pull.title} (${(error as Error).message.slice(0, 80)}): closed, proposed again next round`);
      await fetch(`${lab.forge.apiUrl}/_lab/pulls/${pull.number}/close`, { method: "POST", headers: { authorization: `Bearer ${lab.forge.token}` } });
    }
  }
  if (open.length > 0) await waitForSync(lab);
  const mergeMs = performance.now() - t1;
  if (open.length > 0) console.log(`  merges + sync of ${open.length} pull request(s): ${seconds(mergeMs)}`);
  return { steps, runMs, mergeMs };
}

/**
 * The lab's reset, saying what to do when it cannot bring the seeded workloads back: a seeded object
 * a merged pull request handed to the lab's Argo CD (Unpackerr's Deployment, once its wiring is in
 * Git) is pruned when the repository is reset, and only seeding the lab again recreates it.
 */
function resetLabOrSay(): boolean {
  try {
    labCli("reset");
    return true;
  } catch (error) {
    const text = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim().split("\n")[0];
    console.error(`The lab's reset did not end: ${text}. Seed it again: npm run lab -- down && npm run lab -- up`);
    return false;
  }
}

async function main(): Promise<void> {
  if (!existsSync(SERVER)) {
    console.error("Build the panel first: npm run build");
    process.exit(1);
  }
  const lab = readLabGitops();
  if (!lab) {
    console.error("The lab is not up (or has no Git server and forge): run `npm run lab -- up` first.");
    process.exit(1);
  }
  console.log("Resetting the lab to its seeded state...");
  if (!resetLabOrSay()) process.exit(1);
  await resetLabGitops(lab);
  // The panel's identity from deploy/ (its least-privilege RBAC, and the ServiceAccount and script the
  // backup Jobs run with), as `npm test` and the demo give it: without it no backup Job can start.
  labCli("panel-kubeconfig");
  // The seeded certificate's renewals fail in the lab's cert-manager (a fault, on by default): lifted.
  labCli("cert-renewal-fails", "argocd", "home-brettswift-com-dns", "--off");
  const dir = mkdtempSync(path.join(tmpdir(), "bench-readiness-"));
  let panel: ChildProcess | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  try {
    const started = performance.now();
    panel = await startPanel(lab, dir);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${BASE}/login?callbackUrl=%2Freadiness`);
    await page.getByLabel("Username").fill(USERS.admin.username);
    await page.getByLabel("Password").fill(USERS.admin.password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("current-user").waitFor({ timeout: 60_000 });
    const before = await readMatrix(page);
    console.log(`panel up and signed in: ${seconds(performance.now() - started)}; seeded stack ${before.score.passed}/${before.score.applicable} (${before.score.percent}%)`);
    let runMs = 0;
    let mergeMs = 0;
    for (let n = 1; n <= ROUNDS; n++) {
      const r = await round(page, lab, n);
      runMs += r.runMs;
      mergeMs += r.mergeMs;
      if (r.steps === 0) break;
    }
    // The matrix once more, after the probes and caches caught up (the links are read once a minute).
    await new Promise((r) => setTimeout(r, 65_000));
    const after = await readMatrix(page);
    const total = performance.now() - started;
    console.log(`\nfrom a fresh seeded lab: ${seconds(total)} in all (make everything ready ${seconds(runMs)}, merges + Argo CD syncs ${seconds(mergeMs)}, the rest: start, sign-in, the last minute's re-read)`);
    console.log(`stack ${before.score.passed}/${before.score.applicable} (${before.score.percent}%) -> ${after.score.passed}/${after.score.applicable} (${after.score.percent}%)`);
    const failing = after.services.flatMap((s) => s.cells.filter((c) => c.state === "failing").map((c) => `  ${s.id} ${c.requirement}: ${c.reason}`));
    console.log(failing.length === 0 ? "every applicable cell passes" : `still failing (${failing.length}):\n${failing.join("\n")}`);
    // BENCH_SCREENSHOTS=DIR: the Readiness and Backups pages as they end, to read the reasons as a person sees them.
    if (process.env.BENCH_SCREENSHOTS) {
      for (const name of ["readiness", "backups"]) {
        await page.goto(`${BASE}/${name}`);
        await page.waitForLoadState("networkidle").catch(() => undefined);
        await page.screenshot({ path: path.join(process.env.BENCH_SCREENSHOTS, `${name}.png`), fullPage: true });
      }
      console.log(`screenshots of /readiness and /backups in ${process.env.BENCH_SCREENSHOTS}`);
    }
  } finally {
    await browser.close();
    panel?.kill();
    await resetLabGitops(lab);
    if (!resetLabOrSay()) process.exitCode = 1;
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
