/**
 * A real Gitea in the lab: the binary built from the Go module proxy by
 * `lab/cluster/build-binaries.sh gitea`, run on 127.0.0.1 with SQLite, an admin user, an access token
 * made at run time and the GitOps repository pushed from the lab's git server (same commits, same
 * branches). The panel's `gitea` forge provider is tested against it.
 */
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { LAB_CLUSTER_DIR, LAB_VERSIONS, giteaAssetsDir, giteaBinaryPath, giteaBuilt } from "../paths";
import { choosePort, freePort, isAlive, readPid, rssKiB, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import { writePrivate } from "../lib/state";
import { git } from "./git-repo";

const NAME = "gitea";

/** Scopes of the token the lab hands to the panel: what the docs say the panel needs, nothing more. */
export const GITEA_TOKEN_SCOPES = ["write:repository", "write:issue"] as const;

/** `apps.gitea` in lab.json. */
export interface GiteaInfo {
  kind: "gitea";
  version: string;
  /** Web root, `http://127.0.0.1:PORT`. */
  url: string;
  /** API base, `<url>/api/v1`: what the panel's `gitops.apiUrl` is. */
  apiUrl: string;
  /** Admin account (site administrator, owner of the organisation). */
  username: string;
  password: string;
  /** Access token of `username` with {@link GITEA_TOKEN_SCOPES}; also the HTTPS Git password. */
  token: string;
  tokenScopes: string[];
  /** Organisation and repository, named like the lab's git server (`brettswift/k8s_nas`). */
  owner: string;
  repo: string;
  /** `<url>/<owner>/<repo>.git` (private: needs the user and the token). */
  cloneUrl: string;
  /** Page of the repository. */
  webUrl: string;
  defaultBranch: string;
  /** Branches pushed at setup, each at the import commit. */
  branches: string[];
  importCommit: string;
  /** `<labDir>/gitea`: app.ini, SQLite database, repositories, logs. */
  workDir: string;
  configFile: string;
  pid: number;
}

/** What {@link startGitea} needs from the lab's git server. */
export interface GiteaSource {
  /** Bare repository of the lab's git server. */
  bareDir: string;
  owner: string;
  repo: string;
  defaultBranch: string;
  branches: string[];
  importCommit: string;
}

function env(): NodeJS.ProcessEnv {
  // The lab runs as root on some machines; Gitea refuses that unless told otherwise.
  return { ...process.env, GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: "true", GITEA_WORK_DIR: undefined, GITEA_CUSTOM: undefined };
}

/**
 * Runs a Gitea CLI command. On failure the error carries the program's own output, never the
 * arguments (they may hold the admin password).
 */
function giteaCli(args: string[], what: string): Promise<string> {
  return new Promise((resolveOut, reject) => {
    execFile(giteaBinaryPath(), args, { env: env(), maxBuffer: 8 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`gitea ${what} failed: ${`${stderr}\n${stdout}`.trim().split("\n").slice(-5).join("\n")}`));
      else resolveOut(stdout);
    });
  });
}

/** Builds Gitea with build-binaries.sh (under its lock), forwarding the progress lines. */
async function ensureBuilt(log: (m: string) => void): Promise<void> {
  if (giteaBuilt()) return;
  log(`gitea: ${LAB_VERSIONS.gitea} is not built yet; building it once with lab/cluster/build-binaries.sh gitea (a few minutes)`);
  await new Promise<void>((resolveRun, reject) => {
    const child = spawn("bash", [join(LAB_CLUSTER_DIR, "build-binaries.sh"), "gitea"], { stdio: ["ignore", "pipe", "pipe"] });
    const forward = (d: Buffer): void => {
      for (const line of d.toString("utf8").split("\n")) if (line.trim() !== "") log(`gitea: ${line}`);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolveRun() : reject(new Error(`building gitea failed (build-binaries.sh gitea exited ${code ?? "?"})`))));
  });
  if (!giteaBuilt()) throw new Error(`building gitea finished but ${giteaBinaryPath()} is missing`);
}

/** app.ini of the lab instance: loopback only, SQLite, no registration, nothing that reaches the network. */
export function giteaConfig(o: { workDir: string; port: number; secretKey: string; internalToken: string; defaultBranch: string }): string {
  const url = `http://127.0.0.1:${o.port}/`;
  return `APP_NAME = k8s-nas lab Gitea
RUN_USER = ${userInfo().username}
RUN_MODE = prod
WORK_PATH = ${o.workDir}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${o.port}
DOMAIN = 127.0.0.1
ROOT_URL = ${url}
APP_DATA_PATH = ${join(o.workDir, "data")}
STATIC_ROOT_PATH = ${giteaAssetsDir()}
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
OFFLINE_MODE = true

[database]
DB_TYPE = sqlite3
PATH = ${join(o.workDir, "data", "gitea.db")}
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = ${join(o.workDir, "repositories")}
DEFAULT_BRANCH = ${o.defaultBranch}

[security]
INSTALL_LOCK = true
SECRET_KEY = ${o.secretKey}
INTERNAL_TOKEN = ${o.internalToken}
PASSWORD_HASH_ALGO = pbkdf2

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = true
DEFAULT_KEEP_EMAIL_PRIVATE = true

[oauth2]
ENABLED = false

[mailer]
ENABLED = false

[picture]
DISABLE_GRAVATAR = true
ENABLE_FEDERATED_AVATAR = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[cron.update_checker]
ENABLED = false

[session]
PROVIDER = memory

[i18n]
; one locale loaded instead of all of them (about 10 MiB less)
LANGS = en-US
NAMES = English

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = ${join(o.workDir, "log")}
`;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** A JSON request to the Gitea API; resolves with the status and parsed body. */
export async function giteaApi(
  apiUrl: string,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: auth, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed };
}

async function expectOk(what: string, r: Promise<{ status: number; body: unknown }>, ok: number[] = [200, 201, 204]): Promise<unknown> {
  const res = await r;
  if (!ok.includes(res.status)) throw new Error(`gitea: ${what}: HTTP ${res.status} ${typeof res.body === "string" ? res.body : JSON.stringify(res.body)}`);
  return res.body;
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/api/healthz`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === 200;
}

/** Environment that makes git send `Authorization: Basic` without putting the secret in argv or a URL. */
export function gitAuthEnv(user: string, password: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: ${basic(user, password)}`,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

/**
 * Makes sure the organisation and the private repository exist and, when the repository is empty,
 * pushes every branch of the source at its import commit and sets the default branch.
 */
async function ensureRepository(info: { apiUrl: string; url: string; username: string; password: string; token: string }, source: GiteaSource, log: (m: string) => void): Promise<void> {
  const auth = basic(info.username, info.password);
  const { owner, repo } = source;
  const org = await giteaApi(info.apiUrl, auth, "GET", `/orgs/${owner}`);
  if (org.status === 404) {
    await expectOk(`create organisation ${owner}`, giteaApi(info.apiUrl, auth, "POST", "/orgs", { username: owner, visibility: "private" }));
  }
  let r = await giteaApi(info.apiUrl, auth, "GET", `/repos/${owner}/${repo}`);
  if (r.status === 404) {
    await expectOk(
      `create repository ${owner}/${repo}`,
      giteaApi(info.apiUrl, auth, "POST", `/orgs/${owner}/repos`, { name: repo, private: true, default_branch: source.defaultBranch, auto_init: false }),
    );
    r = await giteaApi(info.apiUrl, auth, "GET", `/repos/${owner}/${repo}`);
  }
  if ((r.body as { empty?: boolean } | undefined)?.empty !== true) return;
  const t0 = Date.now();
  const refspecs = source.branches.map((b) => `${source.importCommit}:refs/heads/${b}`);
  await git(["--git-dir", source.bareDir, "push", "--quiet", "--force", `${info.url}/${owner}/${repo}.git`, ...refspecs], { env: gitAuthEnv(info.username, info.token) });
  // Gitea records pushed branches in its database from a queue: wait until its API lists them all,
  // or a pull request into one of them could be refused right after `lab up`.
  await waitUntil(
    `gitea: branches of ${owner}/${repo} listed`,
    async () => {
      const listed = await giteaApi(info.apiUrl, auth, "GET", `/repos/${owner}/${repo}/branches?limit=50`);
      const names = new Set(((listed.body as { name: string }[] | null) ?? []).map((b) => b.name));
      return source.branches.every((b) => names.has(b));
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  await expectOk(`set default branch ${source.defaultBranch}`, giteaApi(info.apiUrl, auth, "PATCH", `/repos/${owner}/${repo}`, { default_branch: source.defaultBranch }));
  log(`gitea: pushed ${source.branches.length} branches of ${owner}/${repo} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * The admin account with the lab's password: created on a fresh database, its password reset when
 * it no longer matches (the data directory was kept but `apps-state.json` was lost).
 */
async function ensureAdmin(o: { apiUrl: string; configFile: string; username: string; password: string; fresh: boolean }): Promise<void> {
  if (!o.fresh && (await giteaApi(o.apiUrl, basic(o.username, o.password), "GET", "/user")).status === 200) return;
  const config = ["--config", o.configFile, "--username", o.username, "--password", o.password, "--must-change-password=false"];
  const create = () => giteaCli(["admin", "user", "create", ...config, "--email", `${o.username}@lab.invalid`, "--admin"], "admin user create");
  if (o.fresh) {
    await create();
  } else {
    try {
      await giteaCli(["admin", "user", "change-password", ...config], "admin user change-password");
    } catch (changeError) {
      try {
        await create();
      } catch (createError) {
        throw new Error(`${(changeError as Error).message}\n${(createError as Error).message}`);
      }
    }
  }
  const check = await giteaApi(o.apiUrl, basic(o.username, o.password), "GET", "/user");
  if (check.status !== 200) throw new Error(`gitea: the admin ${o.username} cannot sign in after setting its password (HTTP ${check.status})`);
}

/**
 * Starts Gitea (or reuses the running lab instance) under `<labDir>/gitea`, with the admin user,
 * a token made through the API, and the repository. The instance keeps its data between runs
 * (like the lab's git server keeps pushes); a changed configuration restarts it.
 */
export async function startGitea(opts: { labDir: string; state: AppsState; log: (m: string) => void; source: GiteaSource }): Promise<GiteaInfo> {
  const { labDir, state, log, source } = opts;
  await ensureBuilt(log);
  const t0 = Date.now();
  const workDir = join(labDir, NAME);
  const configFile = join(workDir, "custom", "conf", "app.ini");
  const username = "lab-admin";
  const password = (state.secrets["gitea.password"] ??= randomBytes(15).toString("base64url"));
  const secretKey = (state.secrets["gitea.secretKey"] ??= randomBytes(32).toString("base64url"));
  const internalToken = (state.secrets["gitea.internalToken"] ??= randomBytes(48).toString("base64url"));

  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, giteaBinaryPath());
  let port = await choosePort(state.ports[NAME], alive);
  const configFor = (p: number): string => giteaConfig({ workDir, port: p, secretKey, internalToken, defaultBranch: source.defaultBranch });
  const configId = (p: number): string => createHash("sha256").update(configFor(p)).update(giteaBinaryPath()).digest("hex").slice(0, 16);
  let url = `http://127.0.0.1:${port}`;
  let fresh = false;
  const reuse = alive && state.secrets["gitea.configId"] === configId(port) && (await healthy(url).catch(() => false));
  if (!reuse) {
    if (alive && pid !== undefined) await stopPid(pid, 10_000);
    mkdirSync(join(workDir, "data"), { recursive: true });
    writePrivate(configFile, configFor(port));
    fresh = !existsSync(join(workDir, "data", "gitea.db"));
    if (fresh) await giteaCli(["migrate", "--config", configFile], "migrate");
    const start = async (): Promise<void> => {
      writePrivate(configFile, configFor(port));
      log(`gitea: starting ${LAB_VERSIONS.gitea} on ${url}`);
      pid = spawnDaemon({ name: NAME, labDir, command: giteaBinaryPath(), args: ["web", "--config", configFile], env: env(), cwd: workDir });
      await waitUntil("gitea", () => healthy(url), { timeoutMs: 60_000, pid, labDir, name: NAME });
    };
    try {
      await start();
    } catch (error) {
      // The port can be taken between choosing and binding it: take a fresh one once.
      if (isAlive(pid, giteaBinaryPath())) throw error;
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      log(`gitea: ${(error as Error).message.split("\n")[0]}; retrying on port ${port}`);
      await start();
    }
    state.secrets["gitea.configId"] = configId(port);
  }
  state.ports[NAME] = port;
  if (pid === undefined) throw new Error("gitea: no pid");
  const apiUrl = `${url}/api/v1`;

  await ensureAdmin({ apiUrl, configFile, username, password, fresh });
  const version = String(((await expectOk("version", giteaApi(apiUrl, basic(username, password), "GET", "/version"))) as { version?: string }).version ?? "?");

  // The token: made through the API at run time, kept in apps-state.json (0600) and lab.json.
  let token = state.secrets["gitea.token"];
  if (token === undefined || (await giteaApi(apiUrl, `token ${token}`, "GET", `/repos/search?limit=1`)).status === 401) {
    const made = (await expectOk(
      "create access token",
      giteaApi(apiUrl, basic(username, password), "POST", `/users/${username}/tokens`, { name: `lab-${randomBytes(4).toString("hex")}`, scopes: [...GITEA_TOKEN_SCOPES] }),
    )) as { sha1?: string };
    if (typeof made.sha1 !== "string" || made.sha1 === "") throw new Error("gitea: the token answer has no sha1");
    token = made.sha1;
    state.secrets["gitea.token"] = token;
  }

  await ensureRepository({ apiUrl, url, username, password, token }, source, log);
  const info: GiteaInfo = {
    kind: "gitea",
    version,
    url,
    apiUrl,
    username,
    password,
    token,
    tokenScopes: [...GITEA_TOKEN_SCOPES],
    owner: source.owner,
    repo: source.repo,
    cloneUrl: `${url}/${source.owner}/${source.repo}.git`,
    webUrl: `${url}/${source.owner}/${source.repo}`,
    defaultBranch: source.defaultBranch,
    branches: [...source.branches],
    importCommit: source.importCommit,
    workDir,
    configFile,
    pid,
  };
  log(`gitea: ${reuse ? "reused" : "ready"} ${version} at ${url} in ${((Date.now() - t0) / 1000).toFixed(1)} s (RSS ${Math.round(rssKiB(pid) / 1024)} MiB)`);
  return info;
}
