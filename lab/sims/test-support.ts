/**
 * Helpers for the simulators' integration tests: an in-process host with every simulator
 * (responses validated in `throw` mode), a small HTTP client that adds the URL base and the
 * key, and a private qBittorrent instance started and stopped by PID.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startQbittorrent, stopQbittorrent } from "../apps/qbittorrent";
import { volumeDir } from "../paths";
import { APP_CATALOGUE } from "../../lib/apps/catalogue";
import { discoverFrom, loadObjects } from "./discovery";
import { startSimulatorHost, type SimulatorHost } from "./host";

/** API keys the test host uses (fixed, so failures are readable). */
export const TEST_KEYS: Record<string, string> = {
  sonarr: "sonarr0000000000000000000000key01",
  radarr: "radarr0000000000000000000000key02",
  lidarr: "lidarr0000000000000000000000key03",
  readarr: "readarr000000000000000000000key10",
  prowlarr: "prowlarr00000000000000000000key04",
  bazarr: "bazarr0000000000000000000000key05",
  sabnzbd: "sabnzbd000000000000000000000key06",
  jellyfin: "jellyfin00000000000000000000key07",
  jellyseerr: "jellyseerr000000000000000000key08",
  seerr: "seerr00000000000000000000000key09",
  "gluetun-qbittorrent": "GluetunQbitKey22chars01",
  "gluetun-sabnzbd": "GluetunSabKey22chars002",
  "gluetun-vpn": "GluetunVpnKey22chars003",
};

export interface TestHost {
  host: SimulatorHost;
  /** Temporary lab directory holding the apps' volumes (`volumes/<ns>/<claim>`). */
  labDir: string;
  /** The configuration volume directory of a simulator. */
  dataDir(id: string): string;
  /** Base URL of a simulator including its URL base (`http://127.0.0.1:P/sonarr`). */
  base(id: string): string;
  urlBase(id: string): string;
  stop(): Promise<void>;
}

/**
 * Starts every simulator the fixture's manifests call for, in this process, with the test
 * keys. `qbittorrent` adds the real qBittorrent under the user's Service name.
 */
export async function startTestHost(opts: { qbittorrent?: { url: string } } = {}): Promise<TestHost> {
  const { instances, qbittorrent } = discoverFrom(await loadObjects({}));
  const labDir = mkdtempSync(join(tmpdir(), "lab-sims-"));
  const dataDirs = new Map(instances.map((i) => [i.id, volumeDir(i.namespace, i.configClaim, labDir)]));
  const host = await startSimulatorHost({
    sims: instances.map((i) => ({
      id: i.id,
      kind: i.kind,
      urlBase: i.urlBase,
      apiKey: APP_CATALOGUE[i.kind].credential.type === "api-key" ? TEST_KEYS[i.id] : undefined,
      service: { key: i.serviceKey, port: i.servicePort },
      extra: { healthTtlMs: 0 },
      dataDir: dataDirs.get(i.id),
    })),
    services: opts.qbittorrent !== undefined && qbittorrent !== undefined ? [{ key: qbittorrent.serviceKey, port: qbittorrent.servicePort, url: opts.qbittorrent.url }] : [],
    validateResponses: "throw",
    log: (m) => {
      if (process.env.SIMS_TEST_LOG === "1") console.log(m);
    },
  });
  const bases = new Map(instances.map((i) => [i.id, i.urlBase]));
  return {
    host,
    labDir,
    dataDir: (id) => {
      const d = dataDirs.get(id);
      if (d === undefined) throw new Error(`no simulator ${id}`);
      return d;
    },
    urlBase: (id) => bases.get(id) ?? "",
    base: (id) => {
      const sim = host.sims.get(id);
      if (sim === undefined) throw new Error(`no simulator ${id}`);
      return `${sim.url()}${bases.get(id) ?? ""}`;
    },
    stop: async () => {
      await host.stop();
      rmSync(labDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until simulator `id` of `host` has started again after `before` starts (a restart the app
 * did itself after a restore) and answers.
 */
export async function waitForRestart(host: SimulatorHost, id: string, before: number, timeoutMs = 10_000): Promise<void> {
  const sim = host.sims.get(id);
  if (sim === undefined) throw new Error(`no simulator ${id}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snap = sim.snapshot();
    if (typeof snap.starts === "number" && snap.starts > before && snap.running === true && snap.listening === true) {
      // The restart closed the connections this process's fetch keeps alive; let it notice, and
      // probe until a request goes through, as a client of a restarted app does.
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 5; i++) {
        const ok = await fetch(sim.url(), { signal: AbortSignal.timeout(2_000) }).then(
          async (r) => (await r.arrayBuffer(), true),
          () => false,
        );
        if (ok) return;
      }
      return;
    }
    if (Date.now() > deadline) throw new Error(`${id} did not restart within ${timeoutMs} ms (${JSON.stringify({ starts: snap.starts, running: snap.running, startError: snap.startError })})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How many times simulator `id` has started. */
export function starts(host: SimulatorHost, id: string): number {
  const n = host.sims.get(id)?.snapshot().starts;
  return typeof n === "number" ? n : 0;
}

/** A fetch answer with its body read once. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** `fetch` that never follows redirects and parses JSON when it can. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; form?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  }
  const res = await fetch(url, { method: init.method ?? "GET", headers, body, redirect: "manual", signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Installs qbittorrent-nox from Debian when it is missing (root or sudo). */
export function ensureQbittorrentNox(): string {
  const found = ["/usr/bin/qbittorrent-nox", "/usr/local/bin/qbittorrent-nox"].find((p) => existsSync(p));
  if (found !== undefined) return found;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const apt = (args: string[]) =>
    execFileSync(sudo[0] ?? "apt-get", [...(sudo.length > 0 ? ["apt-get"] : []), "-o", "DPkg::Lock::Timeout=600", ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  apt(["update", "-q"]);
  apt(["install", "-y", "-q", "--no-install-recommends", "qbittorrent-nox"]);
  if (!existsSync("/usr/bin/qbittorrent-nox")) throw new Error("qbittorrent-nox is still missing after apt-get install");
  return "/usr/bin/qbittorrent-nox";
}

/** A qBittorrent started by a test. */
export interface TestQbittorrent {
  url: string;
  username: string;
  password: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a private qbittorrent-nox the way the lab starts its own (lab/apps/qbittorrent.ts: own
 * profile in `dir`, own ports, a generated password; pidfile and log under `dir`) and waits for
 * its Web API.
 */
export async function startTestQbittorrent(dir: string): Promise<TestQbittorrent> {
  ensureQbittorrentNox();
  const info = await startQbittorrent({ labDir: dir, state: { ports: {}, secrets: {} }, log: () => undefined });
  return { url: info.url, username: info.username, password: info.password, pid: info.pid, stop: () => stopQbittorrent(dir) };
}
