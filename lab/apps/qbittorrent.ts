import { pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { choosePort, freePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";

/** Connection facts of the lab's real qBittorrent (`apps.qbittorrent`). */
export interface QbittorrentInfo {
  url: string;
  username: string;
  password: string;
  version: string;
  webApiVersion: string;
  categories: string[];
  profileDir: string;
  pid: number;
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
    // Tests log in with a wrong password on purpose; never lock the lab out for it.
    "WebUI\\MaxAuthenticationFailCount=1000",
    "WebUI\\BanDuration=1",
    `WebUI\\Username=${opts.username}`,
    `WebUI\\Password_PBKDF2="${qbittorrentPasswordHash(opts.password)}"`,
    "",
  ].join("\n");
}

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

/**
 * Starts qBittorrent (or reuses the running lab instance): own profile under `<labDir>/qbittorrent`,
 * WebUI on 127.0.0.1, the lab's username and password, peer traffic on loopback only, and the
 * lab categories.
 */
export async function startQbittorrent(opts: { labDir: string; state: AppsState; log: (m: string) => void }): Promise<QbittorrentInfo> {
  const { labDir, state, log } = opts;
  const username = "admin";
  const password = (state.secrets["qbittorrent.password"] ??= randomBytes(15).toString("base64url"));
  const profileDir = join(labDir, "qbittorrent");
  const saveDir = join(profileDir, "downloads");
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
    const start = async () => {
      writeFileSync(
        join(profileDir, "qBittorrent", "config", "qBittorrent.conf"),
        configText({ webPort, torrentPort, username, password, saveDir }),
        { mode: 0o600 },
      );
      log(`qbittorrent: starting on ${url}`);
      pid = spawnDaemon({
        name: NAME,
        labDir,
        command: COMMAND,
        args: [`--profile=${profileDir}`, `--webui-port=${webPort}`],
        env: { ...process.env, HOME: profileDir, QT_QPA_PLATFORM: "offscreen" },
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
      web_ui_max_auth_fail_count: 1000,
      web_ui_ban_duration: 1,
      web_ui_host_header_validation_enabled: false,
      upnp: false,
      dht: false,
      pex: false,
      lsd: false,
      save_path: saveDir,
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
  return { url, username, password, version, webApiVersion, categories: [...LAB_CATEGORIES], profileDir, pid };
}
