// "Fix everything" on the seeded lab, from every link missing to every link ok (verified by the
// apps' own test endpoints), timed. Target: under 20 s (the user's baseline is hours of clicking).
// Run with the lab up (npm run lab -- up): npm run bench:integrations
// Env: BENCH_RUNS (3), LAB_DIR (<repo>/.lab).
import path from "node:path";
import { resetAll } from "@/lab/sims/control";
import { readLabIntegrationJson } from "@/e2e/support/lab-integrations";
import { applyIntegrations, readLinks } from "@/server/integrations/engine";
import { createLabSource } from "@/scripts/lab-source";

const runs = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MS = 20_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const lab = readLabIntegrationJson(path.resolve(import.meta.dirname, ".."));
  if (!lab) throw new Error("the lab is not up: npm run lab -- up");
  const controlUrl = (lab.apps.sonarr as { controlUrl?: string } | undefined)?.controlUrl;
  if (!controlUrl) throw new Error("the lab has no app simulators (LAB_APPS_SIMULATORS=0?)");
  console.log(`bench-integrations: ${runs} runs against the lab; each starts from freshly reset simulators`);
  const ls = await createLabSource(lab);
  const fixTimes: number[] = [];
  const readTimes: number[] = [];
  const againTimes: number[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      await resetAll(controlUrl);
      let t = performance.now();
      const before = await readLinks({ source: ls.source });
      readTimes.push(performance.now() - t);
      const wired = before.links.filter((l) => l.kind !== "gitops");
      const missing = wired.filter((l) => l.state === "missing").length;
      if (missing !== wired.length) throw new Error(`run ${i}: expected every link missing, got ${wired.map((l) => `${l.id}=${l.state}`).join(", ")}`);

      t = performance.now();
      const report = await applyIntegrations({}, { source: ls.source });
      const fixMs = performance.now() - t;
      const after = (await readLinks({ source: ls.source })).links.filter((l) => l.kind !== "gitops");
      const notOk = after.filter((l) => l.state !== "ok");
      if (report.failed > 0 || notOk.length > 0) {
        throw new Error(`run ${i}: ${report.failed} failed; not ok: ${notOk.map((l) => `${l.id}: ${l.message ?? l.state}`).join("; ")}`);
      }
      fixTimes.push(fixMs);

      t = performance.now();
      const again = await applyIntegrations({}, { source: ls.source });
      againTimes.push(performance.now() - t);
      if (again.changed !== 0) throw new Error(`run ${i}: the second apply changed ${again.changed} links`);
      console.log(
        `run ${i}: read ${wired.length} missing links ${(readTimes.at(-1) ?? 0).toFixed(0)} ms; fix everything ${report.changed} links -> all ok in ${(fixMs / 1000).toFixed(2)} s; again: nothing to change in ${((againTimes.at(-1) ?? 0) / 1000).toFixed(2)} s`,
      );
    }
  } finally {
    ls.close();
    await resetAll(controlUrl).catch(() => undefined);
  }
  const m = median(fixTimes);
  console.log(`fix everything, all missing -> all ok: median ${(m / 1000).toFixed(2)} s, max ${(Math.max(...fixTimes) / 1000).toFixed(2)} s (target < ${TARGET_MS / 1000} s): ${m < TARGET_MS ? "PASS" : "FAIL"}`);
  console.log(`read every link: median ${median(readTimes).toFixed(0)} ms; second apply (nothing to change): median ${(median(againTimes) / 1000).toFixed(2)} s`);
  console.log(`RSS of this process (engine, informers over the lab, clients): ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
  process.exit(m < TARGET_MS ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(`bench-integrations failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
