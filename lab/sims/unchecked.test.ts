import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpec } from "./engine/spec";
import { startSimulatorHost, type SimulatorHost } from "./host";
import { SIM_KINDS, type SimKindId } from "./registry";

/**
 * Without the official API descriptions (a clone without `../shared`), `lab up` sets
 * `LAB_SPEC_CHECKS=0`: every simulator still starts and answers the operations it implements,
 * with nothing checked against a description. The tests that check them need the folder.
 */
const saved = { shared: process.env.K8S_NAS_SHARED_DIR, checks: process.env.LAB_SPEC_CHECKS };
let tmp: string;
let host: SimulatorHost;
const KEY = "0123456789abcdef0123456789abcdef";

function restoreEnv(): void {
  for (const [k, v] of [["K8S_NAS_SHARED_DIR", saved.shared], ["LAB_SPEC_CHECKS", saved.checks]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "sims-unchecked-"));
  process.env.K8S_NAS_SHARED_DIR = join(tmp, "no-shared");
  process.env.LAB_SPEC_CHECKS = "0";
  const kinds = Object.keys(SIM_KINDS) as SimKindId[];
  host = await startSimulatorHost({
    sims: kinds.map((kind) => ({ id: kind, kind, urlBase: "", apiKey: KEY, service: { key: `${kind}.media`, port: 80 } })),
    validateResponses: "throw",
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  restoreEnv();
  rmSync(tmp, { recursive: true, force: true });
});

async function get(id: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const sim = host.sims.get(id);
  if (sim === undefined) throw new Error(`no simulator ${id}`);
  const res = await fetch(`${sim.url()}${path}`, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

describe("simulators without the API descriptions (LAB_SPEC_CHECKS=0)", () => {
  it("every simulator kind starts; those that read a description file say it is not checked, the others keep theirs", () => {
    expect([...host.sims.keys()].sort()).toEqual(Object.keys(SIM_KINDS).sort());
    const unchecked = [...host.sims.values()].filter((s) => s.specSource.includes("not checked"));
    expect(unchecked.length).toBeGreaterThan(0);
    for (const s of host.sims.values()) {
      expect(s.operations.length, s.id).toBeGreaterThan(0);
      if (unchecked.includes(s)) expect(s.specSource, s.id).toMatch(/^[\w.-]+\.(json|ya?ml) \(absent: requests and answers not checked\)$/);
      else expect(s.specSource, s.id).not.toMatch(/\.(json|ya?ml)\b/);
    }
  });

  it("every unchecked simulator answers each of its parameterless GET operations with its key, and refuses them without it unless they are open", async () => {
    const unchecked = [...host.sims.values()].filter((s) => s.specSource.includes("not checked"));
    for (const sim of unchecked) {
      const gets = sim.operations.filter((o) => o.startsWith("GET ") && !o.includes("{")).map((o) => o.slice(4));
      expect(gets.length, sim.id).toBeGreaterThan(0);
      for (const path of gets) {
        // Each app's own way to pass the key: a header (the *arr apps, Bazarr, Seerr) or Jellyfin's query parameter.
        const ok = await get(sim.id, `${path}?api_key=${KEY}&apikey=${KEY}`, { "X-Api-Key": KEY });
        expect(ok.status, `${sim.id} GET ${path}`).toBeLessThan(500);
        expect([401, 403], `${sim.id} GET ${path}`).not.toContain(ok.status);
        const open = sim.openOperations.includes(`get ${path}`);
        const anon = await get(sim.id, path);
        if (open) expect([401, 403], `${sim.id} GET ${path} is open`).not.toContain(anon.status);
        else expect([401, 403], `${sim.id} GET ${path} needs the key`).toContain(anon.status);
      }
    }
  });

  it("the *arr apps answer their status with their version", async () => {
    const ok = await get("sonarr", "/api/v3/system/status", { "X-Api-Key": KEY });
    expect(ok.status).toBe(200);
    expect((ok.body as { version?: unknown }).version).toEqual(expect.any(String));
  });

  it("path parameters reach the handlers (a numeric id; an unknown one is 404)", async () => {
    const list = await get("sonarr", "/api/v3/qualityprofile", { "X-Api-Key": KEY });
    expect(list.status).toBe(200);
    const first = (list.body as { id: number; name: string }[])[0];
    expect(first).toBeDefined();
    const one = await get("sonarr", `/api/v3/qualityprofile/${first?.id}`, { "X-Api-Key": KEY });
    expect(one.status).toBe(200);
    expect((one.body as { name?: string }).name).toBe(first?.name);
    const missing = await get("sonarr", "/api/v3/qualityprofile/98765", { "X-Api-Key": KEY });
    expect(missing.status).toBe(404);
  });

  it("Jellyfin, Jellyseerr, Seerr and Bazarr answer as with their descriptions", async () => {
    const jf = await get("jellyfin", "/System/Info/Public");
    expect(jf.status).toBe(200);
    expect((jf.body as { Version?: unknown }).Version).toEqual(expect.any(String));
    for (const id of ["jellyseerr", "seerr"]) {
      const st = await get(id, "/api/v1/status");
      expect(st.status, id).toBe(200);
      expect((st.body as { version?: unknown }).version, id).toEqual(expect.any(String));
    }
    const bz = await get("bazarr", "/api/system/status", { "X-API-KEY": KEY });
    expect(bz.status).toBe(200);
    const unknown = await get("sonarr", "/api/v3/no-such-thing", { "X-Api-Key": KEY });
    expect(unknown.status).toBe(404);
  });

  it("with the checks on, a missing description fails in one line naming the folder", async () => {
    process.env.LAB_SPEC_CHECKS = "1";
    try {
      await expect(loadSpec({ file: "sonarr-v3.openapi.json" }, [{ method: "get", path: "/api/v3/system/status" }])).rejects.toThrow(
        `${join(tmp, "no-shared", "specs")} is missing`,
      );
    } finally {
      process.env.LAB_SPEC_CHECKS = "0";
    }
  });
});
