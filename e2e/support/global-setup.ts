import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./panel-env";

/**
 * `requireTestLabMaterial` of lab/paths.ts, run by tsx: lab/paths.ts uses `import.meta`, which makes
 * Node load it as an ES module, and Playwright loads this setup as CommonJS ("exports is not defined
 * in ES module scope" when it is imported here).
 */
function requireTestLabMaterial(): void {
  const check = 'try { require("./lab/paths.ts").requireTestLabMaterial(); } catch (e) { console.error(e instanceof Error ? e.message : String(e)); process.exit(1); }';
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["-e", check], { cwd: ROOT, encoding: "utf8", env: process.env, timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr.trim().split("\n").at(-1) || `checking the lab's material failed (${r.error?.message ?? `exit ${r.status ?? "?"}`})`);
}

/**
 * Refuses to run without the owner's fixture the lab is seeded from, or against a missing build (the web
 * server starts each run from an empty database).
 */
export default function globalSetup(): void {
  requireTestLabMaterial();
  if (!existsSync(path.join(ROOT, ".next", "standalone", "server.js"))) {
    throw new Error("The panel is not built: run `npm run build` (npm test does it) before the e2e tests.");
  }
}
