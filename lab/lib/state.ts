import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * What the apps layer remembers between `lab up` runs, in `<labDir>/apps-state.json` (mode 0600:
 * it holds the lab's generated credentials).
 */
export interface AppsState {
  /** Port per component name (`qbittorrent`, `prometheus`, `nginx:valid`, ...). */
  ports: Record<string, number>;
  /** Generated secrets per component (`qbittorrent.password`, `git.password`, `forge.token`). */
  secrets: Record<string, string>;
  /** The last result of `startApps`, for tools that only read the state. */
  result?: { addressMap: Record<string, string>; apps: Record<string, unknown> };
  /** HTTPS fronts of panels (`lab panel-front`), by name; their ports are `ports["panel.<name>"]`. */
  panelFronts?: Record<string, { name: string; upstreamPort: number; certFile: string; keyFile: string }>;
}

export function stateFile(labDir: string): string {
  return join(labDir, "apps-state.json");
}

export function readState(labDir: string): AppsState {
  try {
    const raw = JSON.parse(readFileSync(stateFile(labDir), "utf8")) as Partial<AppsState>;
    return { ports: raw.ports ?? {}, secrets: raw.secrets ?? {}, result: raw.result, panelFronts: raw.panelFronts };
  } catch {
    return { ports: {}, secrets: {} };
  }
}

export function writeState(labDir: string, state: AppsState): void {
  const file = stateFile(labDir);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Writes a file readable by the owner only. */
export function writePrivate(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}
