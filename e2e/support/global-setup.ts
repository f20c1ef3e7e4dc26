import { existsSync } from "node:fs";
import path from "node:path";
import { requireTestLabMaterial } from "../../lab/test-material";
import { ROOT } from "./panel-env";

/**
 * Refuses to run without the owner's fixture the lab is seeded from, or against a missing build (the web
 * server starts each run from an empty database).
 */
export default function globalSetup(): void {
  requireTestLabMaterial(ROOT);
  if (!existsSync(path.join(ROOT, ".next", "standalone", "server.js"))) {
    throw new Error("The panel is not built: run `npm run build` (npm test does it) before the e2e tests.");
  }
}
