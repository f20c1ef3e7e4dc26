import { afterAll, describe, expect, it } from "vitest";
import { SimulatorControl } from "@/lab/sims/control";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { APP_MODULES } from "./registry";

/**
 * An app that answers with a 50 MiB body (the simulator's `hugeBody` fault: valid JSON, streamed
 * without a Content-Length) gives a clear error on the card, and the panel's memory stays flat: the
 * body is stopped at the ceiling while it streams, never read whole.
 */

const lab = useLabCluster({ reset: false });

interface Sim {
  url: string;
  urlBase: string;
  controlUrl: string;
  apiKey?: string;
}

function sonarr(): Sim {
  return (lab().apps as Record<string, unknown>).sonarr as Sim;
}

describe("a 50 MiB answer from an app", () => {
  afterAll(async () => {
    await new SimulatorControl(sonarr().controlUrl).clearFaults().catch(() => undefined);
  });

  it("is cut off at the ceiling with a clear message, memory flat", async () => {
    const control = new SimulatorControl(sonarr().controlUrl);
    const target = { baseUrl: `${sonarr().url}${sonarr().urlBase}`, timeoutMs: 30_000, ...(sonarr().apiKey ? { apiKey: sonarr().apiKey } : {}) };
    expect((await APP_MODULES.sonarr.connect(target).health()).errorCode).toBeUndefined();
    const held = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    const growth: number[] = [];
    // 50 MiB, then 200 MiB: what the panel holds does not follow the size of the body.
    for (const size of [50 * 1024 * 1024, 200 * 1024 * 1024]) {
      await control.hugeBody(size);
      const before = held();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, held())), 5);
      const health = await APP_MODULES.sonarr.connect(target).health();
      clearInterval(sampler);
      growth.push(Math.max(peak, held()) - before);
      console.log(`[huge-body] ${mib(size)} answer: ${health.detail}; JS heap + buffers grew at most ${mib(growth.at(-1) ?? 0)} (garbage included)`);
      expect(health).toMatchObject({ status: "down", errorCode: "invalid_response" });
      expect(health.detail).toMatch(/^Sonarr sent more than 8 MiB for GET \/api\/v3\/\S+; the panel stopped reading it$/);
    }
    // Reading a body whole holds at least the body (and as much again as a string).
    for (const g of growth) expect(g).toBeLessThan(48 * 1024 * 1024);
    await control.hugeBody(0);
    expect((await APP_MODULES.sonarr.connect(target).health()).errorCode).toBeUndefined();
  }, 60_000);
});
