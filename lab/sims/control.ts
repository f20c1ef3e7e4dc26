/**
 * TypeScript client of the simulators' control endpoint, for tests and the demo.
 *
 * ```ts
 * const sonarr = new SimulatorControl(apps.sonarr.controlUrl);
 * await sonarr.down();                         // connection refused
 * await sonarr.down("503");                    // 503 Service Unavailable
 * await sonarr.up();
 * await sonarr.slow(2500);                     // every answer 2.5 s late
 * await sonarr.error500(true, "/api/v3/health"); // only that path answers 500
 * await sonarr.malformedJson(true);
 * await sonarr.version("2.0.0.5344");
 * await sonarr.pushHealth("error", "Indexers unavailable due to failures");
 * await sonarr.reset();                        // volume emptied and seeded again
 * await sonarr.refuseRestore();                // the next restore fails in Sonarr's error shape
 * await sonarr.restart();                      // stop + start: state loaded again from its volume
 * await new SimulatorControl(apps["gluetun-qbittorrent"].controlUrl).set({ leak: true });
 * ```
 */
import type { ControlCommand } from "./engine/faults";

export type { ControlCommand } from "./engine/faults";

/** What `GET /__control/<app>` returns. */
export interface SimulatorSnapshot {
  id: string;
  kind: string;
  title: string;
  url: string;
  urlBase: string;
  up: boolean;
  listening: boolean;
  /** The app "process" runs (its state is loaded). */
  running: boolean;
  /** Successful starts since the simulator process started (each restart adds one). */
  starts: number;
  /** Why the last start failed (its files could not be loaded). */
  startError?: string;
  /** The configuration volume's directory. */
  dataDir?: string;
  /** The files the app keeps there (relative paths). */
  files?: string[];
  version: string;
  faults: {
    down: false | "refused" | "503";
    latencyMs: number;
    error500: boolean;
    malformed: boolean;
    hugeBodyBytes: number;
    version: string | null;
    refuseRestore: number;
    refuseRestoreMessage?: string;
    latencyMatch?: string;
    error500Match?: string;
    malformedMatch?: string;
  };
  pushedHealth: { level: string; message: string; source?: string; wikiUrl?: string }[];
  counters: { requests: number; byStatus: Record<string, number>; byOperation: Record<string, Record<string, number>>; rejected: number };
  violations: number;
  spec: string;
  operations: string[];
  state: Record<string, unknown>;
}

/** One response that did not match the spec. */
export interface SpecViolationReport {
  app: string;
  operation: string;
  status: number;
  errors: string[];
  at: string;
}

/** Error answered by the control endpoint. */
export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`simulator control: HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = "SimulatorControlError";
  }
}

/** Controls one simulator; `controlUrl` is `apps.<id>.controlUrl` (`.../__control/<id>`). */
export class SimulatorControl {
  constructor(readonly controlUrl: string) {}

  private async call<T>(method: "GET" | "POST" | "DELETE", suffix = "", body?: unknown): Promise<T> {
    const res = await fetch(`${this.controlUrl}${suffix}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new SimulatorControlError(res.status, text);
    return JSON.parse(text) as T;
  }

  /** Sends any command; resolves with the simulator's snapshot after it. */
  send(command: ControlCommand): Promise<SimulatorSnapshot> {
    return this.call<SimulatorSnapshot>("POST", "", command);
  }

  snapshot(): Promise<SimulatorSnapshot> {
    return this.call<SimulatorSnapshot>("GET");
  }

  /** Stop answering: `refused` closes the port, `503` answers 503. */
  down(mode: "refused" | "503" = "refused"): Promise<SimulatorSnapshot> {
    return this.send({ action: "down", mode });
  }

  up(): Promise<SimulatorSnapshot> {
    return this.send({ action: "up" });
  }

  /** Adds `latencyMs` before every answer (on paths matching `match`: a substring, or `re:<regex>`). */
  slow(latencyMs: number, match?: string): Promise<SimulatorSnapshot> {
    return this.send({ action: "slow", latencyMs, match });
  }

  /** Answers 500 in the app's error shape. */
  error500(enabled = true, match?: string): Promise<SimulatorSnapshot> {
    return this.send({ action: "error500", enabled, match });
  }

  /** Sends JSON bodies cut in half. */
  malformedJson(enabled = true, match?: string): Promise<SimulatorSnapshot> {
    return this.send({ action: "malformed", enabled, match });
  }

  /** Pads JSON answers to `bytes` (default 50 MiB; 0 turns it off), streamed without a Content-Length. */
  hugeBody(bytes = 50 * 1024 * 1024, match?: string): Promise<SimulatorSnapshot> {
    return this.send({ action: "hugeBody", bytes, match });
  }

  /** Reports another version; `null` restores the default. */
  version(version: string | null): Promise<SimulatorSnapshot> {
    return this.send({ action: "version", version });
  }

  /** Adds a health message the app reports as its own (in its health endpoint's shape). */
  pushHealth(level: "notice" | "warning" | "error", message: string, extra: { source?: string; wikiUrl?: string } = {}): Promise<SimulatorSnapshot> {
    return this.send({ action: "pushHealth", level, message, ...extra });
  }

  clearHealth(): Promise<SimulatorSnapshot> {
    return this.send({ action: "clearHealth" });
  }

  /** Removes every fault (listening again, no latency, no 500, default version). */
  clearFaults(): Promise<SimulatorSnapshot> {
    return this.send({ action: "clearFaults" });
  }

  /** Back to the initial state: volume emptied and seeded again, faults, health, counters. */
  reset(): Promise<SimulatorSnapshot> {
    return this.send({ action: "reset" });
  }

  /**
   * Makes the next `count` restores through the app's own backup API fail, in the app's error
   * shape (`message` replaces the app's wording); `count` 0 disarms.
   */
  refuseRestore(count = 1, message?: string): Promise<SimulatorSnapshot> {
    return this.send({ action: "refuseRestore", count, message });
  }

  /** Stops the app as if its process exited (port closed, files released, state dropped). */
  stop(): Promise<SimulatorSnapshot> {
    return this.send({ action: "stop" });
  }

  /** Starts a stopped app: it loads its state from its volume. */
  start(): Promise<SimulatorSnapshot> {
    return this.send({ action: "start" });
  }

  /** Stop and start: what the app's own restart or its pod's restart does. */
  restart(): Promise<SimulatorSnapshot> {
    return this.send({ action: "restart" });
  }

  /** App-specific state change (Gluetun `{leak: true}`, *arr `{removeDirectory: "/data/media/tv"}`, ...). */
  set(patch: Record<string, unknown>): Promise<SimulatorSnapshot> {
    return this.send({ action: "set", patch });
  }

  /** Responses that did not match the spec since the last reset. */
  async violations(): Promise<SpecViolationReport[]> {
    return (await this.call<{ violations: SpecViolationReport[] }>("GET", "/violations")).violations;
  }

  async clearViolations(): Promise<void> {
    await this.call("DELETE", "/violations");
  }
}

/** The control URL of the host (`http://127.0.0.1:PORT`) from an app's `controlUrl`. */
export function hostControlUrl(appControlUrl: string): string {
  return appControlUrl.replace(/\/__control\/[^/]+$/, "");
}

/** Resets every simulator of a host. */
export async function resetAll(appControlUrl: string): Promise<void> {
  const res = await fetch(`${hostControlUrl(appControlUrl)}/__control/reset`, { method: "POST", signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new SimulatorControlError(res.status, await res.text());
}
