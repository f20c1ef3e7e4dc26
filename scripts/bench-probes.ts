// One probe sweep over 50 local fake apps where 5 hang until the timeout; prints the sweep's duration.
// Target: about one timeout (the hung apps are probed side by side, each with its own deadline), not five.
// Run: npx tsx --conditions=react-server scripts/bench-probes.ts
// Env: BENCH_APPS (50), BENCH_HANGING (5), BENCH_PROBE_TIMEOUT_MS (5000, the default health.probeTimeoutMs),
//      BENCH_CONCURRENCY (10, the default health.probeConcurrency).
import { parsePanelConfig } from "@/lib/config-schema";
import { resolveApp } from "@/server/apps/resolve";
import { startFakeFleet } from "@/scripts/fake-apps";
import { Prober } from "@/server/probes/prober";

const count = Number(process.env.BENCH_APPS ?? 50);
const hanging = Number(process.env.BENCH_HANGING ?? 5);
const timeoutMs = Number(process.env.BENCH_PROBE_TIMEOUT_MS ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const apiKey = "bench0000000000000000000000000000";

async function main(): Promise<void> {
  console.log(`bench-probes: starting ${count} fake apps on 127.0.0.1 (${hanging} hang), timeout ${timeoutMs} ms, concurrency ${concurrency}`);
  const fleet = await startFakeFleet({ count, hanging, apiKey });
  const parsed = parsePanelConfig({ addressMap: fleet.addressMap });
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  const config = parsed.config;
  const prober = new Prober(
    {
      listServices: () => Promise.resolve(fleet.services),
      resolve: (s) =>
        resolveApp(s, {
          config,
          readSecretValue: () => Promise.resolve(apiKey),
          readWorkloadEnv: () => Promise.resolve([]),
          env: {},
          timeoutMs,
        }),
      db: null,
      registry: null,
    },
    {
      intervalMs: 30_000,
      timeoutMs,
      concurrency,
      thresholds: { slowMs: 2000, restartsPerHourDegraded: 3 },
      retention: { rawHours: 48, hourDays: 90 },
    },
  );
  try {
    for (const label of ["first sweep", "second sweep"]) {
      const sweep = await prober.probeNow();
      const down = sweep.results.filter((r) => r.verdict.status === "down").length;
      const up = sweep.results.filter((r) => r.verdict.status === "up").length;
      console.log(
        `bench-probes: ${label}: ${sweep.durationMs} ms for ${sweep.results.length} apps (${up} up, ${down} down by timeout) = ${(sweep.durationMs / timeoutMs).toFixed(2)} x the timeout`,
      );
    }
  } finally {
    await prober.stop();
    await fleet.close();
  }
}

const began = Date.now();
main().then(() => console.log(`bench-probes: done in ${Date.now() - began} ms`)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
