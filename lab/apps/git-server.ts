import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import { choosePort, freePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import { writePrivate } from "../lib/state";

const NAME = "fcgiwrap";
const BACKEND = "/usr/lib/git-core/git-http-backend";

/** What nginx needs to put git smart HTTP in front of fcgiwrap. */
export interface GitBackend {
  fcgiAddress: string;
  htpasswdFile: string;
  username: string;
  password: string;
  pid: number;
}

function cryptSha512(password: string): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const child = execFile("openssl", ["passwd", "-6", "-stdin"], (err, stdout, stderr) => {
      if (err) reject(new Error(`openssl passwd: ${stderr || err.message}`));
      else resolveHash(stdout.trim());
    });
    child.stdin?.end(`${password}\n`);
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolveOpen(true);
    });
    s.once("error", () => resolveOpen(false));
  });
}

/**
 * Starts fcgiwrap on a loopback TCP port (restricted to `git http-backend`; one process, no
 * preforked children, so stopping its pid stops it all) and writes the
 * htpasswd file with the lab's git user (SHA-512 crypt). Reuses a running fcgiwrap.
 */
export async function startGitBackend(opts: { labDir: string; state: AppsState; log: (m: string) => void }): Promise<GitBackend> {
  const { labDir, state, log } = opts;
  const username = "lab";
  const password = (state.secrets["git.password"] ??= randomBytes(15).toString("base64url"));
  const htpasswdFile = join(labDir, "git", "htpasswd");
  writePrivate(htpasswdFile, `${username}:${await cryptSha512(password)}\n`);

  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, NAME);
  let port = await choosePort(state.ports[NAME], alive);
  if (!(alive && (await tcpOpen(port)))) {
    if (alive && pid !== undefined) await stopPid(pid);
    const start = async (p: number) => {
      log(`git: starting fcgiwrap on 127.0.0.1:${p}`);
      pid = spawnDaemon({ name: NAME, labDir, command: NAME, args: ["-f", "-c", "1", "-p", BACKEND, "-s", `tcp:127.0.0.1:${p}`] });
      await waitUntil("fcgiwrap", () => tcpOpen(p), { timeoutMs: 10_000, pid, labDir, name: NAME });
    };
    try {
      await start(port);
    } catch (error) {
      // fcgiwrap binds without SO_REUSEADDR: right after a restart its old port can still be held by
      // connections in TIME_WAIT. Take a fresh port once.
      if (isAlive(pid, NAME)) throw error;
      port = await freePort();
      await start(port);
    }
  }
  state.ports[NAME] = port;
  if (pid === undefined) throw new Error("fcgiwrap: no pid");
  return { fcgiAddress: `127.0.0.1:${port}`, htpasswdFile, username, password, pid };
}
