import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { choosePort, freePort, isAlive, readPid, spawnDaemon, stopNamed, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import { volumeDir } from "../paths";

/** Connection facts of the lab's real qBittorrent (`apps.qbittorrent`). */
export interface QbittorrentInfo {
  url: string;
  username: string;
  password: string;
  version: string;
  webApiVersion: string;
  categories: string[];
  /** qBittorrent's `--profile`: the configuration volume's directory (`qBittorrent/config/qBittorrent.conf`). */
  profileDir: string;
  /** `<namespace>/<claim>` of that volume. */
  configVolume: string;
  pid: number;
}

/** The configuration volume qBittorrent's profile lives on (its workload's `/config` claim). */
export interface QbittorrentVolume {
  namespace: string;
  claim: string;
}

const NAME = "qbittorrent";
const COMMAND = "qbittorrent-nox";
/** Categories the *arr apps of the fixture repo download into. */
export const LAB_CATEGORIES = ["tv", "movies", "music"] as const;

/**
 * The `WebUI\Password_PBKDF2` value qBittorrent (4.2+) stores: base64 salt and base64
 * PBKDF2-HMAC-SHA512 key (100 000 iterations, 64 bytes), joined by `:`.
 */
export function qbittorrentPasswordHash(password: string, salt: Buffer = randomBytes(16)): string {
  const key = pbkdf2Sync(password, salt, 100_000, 64, "sha512");
  return `@ByteArray(${salt.toString("base64")}:${key.toString("base64")})`;
}

/** True when a stored `WebUI\Password_PBKDF2` value is the hash of `password`. */
export function qbittorrentPasswordMatches(stored: string, password: string): boolean {
  const m = /@ByteArray\(([^:]+):([^)]+)\)/.exec(stored);
  if (m?.[1] === undefined || m[2] === undefined) return false;
  const key = Buffer.from(m[2], "base64");
  const derived = pbkdf2Sync(password, Buffer.from(m[1], "base64"), 100_000, key.length || 64, "sha512");
  return key.length > 0 && timingSafeEqual(key, derived);
}

/**
 * Sets keys of an INI text in place (Qt's QSettings format: `[Section]`, `Key\Sub=value`), keeping
 * every other line; missing sections and keys are appended.
 */
export function setIniValues(text: string, section: string, values: Record<string, string>): string {
  const lines = text.split("\n");
  let start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) {
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    if (lines.length > 0) lines.push("");
    lines.push(`[${section}]`);
    start = lines.length - 1;
    lines.push("");
  }
  let end = lines.findIndex((l, i) => i > start && /^\[.*\]\s*$/.test(l.trim()));
  if (end < 0) end = lines.length;
  for (const [key, value] of Object.entries(values)) {
    const at = lines.findIndex((l, i) => i > start && i < end && l.slice(0, l.indexOf("=")) === key);
    if (at >= 0) lines[at] = `${key}=${value}`;
    else {
      // Insert before the blank lines that close the section.
      let pos = end;
      while (pos - 1 > start && lines[pos - 1]?.trim() === "") pos -= 1;
      lines.splice(pos, 0, `${key}=${value}`);
      end += 1;
    }
  }
  return lines.join("\n");
}

/** The value of `key` in `[section]`, if any. */
function iniValue(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (/^\[.*\]$/.test(t)) inSection = t === `[${section}]`;
    else if (inSection && line.slice(0, line.indexOf("=")) === key) return line.slice(line.indexOf("=") + 1);
  }
  return undefined;
}

/**
 * What the lab needs of a profile it did not write (one restored from a backup): its own ports on
 * loopback, the lab's login, and qBittorrent's default ban (5 failed logins, 1 h), which the panel
 * must live with. Every other preference stays as the profile has it.
 */
function labSettings(text: string, opts: { webPort: number; torrentPort: number; username: string; password: string }): string {
  let out = setIniValues(text, "LegalNotice", { Accepted: "true" });
  out = setIniValues(out, "BitTorrent", {
    "Session\\Port": String(opts.torrentPort),
    "Session\\Interface": "lo",
    "Session\\InterfaceName": "lo",
    "Session\\InterfaceAddress": "127.0.0.1",
  });
  const prefs: Record<string, string> = {
    "Connection\\PortRangeMin": String(opts.torrentPort),
    "WebUI\\Enabled": "true",
    "WebUI\\Address": "127.0.0.1",
    "WebUI\\Port": String(opts.webPort),
    "WebUI\\HostHeaderValidation": "false",
    "WebUI\\MaxAuthenticationFailCount": String(QBITTORRENT_DEFAULT_BAN.failures),
    "WebUI\\BanDuration": String(QBITTORRENT_DEFAULT_BAN.seconds),
    "WebUI\\Username": opts.username,
  };
  const stored = (iniValue(out, "Preferences", "WebUI\\Password_PBKDF2") ?? "").replace(/^"|"$/g, "");
  if (!qbittorrentPasswordMatches(stored, opts.password)) prefs["WebUI\\Password_PBKDF2"] = `"${qbittorrentPasswordHash(opts.password)}"`;
  return setIniValues(out, "Preferences", prefs);
}

function configText(opts: { webPort: number; torrentPort: number; username: string; password: string; saveDir: string }): string {
  return [
    "[LegalNotice]",
    "Accepted=true",
    "",
    "[BitTorrent]",
    `Session\\Port=${opts.torrentPort}`,
    "Session\\Interface=lo",
    "Session\\InterfaceName=lo",
    "Session\\InterfaceAddress=127.0.0.1",
    "Session\\DHTEnabled=false",
    "Session\\LSDEnabled=false",
    "Session\\PeXEnabled=false",
    `Session\\DefaultSavePath=${opts.saveDir}`,
    "",
    "[Preferences]",
    `Downloads\\SavePath=${opts.saveDir}`,
    "Connection\\UPnP=false",
    `Connection\\PortRangeMin=${opts.torrentPort}`,
    "General\\Locale=en",
    "WebUI\\Enabled=true",
    "WebUI\\Address=127.0.0.1",
    `WebUI\\Port=${opts.webPort}`,
    "WebUI\\UseUPnP=false",
    "WebUI\\LocalHostAuth=true",
    "WebUI\\HostHeaderValidation=false",
    "WebUI\\CSRFProtection=true",
    // qBittorrent's own defaults, as on the owner's server: the panel must never get itself banned.
    `WebUI\\MaxAuthenticationFailCount=${QBITTORRENT_DEFAULT_BAN.failures}`,
    `WebUI\\BanDuration=${QBITTORRENT_DEFAULT_BAN.seconds}`,
    `WebUI\\Username=${opts.username}`,
    `WebUI\\Password_PBKDF2="${qbittorrentPasswordHash(opts.password)}"`,
    "",
  ].join("\n");
}

/** qBittorrent's default ban of an address after failed Web UI logins (`web_ui_max_auth_fail_count`, `web_ui_ban_duration`). */
export const QBITTORRENT_DEFAULT_BAN = { failures: 5, seconds: 3600 } as const;

/** Minimal WebUI API session (cookie `SID`), enough to configure the lab instance. */
class QbSession {
  private sid: string | undefined;
  constructor(private readonly baseUrl: string) {}

  async login(username: string, password: string): Promise<boolean> {
    const res = await fetch(`${this.baseUrl}/api/v2/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", referer: this.baseUrl },
      body: new URLSearchParams({ username, password }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("SID="));
    if (text.trim() !== "Ok." || cookie === undefined) return false;
    this.sid = cookie.split(";")[0];
    return true;
  }

  async call(path: string, form?: Record<string, string>): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.baseUrl}/api/v2/${path}`, {
      method: form === undefined ? "GET" : "POST",
      headers: {
        cookie: this.sid ?? "",
        referer: this.baseUrl,
        ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
      },
      body: form === undefined ? undefined : new URLSearchParams(form),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, text: await res.text() };
  }
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(`${url}/api/v2/app/version`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === 200 || res.status === 403;
}

/** The volume of the fixture's qBittorrent when the manifests name none. */
export const DEFAULT_QBITTORRENT_VOLUME: QbittorrentVolume = { namespace: "qbittorrent", claim: "qbittorrent-config" };

/** Options of {@link startQbittorrent}. */
export interface QbittorrentOptions {
  labDir: string;
  state: AppsState;
  log: (m: string) => void;
  /** The configuration volume (default {@link DEFAULT_QBITTORRENT_VOLUME}). */
  volume?: QbittorrentVolume;
}

/**
 * Starts qBittorrent (or reuses the running lab instance): its profile on its configuration
 * volume (`<labDir>/volumes/<ns>/<claim>`, so `qBittorrent/config/qBittorrent.conf` is in the
 * volume), WebUI on 127.0.0.1, the lab's username and password, peer traffic on loopback only, and
 * the lab categories. A profile already in the volume is kept (a restart after a restore shows the
 * restored preferences); only the lab's ports and login are put into it.
 */
export async function startQbittorrent(opts: QbittorrentOptions): Promise<QbittorrentInfo> {
  const { labDir, state, log } = opts;
  const volume = opts.volume ?? DEFAULT_QBITTORRENT_VOLUME;
  const username = "admin";
  const password = (state.secrets["qbittorrent.password"] ??= randomBytes(15).toString("base64url"));
  const profileDir = volumeDir(volume.namespace, volume.claim, labDir);
  const saveDir = join(labDir, "downloads", "qbittorrent");
  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, COMMAND);
  let webPort = await choosePort(state.ports[NAME], alive);
  let url = `http://127.0.0.1:${webPort}`;

  let session = new QbSession(url);
  let reuse = false;
  if (alive && (await answers(url).catch(() => false))) {
    reuse = await session.login(username, password).catch(() => false);
    if (!reuse) log("qbittorrent: running instance does not accept the lab password; restarting it");
  }
  if (!reuse) {
    if (alive && pid !== undefined) await stopPid(pid, 15_000);
    let torrentPort = await choosePort(state.ports[`${NAME}.torrent`], false);
    mkdirSync(join(profileDir, "qBittorrent", "config"), { recursive: true });
    mkdirSync(saveDir, { recursive: true });
    const confFile = join(profileDir, "qBittorrent", "config", "qBittorrent.conf");
    const home = join(labDir, "qbittorrent-home");
    mkdirSync(home, { recursive: true });
    const start = async () => {
      const existing = existsSync(confFile) ? readFileSync(confFile, "utf8") : undefined;
      writeFileSync(
        confFile,
        existing === undefined ? configText({ webPort, torrentPort, username, password, saveDir }) : labSettings(existing, { webPort, torrentPort, username, password }),
        { mode: 0o600 },
      );
      log(`qbittorrent: starting on ${url} (profile ${profileDir}${existing === undefined ? ", new" : ""})`);
      pid = spawnDaemon({
        name: NAME,
        labDir,
        command: COMMAND,
        args: [`--profile=${profileDir}`, `--webui-port=${webPort}`],
        env: { ...process.env, HOME: home, QT_QPA_PLATFORM: "offscreen" },
      });
      await waitUntil("qbittorrent WebUI", () => answers(url), { timeoutMs: 30_000, pid, labDir, name: NAME });
    };
    try {
      await start();
    } catch (error) {
      // A port found free a moment ago can be taken before qBittorrent binds it (another process's
      // outgoing connection, an old socket still closing): take fresh ports once.
      if (isAlive(pid, COMMAND)) throw error;
      log(`qbittorrent: ${(error as Error).message.split("\n")[0]}; retrying on fresh ports`);
      webPort = await freePort();
      torrentPort = await freePort();
      url = `http://127.0.0.1:${webPort}`;
      await start();
    }
    state.ports[`${NAME}.torrent`] = torrentPort;
    session = new QbSession(url);
    if (!(await session.login(username, password))) {
      // Older or newer builds may ignore the stored hash: fall back to the documented default
      // login (4.5: admin/adminadmin) and set the lab password through the API.
      if (!(await session.login("admin", "adminadmin"))) {
        throw new Error("qbittorrent: neither the lab password nor the default login is accepted");
      }
      await session.call("app/setPreferences", { json: JSON.stringify({ web_ui_username: username, web_ui_password: password }) });
      session = new QbSession(url);
      if (!(await session.login(username, password))) throw new Error("qbittorrent: lab password not accepted after setting it");
    }
  }
  state.ports[NAME] = webPort;
  if (pid === undefined) throw new Error("qbittorrent: no pid");

  await session.call("app/setPreferences", {
    json: JSON.stringify({
      web_ui_max_auth_fail_count: QBITTORRENT_DEFAULT_BAN.failures,
      web_ui_ban_duration: QBITTORRENT_DEFAULT_BAN.seconds,
      web_ui_host_header_validation_enabled: false,
      upnp: false,
      dht: false,
      pex: false,
      lsd: false,
    }),
  });
  const existing = JSON.parse((await session.call("torrents/categories")).text || "{}") as Record<string, unknown>;
  for (const category of LAB_CATEGORIES) {
    if (category in existing) continue;
    const r = await session.call("torrents/createCategory", { category, savePath: join(saveDir, category) });
    if (r.status !== 200) throw new Error(`qbittorrent: createCategory ${category}: HTTP ${r.status} ${r.text}`);
  }
  const version = (await session.call("app/version")).text.trim();
  const webApiVersion = (await session.call("app/webapiVersion")).text.trim();
  log(`qbittorrent: ${reuse ? "reused" : "ready"} ${version} (WebAPI ${webApiVersion}) at ${url}`);
  return { url, username, password, version, webApiVersion, categories: [...LAB_CATEGORIES], profileDir, configVolume: `${volume.namespace}/${volume.claim}`, pid };
}

/**
 * Stops the lab's qBittorrent (SIGTERM, as a pod's container is stopped; qBittorrent saves its
 * settings on the way out) and waits until it has exited.
 */
export async function stopQbittorrent(labDir: string): Promise<void> {
  await stopNamed(labDir, NAME, 20_000);
}

/**
 * Restarts the lab's qBittorrent: stop, then start again on the same ports from the profile on
 * its volume. `between` runs while it is stopped (what a new pod's init containers do: restore
 * files into the volume before the app starts).
 */
export async function restartQbittorrent(opts: QbittorrentOptions & { between?: () => Promise<void> | void }): Promise<QbittorrentInfo> {
  await stopQbittorrent(opts.labDir);
  await opts.between?.();
  return startQbittorrent(opts);
}
