import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { choosePort, isAlive, readPid, waitUntil } from "../lib/process";
import { readState, writeState } from "../lib/state";
import { panelFrontsOf, PANEL_PROXY_ADDRESS, reloadNginx, renderNginxConfig, writeCheckedConfig, type NginxConfigInput } from "./nginx";
import { ensurePanelCertificate } from "./tls";

const run = promisify(execFile);

/** A panel reachable over HTTPS through the lab's nginx, the way the owner's ingress serves it. */
export interface PanelFront {
  name: string;
  /** What a browser opens: `https://127.0.0.1:<port>`. */
  url: string;
  /** Where the panel itself listens (plain HTTP on 127.0.0.1). */
  upstream: string;
  /** The address nginx connects to the panel from: the panel's `server.trustedProxies`. */
  proxyAddress: string;
  /** The lab CA that signed the front's certificate (Node: NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** A HOME whose NSS database (`.pki/nssdb`) trusts the lab CA: Debian's chromium reads it from there. */
  browserHome: string;
}

function tlsAnswers(port: number, caFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca: readFileSync(caFile), servername: "localhost", timeout: 2000 }, () => {
      const ok = socket.authorized;
      socket.end();
      resolve(ok);
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * An NSS database trusting the lab CA, under `<labDir>/browser-home/.pki/nssdb`: chromium on Linux
 * takes its certificate trust from `$HOME/.pki/nssdb`, so a browser started with that HOME accepts
 * the lab's certificates as it would a public CA's, without turning certificate errors off.
 * Needs `certutil` (Debian package libnss3-tools).
 */
export async function ensureBrowserTrust(labDir: string, caFile: string): Promise<string> {
  const home = join(labDir, "browser-home");
  const db = join(home, ".pki", "nssdb");
  const stamp = join(db, "lab-ca.pem");
  const ca = readFileSync(caFile, "utf8");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === ca) return home;
  rmSync(db, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  try {
    await run("certutil", ["-d", `sql:${db}`, "-N", "--empty-password"]);
    await run("certutil", ["-d", `sql:${db}`, "-A", "-t", "C,,", "-n", "k8s-nas lab CA", "-i", caFile]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("certutil is missing: install Debian's libnss3-tools (bash lab/apps/install.sh does)");
    throw new Error(`certutil failed: ${e.stderr ?? e.message}`);
  }
  await run("cp", [caFile, stamp]);
  return home;
}

/**
 * Puts an HTTPS front on the lab's nginx for a panel listening on `127.0.0.1:<upstreamPort>`
 * (idempotent: the same name keeps its port; nginx is reloaded only when something changed).
 * Needs the lab's apps to be up (`lab up`).
 */
export async function ensurePanelFront(opts: { labDir: string; name: string; upstreamPort: number; log?: (m: string) => void }): Promise<PanelFront> {
  const { labDir, name, upstreamPort } = opts;
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`panel front name "${name}": use a-z, 0-9 and - only`);
  const inputFile = join(labDir, "nginx", "render-input.json");
  const pid = readPid(labDir, "nginx");
  if (!existsSync(inputFile) || !isAlive(pid, "nginx")) throw new Error("the lab's nginx is not running: npm run lab -- up");
  const cert = await ensurePanelCertificate(join(labDir, "tls"));
  const state = readState(labDir);
  const key = `panel.${name}`;
  const previous = state.panelFronts?.[name];
  const input = JSON.parse(readFileSync(inputFile, "utf8")) as NginxConfigInput;
  // A port of its own among nginx's endpoints.
  const taken = [...input.tlsCases.map((c) => c.port), input.plainPort, ...(input.git ? [input.git.port] : []), ...panelFrontsOf(state).filter((f) => f.name !== name).map((f) => f.port)];
  const port = await choosePort(state.ports[key], previous !== undefined, taken);
  state.ports[key] = port;
  state.panelFronts = { ...(state.panelFronts ?? {}), [name]: { name, upstreamPort, certFile: cert.certFile, keyFile: cert.keyFile } };
  const url = `https://127.0.0.1:${port}`;
  const configFile = join(labDir, "nginx", "nginx.conf");
  const wanted = renderNginxConfig({ ...input, panelFronts: panelFrontsOf(state) });
  const current = existsSync(configFile) ? readFileSync(configFile, "utf8") : "";
  if (wanted !== current || !(await tlsAnswers(port, cert.caFile))) {
    const config = await writeCheckedConfig(configFile, { ...input, panelFronts: panelFrontsOf(state) });
    writeState(labDir, state);
    await reloadNginx(labDir, pid, input.plainPort, config);
    await waitUntil(`panel front ${name}`, () => tlsAnswers(port, cert.caFile), { timeoutMs: 15_000, pid, labDir, name: "nginx" });
    opts.log?.(`panel front ${name}: ${url} -> http://127.0.0.1:${upstreamPort}`);
  }
  const browserHome = await ensureBrowserTrust(labDir, cert.caFile);
  return { name, url, upstream: `http://127.0.0.1:${upstreamPort}`, proxyAddress: PANEL_PROXY_ADDRESS, caFile: cert.caFile, browserHome };
}
