/**
 * The lab's app simulators: entry point called by `../index.ts` (`lab up`).
 *
 * {@link startSimulators} derives the simulators from the user's manifests (`./discovery.ts`),
 * takes API keys from the `media/starr-secrets` Secret (generating and reporting the ones the
 * Secret lacks), and runs every simulator in ONE detached Node process
 * (`node --import tsx sims/child.ts`), pidfile `<labDir>/pids/simulators.pid`, log
 * `<labDir>/logs/simulators.log`. Ports, keys and the process are remembered in
 * `<labDir>/sims-state.json`; a second call reuses a live process that answers with the same
 * plan. `lab down` stops it by pid.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive, readPid, rssKiB, spawnDaemon, stopPid, waitUntil, logFile, pidFile } from "../lib/process";
import { REPO_ROOT, specChecks, volumeDir } from "../paths";
import { writePrivate } from "../lib/state";
import type { ChildConfig, ChildReady } from "./child";
import { discoverFrom, loadObjects, type DiscoveredInstance } from "./discovery";
import type { SimInstanceConfig } from "./host";
import type { SimKindId } from "./registry";
import { APP_CATALOGUE } from "../../lib/apps/catalogue";

/** What `lab up` hands over. */
export interface SimulatorsContext {
  labDir: string;
  kubeconfig: string;
  /** Secret values the lab seeded, keyed `<namespace>/<name>` then data key (decoded). */
  secrets: Record<string, Record<string, string>>;
  log: (msg: string) => void;
  /** The real qBittorrent the download-client tests log in to. */
  qbittorrent?: { url: string; username: string; password: string };
  /** Tests: validate every response against the spec and fail loudly (default: log only). */
  validateResponses?: "off" | "log" | "throw";
  /** Tests: a GitOps tree other than `../shared/fixtures/k8s_nas`. */
  gitopsDir?: string;
}

/** Connection facts of one simulator (`apps.<id>`). */
export interface SimulatorInfo {
  kind: SimKindId;
  /** `http://127.0.0.1:PORT` (the URL base is not included). */
  url: string;
  /** Path prefix the app serves under, as the user's manifests configure it (`/sonarr`). */
  urlBase: string;
  apiKey?: string;
  /**
   * `workload` (the key the workload gives the app: its variable's literal or the Secret key it
   * references), `secret` (from media/starr-secrets) or `generated` (neither has a value for it).
   */
  apiKeySource?: "secret" | "generated" | "workload";
  /** For a `workload` key: where it is (`Secret media/sonarr-api, key api-key (env SONARR__AUTH__APIKEY)`). */
  apiKeyFrom?: string;
  /** Name of the Secret key the panel should read (`SONARR_API_KEY`). */
  apiKeySecretKey?: string;
  /** `POST` control commands here (see `./control.ts`). */
  controlUrl: string;
  /** Prometheus metrics of this simulator. */
  metricsUrl: string;
  /** `<service>.<namespace>` (`:port` for the Gluetun control server). */
  service: string;
  /** Where the app was found (`media/sonarr`, or `default`). */
  workload: string;
  /** `<namespace>/<claim>` of the app's configuration volume. */
  configVolume: string;
  /** The volume's directory, where the app keeps its files (`<labDir>/volumes/<ns>/<claim>`). */
  configDir: string;
}

/**
 * Whether `apps.<id>` of the lab is a simulator of the simulator process (its kind, control URL and
 * configuration volume): the lab's other apps (ntfy, qBittorrent, Gitea) have other shapes, some
 * with a control URL of their own.
 */
export function isSimulatorInfo(info: unknown): info is SimulatorInfo {
  if (typeof info !== "object" || info === null) return false;
  const i = info as Partial<Record<keyof SimulatorInfo, unknown>>;
  return typeof i.kind === "string" && typeof i.controlUrl === "string" && typeof i.configVolume === "string";
}

export interface SimulatorsResult {
  addressMap: Record<string, string>;
  apps: Record<string, SimulatorInfo>;
}

interface SimsState {
  pid?: number;
  planHash?: string;
  controlUrl?: string;
  ports: Record<string, number>;
  controlPort?: number;
  generatedKeys: Record<string, string>;
  result?: SimulatorsResult;
}

const NAME = "simulators";
const here = dirname(fileURLToPath(import.meta.url));
const SECRET = "media/starr-secrets";

function stateFile(labDir: string): string {
  return join(labDir, "sims-state.json");
}

function readState(labDir: string): SimsState {
  try {
    const raw = JSON.parse(readFileSync(stateFile(labDir), "utf8")) as Partial<SimsState>;
    return { ...raw, ports: raw.ports ?? {}, generatedKeys: raw.generatedKeys ?? {} };
  } catch {
    return { ports: {}, generatedKeys: {} };
  }
}

/** `SONARR_API_KEY`, `SONARR_4K_API_KEY`, `GLUETUN_QBITTORRENT_API_KEY`. */
export function secretKeyName(id: string): string {
  return `${id.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_API_KEY`;
}

/** Kinds whose app takes no API key (a catalogue fact): no key is generated nor published for them. */
const isKeyless = (kind: SimKindId): boolean => APP_CATALOGUE[kind].credential.type !== "api-key";

function generateKey(kind: SimKindId): string {
  // Gluetun keys are 22 base58 characters (`gluetun genkey`); the others 32 hex digits.
  if (kind === "gluetun") {
    const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    return [...randomBytes(22)].map((b) => alphabet[b % alphabet.length]).join("");
  }
  return randomBytes(16).toString("hex");
}

async function controlAnswers(controlUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${controlUrl}/__control`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** The simulators `startSimulators` last reported for `labDir` (from `sims-state.json`). */
export function readSimulators(labDir: string): SimulatorsResult | undefined {
  return readState(labDir).result;
}

/**
 * The simulator of `app` in the running lab: a simulator id (`sonarr`, `sonarr-4k`) or the
 * workload it stands in for (`media/sonarr`).
 */
export function findSimulator(labDir: string, app: string): (SimulatorInfo & { id: string }) | undefined {
  const apps = readSimulators(labDir)?.apps ?? {};
  const hit = Object.entries(apps).find(([id, info]) => id === app || info.workload === app);
  return hit === undefined ? undefined : { ...hit[1], id: hit[0] };
}

/** Stops the simulator process of `labDir` (by its pidfile) and forgets its pid. */
export async function stopSimulators(labDir: string): Promise<void> {
  const pid = readPid(labDir, NAME);
  if (pid !== undefined && isAlive(pid)) await stopPid(pid, 10_000);
  rmSync(pidFile(labDir, NAME), { force: true });
}

/**
 * Starts (or reuses) the simulator process and returns the address map
 * (`sonarr.media` -> `http://127.0.0.1:PORT`) and `apps.<id>` connection facts.
 */
export async function startSimulators(ctx: SimulatorsContext): Promise<SimulatorsResult> {
  const t0 = Date.now();
  const { labDir, log } = ctx;
  mkdirSync(join(labDir, "sims"), { recursive: true });
  const state = readState(labDir);

  const objects = await loadObjects({ kubeconfig: ctx.kubeconfig, gitopsDir: ctx.gitopsDir, log });
  const { instances, qbittorrent } = discoverFrom(objects);
  const secret = ctx.secrets[SECRET] ?? {};

  const keys: Record<string, { value?: string; source?: "secret" | "generated" | "workload"; secretKey?: string; from?: string }> = {};
  for (const inst of instances) {
    if (isKeyless(inst.kind)) {
      keys[inst.id] = {};
      continue;
    }
    const name = secretKeyName(inst.id);
    const fromSecret = secret[name];
    const ref = inst.apiKeyRef;
    const fromWorkload = ref === undefined ? undefined : "value" in ref ? ref.value : ctx.secrets[ref.secret]?.[ref.key];
    if (ref !== undefined && fromWorkload !== undefined && fromWorkload.trim() !== "") {
      const from = "value" in ref ? `the workload's ${inst.workload} literal` : `Secret ${ref.secret}, key ${ref.key} (${ref.via})`;
      keys[inst.id] = { value: fromWorkload.trim(), source: "workload", from };
    } else if (fromSecret !== undefined && fromSecret.trim() !== "") {
      keys[inst.id] = { value: fromSecret.trim(), source: "secret", secretKey: name };
    } else {
      const value = state.generatedKeys[inst.id] ?? generateKey(inst.kind);
      state.generatedKeys[inst.id] = value;
      keys[inst.id] = { value, source: "generated", secretKey: name };
    }
  }

  const services =
    qbittorrent !== undefined && ctx.qbittorrent !== undefined
      ? [{ key: qbittorrent.serviceKey, port: qbittorrent.servicePort, url: ctx.qbittorrent.url.replace(/\/$/, "") }]
      : [];
  const sims: SimInstanceConfig[] = instances.map((i: DiscoveredInstance) => ({
    id: i.id,
    kind: i.kind,
    urlBase: i.urlBase,
    apiKey: keys[i.id]?.value,
    port: state.ports[i.id],
    service: { key: i.serviceKey, port: i.servicePort },
    dataDir: volumeDir(i.namespace, i.configClaim, labDir),
  }));
  const validateResponses = ctx.validateResponses ?? "log";
  const planHash = createHash("sha256")
    .update(JSON.stringify({ sims: sims.map((s) => ({ ...s, port: undefined })), services, validateResponses, specChecks: specChecks() }))
    .digest("hex")
    .slice(0, 16);

  // Reuse a live process with the same plan.
  const livePid = readPid(labDir, NAME);
  if (isAlive(livePid) && state.pid === livePid && state.planHash === planHash && state.controlUrl !== undefined && state.result !== undefined) {
    if (await controlAnswers(state.controlUrl)) {
      log(`simulators: reusing pid ${livePid} (${Object.keys(state.result.apps).length} apps, control ${state.controlUrl})`);
      return state.result;
    }
  }
  if (isAlive(livePid)) {
    log(`simulators: restarting pid ${livePid} (plan changed or not answering)`);
    await stopPid(livePid, 10_000);
  }

  const readyFile = join(labDir, "sims", "ready.json");
  rmSync(readyFile, { force: true });
  const config: ChildConfig = {
    host: { sims, services, controlPort: state.controlPort, validateResponses },
    readyFile,
  };
  const configFile = join(labDir, "sims", "config.json");
  writePrivate(configFile, `${JSON.stringify(config, null, 2)}\n`);
  log(`simulators: starting ${sims.length} simulators (${sims.map((s) => s.id).join(", ")})`);
  const pid = spawnDaemon({
    name: NAME,
    labDir,
    command: process.execPath,
    args: ["--import", "tsx", join(here, "child.ts"), configFile],
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  await waitUntil("simulators", async () => existsSync(readyFile), { timeoutMs: 60_000, intervalMs: 100, pid, labDir, name: NAME });
  const ready = JSON.parse(readFileSync(readyFile, "utf8")) as ChildReady;

  const apps: Record<string, SimulatorInfo> = {};
  for (const inst of instances) {
    const port = ready.ports[inst.id];
    if (port === undefined) continue;
    state.ports[inst.id] = port;
    const k = keys[inst.id] ?? {};
    const info: SimulatorInfo = {
      kind: inst.kind,
      url: `http://127.0.0.1:${port}`,
      urlBase: inst.urlBase,
      controlUrl: `${ready.controlUrl}/__control/${inst.id}`,
      metricsUrl: `${ready.controlUrl}/metrics/${inst.id}`,
      service: inst.serviceKey,
      workload: inst.workload,
      configVolume: `${inst.namespace}/${inst.configClaim}`,
      configDir: volumeDir(inst.namespace, inst.configClaim, labDir),
    };
    if (k.value !== undefined) {
      info.apiKey = k.value;
      info.apiKeySource = k.source;
      if (k.secretKey !== undefined) info.apiKeySecretKey = k.secretKey;
      if (k.from !== undefined) info.apiKeyFrom = k.from;
    }
    apps[inst.id] = info;
    log(`simulators: ${inst.id} -> ${info.url}${inst.urlBase} as ${inst.serviceKey} (URL base from ${inst.urlBaseSource}${k.source === "generated" ? `; key generated, not in ${SECRET}` : k.from !== undefined ? `; key from ${k.from}` : ""})`);
  }
  const addressMap: Record<string, string> = {};
  for (const [key, url] of Object.entries(ready.addressMap)) if (!services.some((s) => s.key === key)) addressMap[key] = url;
  const result: SimulatorsResult = { addressMap, apps };

  state.pid = pid;
  state.planHash = planHash;
  state.controlUrl = ready.controlUrl;
  state.controlPort = ready.controlPort;
  state.result = result;
  writePrivate(stateFile(labDir), `${JSON.stringify(state, null, 2)}\n`);
  log(
    `simulators: ${Object.keys(apps).length} ready in ${Date.now() - t0} ms (process start ${ready.startedMs} ms, RSS ${Math.round(rssKiB(pid) / 1024)} MiB), ` +
      `control ${ready.controlUrl}/__control, log ${logFile(labDir, NAME)}`,
  );
  return result;
}
