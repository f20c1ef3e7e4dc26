import { describe, expect, it } from "vitest";
import { requireShared } from "../../lib/shared-fixture.test-helper";
import type { RunningSim } from "./engine/sim-app";
import { SIM_KINDS } from "./registry";

/**
 * Without the description files (`LAB_SPEC_CHECKS=0`) a simulator requires credentials for every
 * operation except those its definition lists as open; this holds them to the files.
 */
async function openOperations(checks: "0" | "1"): Promise<Record<string, string[]>> {
  const saved = process.env.LAB_SPEC_CHECKS;
  process.env.LAB_SPEC_CHECKS = checks;
  try {
    const runtime = { resolver: { add: () => undefined, url: (u: string) => u } as never, log: () => undefined, validateResponses: "log" as const };
    const out: Record<string, string[]> = {};
    for (const [id, kind] of Object.entries(SIM_KINDS)) {
      const sim: RunningSim = kind.instantiate({ id, apiKey: "k", urlBase: "", extra: {} }, runtime);
      await sim.init();
      out[id] = sim.openOperations;
    }
    return out;
  } finally {
    if (saved === undefined) delete process.env.LAB_SPEC_CHECKS;
    else process.env.LAB_SPEC_CHECKS = saved;
  }
}

describe("operations open without credentials", () => {
  it("are the same with and without the description files, for every simulator kind", async () => {
    requireShared("specs");
    const checked = await openOperations("1");
    const unchecked = await openOperations("0");
    expect(unchecked).toEqual(checked);
    expect(checked.jellyfin).toEqual(["get /System/Info/Public", "get /System/Ping", "post /System/Ping"]);
    expect(checked.sonarr).toEqual(["get /ping", "head /ping"]);
  }, 60_000);
});
