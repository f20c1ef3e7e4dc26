import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./panel-env";

/** Refuses to run against a missing build (the web server starts each run from an empty database). */
export default function globalSetup(): void {
  if (!existsSync(path.join(ROOT, ".next", "standalone", "server.js"))) {
    throw new Error("The panel is not built: run `npm run build` (npm test does it) before the e2e tests.");
  }
}
