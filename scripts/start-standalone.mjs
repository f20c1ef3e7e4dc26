// Starts the built panel (`npm run build` first). PORT and HOSTNAME choose where it listens.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const server = new URL("../.next/standalone/server.js", import.meta.url).pathname;
if (!existsSync(server)) {
  console.error("The panel is not built yet: run `npm run build` first.");
  process.exit(1);
}
/**
 * V8 limits that keep the panel's memory flat (about 250-290 MB RSS at 3,000 pods, see the README);
 * the Dockerfile sets the same. NODE_OPTIONS in the environment replaces them.
 */
const PANEL_NODE_OPTIONS = "--max-old-space-size=192 --max-semi-space-size=4";

const child = spawn(process.execPath, [server], {
  stdio: "inherit",
  env: {
    HOSTNAME: "127.0.0.1",
    PORT: "3000",
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_OPTIONS: PANEL_NODE_OPTIONS,
    ...process.env,
    NODE_ENV: "production",
  },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
