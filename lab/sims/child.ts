/**
 * Entry point of the detached simulator process: `node --import tsx child.ts <config.json>`.
 * Starts every simulator of the config, writes `<readyFile>` (ports, control URL, address map)
 * atomically once all listen, and stops cleanly on SIGTERM/SIGINT.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { startSimulatorHost, type HostConfig } from "./host";

/** What the parent writes for the child. */
export interface ChildConfig {
  host: Omit<HostConfig, "log">;
  /** File the child writes when every simulator listens. */
  readyFile: string;
}

/** What the child writes when it is ready. */
export interface ChildReady {
  pid: number;
  controlPort: number;
  controlUrl: string;
  ports: Record<string, number>;
  addressMap: Record<string, string>;
  startedMs: number;
  rssKiB: number;
}

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined) throw new Error("usage: child.ts <config.json>");
  const config = JSON.parse(readFileSync(configPath, "utf8")) as ChildConfig;
  const t0 = Date.now();
  log(`starting ${config.host.sims.length} simulators (pid ${process.pid})`);
  const host = await startSimulatorHost({ ...config.host, log });
  const ready: ChildReady = {
    pid: process.pid,
    controlPort: host.controlPort,
    controlUrl: host.controlUrl,
    ports: Object.fromEntries([...host.sims.entries()].map(([id, s]) => [id, s.port])),
    addressMap: host.addressMap(),
    startedMs: Date.now() - t0,
    rssKiB: Math.round(process.memoryUsage().rss / 1024),
  };
  const tmp = `${config.readyFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(ready, null, 2), { mode: 0o600 });
  renameSync(tmp, config.readyFile);
  log(`ready in ${ready.startedMs} ms, RSS ${Math.round(ready.rssKiB / 1024)} MiB`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    host
      .stop()
      .catch((err: unknown) => log(`stop failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // One failing request must not take every simulator down with it.
  process.on("unhandledRejection", (reason) => log(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
