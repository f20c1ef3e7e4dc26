/**
 * Process entry of the forge simulator: `node --import tsx lab/forge/main.ts <config.json>`.
 * The config file holds a {@link ForgeConfig} plus `port`.
 */
import { readFileSync } from "node:fs";
import { listenForge } from "./server";
import type { ForgeConfig } from "./server";

function main(): void {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: main.ts <config.json>\n");
    process.exit(2);
  }
  const cfg = JSON.parse(readFileSync(file, "utf8")) as ForgeConfig & { port: number };
  const log = (m: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  };
  listenForge({ ...cfg, log }, cfg.port)
    .then(({ server, url }) => {
      log(`forge: ${cfg.owner}/${cfg.repo} API on ${url} (bare repo ${cfg.bareDir})`);
      const stop = (): void => {
        // Keep-alive connections of clients would hold close() open: end them with it.
        server.close(() => process.exit(0));
        server.closeAllConnections();
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    })
    .catch((err: unknown) => {
      log(`forge: failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}

main();
