/**
 * Process entry of the ntfy simulator: `node --import tsx lab/sims/ntfy/main.ts <config.json>`
 * (`{ port, controlPort, token }`).
 */
import { readFileSync } from "node:fs";
import { startNtfySim } from "./server";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: main.ts <config.json>\n");
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(file, "utf8")) as { port: number; controlPort: number; token?: string; configId?: string };
const log = (m: string): void => void process.stdout.write(`${new Date().toISOString()} ${m}\n`);
startNtfySim(cfg)
  .then((sim) => {
    log(`ntfy: publish API on ${sim.url}, control on ${sim.controlUrl}`);
    const stop = (): void => void sim.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  })
  .catch((err: unknown) => {
    log(`ntfy: failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
