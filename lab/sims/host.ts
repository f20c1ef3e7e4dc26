/**
 * A simulator host: every configured simulator on its own 127.0.0.1 port plus the control
 * endpoint, in one Node process. `child.ts` runs it detached for the lab; tests start it
 * in-process with {@link startSimulatorHost}.
 */
import type { Server } from "node:http";
import { AddressResolver } from "./engine/addresses";
import { startControlServer } from "./engine/control-server";
import type { ResponseValidationMode, RunningSim } from "./engine/sim-app";
import { clearSpecCache, type JsonObject } from "./engine/spec";
import type { ServiceAddress } from "./engine/types";
import { SIM_KINDS, type SimKindId } from "./registry";

/** One simulator instance to run. */
export interface SimInstanceConfig {
  /** Unique id: the kind, or the workload name for extra instances (`sonarr-4k`, `gluetun-sabnzbd`). */
  id: string;
  kind: SimKindId;
  /** URL base the app serves under (`/sonarr`), `""` for none. */
  urlBase: string;
  apiKey?: string;
  /** Port to try first (0 or absent: any free port). */
  port?: number;
  /** `<service>.<namespace>` (optionally `:port`) and the Service port the user's manifests give it. */
  service: { key: string; port: number };
  /** Kind-specific settings. */
  extra?: JsonObject;
  /** Directory of the app's configuration volume (absent: state in memory only). */
  dataDir?: string;
}

/** Everything the host needs. */
export interface HostConfig {
  sims: SimInstanceConfig[];
  /** Real services the simulators may call (qBittorrent), keyed like the user's Services. */
  services?: ServiceAddress[];
  /** Control port to try first (0 or absent: any). */
  controlPort?: number;
  validateResponses: ResponseValidationMode;
  log?: (msg: string) => void;
}

export interface SimulatorHost {
  sims: Map<string, RunningSim>;
  controlPort: number;
  controlUrl: string;
  resolver: AddressResolver;
  /** `<service>.<namespace>` -> `http://127.0.0.1:PORT` for every simulator and given service. */
  addressMap(): Record<string, string>;
  stop(): Promise<void>;
}

async function startPreferring(sim: RunningSim, port: number | undefined): Promise<number> {
  if (port !== undefined && port > 0) {
    try {
      return await sim.start(port);
    } catch {
      // Taken: fall back to any free port.
    }
  }
  return sim.start(0);
}

/** Starts every simulator of `config` and the control server. */
export async function startSimulatorHost(config: HostConfig): Promise<SimulatorHost> {
  const log = config.log ?? (() => undefined);
  const resolver = new AddressResolver(config.services ?? []);
  const sims = new Map<string, RunningSim>();
  const runtime = { resolver, log, validateResponses: config.validateResponses };
  const started: RunningSim[] = [];
  let control: { server: Server; port: number } | undefined;
  try {
    for (const c of config.sims) {
      const kind = SIM_KINDS[c.kind];
      if (kind === undefined) throw new Error(`unknown simulator kind ${c.kind}`);
      const t0 = Date.now();
      const sim = kind.instantiate({ id: c.id, apiKey: c.apiKey, urlBase: c.urlBase, extra: c.extra ?? {}, dataDir: c.dataDir }, runtime);
      await sim.init();
      await startPreferring(sim, c.port);
      started.push(sim);
      sims.set(c.id, sim);
      resolver.add({ key: c.service.key, port: c.service.port, url: sim.url() });
      log(`${c.id}: ${sim.title} on ${sim.url()}${c.urlBase} (${sim.operations.length} operations, ${Date.now() - t0} ms)`);
    }
    clearSpecCache();
    control = await startControlServer(sims, config.controlPort ?? 0).catch(() => startControlServer(sims, 0));
  } catch (err) {
    for (const s of started) await s.close();
    throw err;
  }
  const controlServer = control;
  log(`control endpoint on http://127.0.0.1:${controlServer.port}/__control`);
  return {
    sims,
    controlPort: controlServer.port,
    controlUrl: `http://127.0.0.1:${controlServer.port}`,
    resolver,
    addressMap: () => resolver.addressMap(),
    stop: async () => {
      // close() waits for every connection to end: end them (a request in flight included) rather than wait for the clients.
      const closed = new Promise<void>((resolve) => controlServer.server.close(() => resolve()));
      controlServer.server.closeAllConnections();
      await closed;
      for (const s of sims.values()) await s.close();
    },
  };
}
