import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, specChecks } from "../paths";
import { choosePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import { writePrivate } from "../lib/state";
import type { ForgeEndpoint } from "./controls";

const NAME = "forge";

/** `apps.forge`: the GitHub-like API of the lab and where its pull requests live. */
export interface ForgeInfo extends ForgeEndpoint {
  /** Kind of forge API, as the panel's config names it. */
  kind: "github";
  /** Page of the repository (pull request list) for a browser. */
  webUrl: string;
  bareDir: string;
  pid: number;
}

async function healthy(url: string, configId: string): Promise<boolean> {
  const res = await fetch(`${url}/_lab/health`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) return false;
  const body = (await res.json()) as { configId?: string };
  return body.configId === configId;
}

/** A hash of the forge's own source files: a running forge from older code is restarted. */
function codeVersion(): string {
  const dir = join(REPO_ROOT, "lab", "forge");
  const hash = createHash("sha256");
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  return hash.digest("hex").slice(0, 16);
}

/**
 * Starts the forge simulator as its own process (or reuses the running one) over the lab's bare
 * repository, with a generated GitHub-style token.
 */
export async function startForge(opts: {
  labDir: string;
  state: AppsState;
  log: (m: string) => void;
  bareDir: string;
  owner: string;
  repo: string;
  cloneUrl: string;
}): Promise<ForgeInfo> {
  const { labDir, state, log } = opts;
  const token = (state.secrets["forge.token"] ??= `ghp_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`);
  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, process.execPath);
  const port = await choosePort(state.ports[NAME], alive);
  const apiUrl = `http://127.0.0.1:${port}`;
  const configFile = join(labDir, NAME, "config.json");
  const cfg = {
    port,
    bareDir: opts.bareDir,
    owner: opts.owner,
    repo: opts.repo,
    token,
    cloneUrl: opts.cloneUrl,
    stateFile: join(labDir, NAME, "state.json"),
    validateResponses: process.env.LAB_FORGE_VALIDATE_RESPONSES === "1",
    specChecks: specChecks(),
  };
  const configId = createHash("sha256").update(JSON.stringify(cfg)).update(codeVersion()).digest("hex").slice(0, 16);
  writePrivate(configFile, `${JSON.stringify({ ...cfg, configId }, null, 2)}\n`);
  if (!(alive && (await healthy(apiUrl, configId).catch(() => false)))) {
    if (alive && pid !== undefined) await stopPid(pid);
    log(`forge: starting on ${apiUrl}`);
    pid = spawnDaemon({
      name: NAME,
      labDir,
      command: process.execPath,
      args: ["--import", "tsx", join(REPO_ROOT, "lab", "forge", "main.ts"), configFile],
      cwd: REPO_ROOT,
      // Loader flags of a parent (a test runner) must not leak into the forge process.
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    await waitUntil("forge", () => healthy(apiUrl, configId), { timeoutMs: 30_000, pid, labDir, name: NAME });
    log(`forge: ready at ${apiUrl}`);
  } else {
    log(`forge: reused at ${apiUrl}`);
  }
  state.ports[NAME] = port;
  if (pid === undefined) throw new Error("forge: no pid");
  return { kind: "github", apiUrl, token, owner: opts.owner, repo: opts.repo, webUrl: `${apiUrl}/${opts.owner}/${opts.repo}`, bareDir: opts.bareDir, pid };
}
