/**
 * The lab's ntfy simulator as its own process (`./server.ts`), started by `lab up` and reused while
 * it answers with the same configuration; pidfile `<labDir>/pids/ntfy.pid`.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../paths";
import { choosePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../../lib/process";
import type { AppsState } from "../../lib/state";
import { writePrivate } from "../../lib/state";

const NAME = "ntfy";

/** `apps.ntfy`. */
export interface NtfyInfo {
  /** The server's root URL (publish as JSON to it, or to `<url>/<topic>`). */
  url: string;
  /** `GET <controlUrl>/messages`, `POST <controlUrl>/ {"action":"fault",...}`. */
  controlUrl: string;
  /** A topic for the panel (any valid topic is accepted). */
  topic: string;
  /** Access token that publishing needs (`Authorization: Bearer`). */
  token: string;
  pid: number;
}

function codeVersion(): string {
  const hash = createHash("sha256");
  for (const f of ["server.ts", "spec.ts", "main.ts"]) hash.update(readFileSync(join(REPO_ROOT, "lab", "sims", "ntfy", f)));
  return hash.digest("hex").slice(0, 12);
}

async function healthy(controlUrl: string, url: string, configId: string): Promise<boolean> {
  const res = await fetch(`${controlUrl}/config`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  if (res === undefined) return false;
  const body = (await res.json().catch(() => ({}))) as { configId?: string };
  const api = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return body.configId === configId && api?.ok === true;
}

/** Starts (or reuses) the ntfy simulator. */
export async function startNtfy(opts: { labDir: string; state: AppsState; log: (m: string) => void }): Promise<NtfyInfo> {
  const { labDir, state, log } = opts;
  const token = (state.secrets["ntfy.token"] ??= `tk_${randomBytes(21).toString("hex").slice(0, 29)}`);
  const topic = (state.secrets["ntfy.topic"] ??= `nas-alerts-${randomBytes(6).toString("hex")}`);
  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, process.execPath);
  const port = await choosePort(state.ports[NAME], alive);
  const controlPort = await choosePort(state.ports[`${NAME}-control`], alive);
  const url = `http://127.0.0.1:${port}`;
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  const cfg = { port, controlPort, token };
  const configId = createHash("sha256").update(JSON.stringify(cfg)).update(codeVersion()).digest("hex").slice(0, 16);
  const configFile = join(labDir, NAME, "config.json");
  writePrivate(configFile, `${JSON.stringify({ ...cfg, configId }, null, 2)}\n`);
  if (!(alive && (await healthy(controlUrl, url, configId)))) {
    if (alive && pid !== undefined) await stopPid(pid);
    log(`ntfy: starting on ${url}`);
    pid = spawnDaemon({
      name: NAME,
      labDir,
      command: process.execPath,
      args: ["--import", "tsx", join(REPO_ROOT, "lab", "sims", "ntfy", "main.ts"), configFile],
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    await waitUntil("ntfy", () => healthy(controlUrl, url, configId), { timeoutMs: 30_000, pid, labDir, name: NAME });
    log(`ntfy: ready at ${url}`);
  } else {
    log(`ntfy: reused at ${url}`);
  }
  state.ports[NAME] = port;
  state.ports[`${NAME}-control`] = controlPort;
  if (pid === undefined) throw new Error("ntfy: no pid");
  return { url, controlUrl, topic, token, pid };
}
