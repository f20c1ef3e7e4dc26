import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { IngressRoute } from "../lib/manifests";
import { choosePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import type { TlsCase } from "./tls";

const run = promisify(execFile);
const NAME = "nginx";
const ANN = "nginx.ingress.kubernetes.io/";

/** The git smart-HTTP server block nginx adds in front of `git http-backend`. */
export interface GitServerBlock {
  port: number;
  fcgiAddress: string;
  htpasswdFile: string;
  projectRoot: string;
}

/**
 * An HTTPS front of a panel the tests or the demo run on 127.0.0.1: TLS with the lab CA, and the
 * forwarded headers ingress-nginx sets, from its own source address ({@link PANEL_PROXY_ADDRESS}) so
 * the panel can tell the proxy from a client connecting directly.
 */
export interface PanelFrontBlock {
  name: string;
  port: number;
  upstreamPort: number;
  certFile: string;
  keyFile: string;
}

/**
 * The lab's ingress controller as ingress-nginx serves the cluster's Ingresses: HTTPS on `httpsPort`
 * with, for each host, the certificate of the Secret its Ingress names (`<servedDir>/<host>.pem`,
 * written by the lab's cert-manager from the cluster's Secrets and loaded per handshake by SNI, so a
 * renewed or stale Secret is served at once) and HSTS; plain HTTP on `httpPort` redirected (308) to
 * HTTPS for the paths of hosts with TLS unless their Ingress says `ssl-redirect: "false"`.
 */
export interface IngressControllerBlock {
  httpsPort: number;
  httpPort: number;
  servedDir: string;
}

/** ingress-nginx's default HSTS header (hsts, hsts-max-age 31536000, hsts-include-subdomains). */
export const HSTS_HEADER = "max-age=31536000; includeSubDomains";

/** The address the lab's nginx connects to panels from: what a panel's `server.trustedProxies` names. */
export const PANEL_PROXY_ADDRESS = "127.0.0.2";

/** Everything the generated nginx.conf is made of. */
export interface NginxConfigInput {
  labDir: string;
  hosts: string[];
  routes: IngressRoute[];
  /** `<service>.<namespace>` -> `http://127.0.0.1:PORT` */
  addressMap: Record<string, string>;
  tlsCases: TlsCase[];
  plainPort: number;
  /** The ingress controller's own endpoints, as ingress-nginx serves the Ingresses (see {@link ingressControllerServers}). */
  controller?: IngressControllerBlock;
  git?: GitServerBlock;
  panelFronts?: PanelFrontBlock[];
  runAsRoot: boolean;
}

/**
 * Where the plain endpoint answers the generation of the configuration nginx runs (a hash of the
 * rest of it): after a reload, the new workers answer the new one ({@link reloadNginx}).
 */
export const GENERATION_PATH = "/.lab/generation";
const GENERATION_PLACEHOLDER = "@@generation@@";

/** nginx string literal. */
function q(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Header names the lab proxy sets itself, like ingress-nginx does. */
const DEFAULT_PROXY_HEADERS: [string, string][] = [
  ["Host", "$host"],
  ["X-Real-IP", "$remote_addr"],
  ["X-Forwarded-For", "$proxy_add_x_forwarded_for"],
  ["X-Forwarded-Proto", "$scheme"],
  ["X-Forwarded-Host", "$host"],
  ["X-Forwarded-Port", "$server_port"],
  ["X-Forwarded-Scheme", "$scheme"],
  ["Upgrade", "$http_upgrade"],
  ["Connection", "$connection_upgrade"],
];

/**
 * Turns an ingress-nginx `configuration-snippet` into directives this nginx can load:
 * `proxy_set_header` overrides the defaults, `more_set_headers` (headers-more module, absent
 * from Debian's nginx) becomes `add_header ... always`, `if`/`return`/`rewrite`/`add_header`
 * pass through, anything else is left out with a comment.
 */
export function translateSnippet(snippet: string): { headers: Map<string, string>; lines: string[] } {
  const headers = new Map<string, string>();
  const lines: string[] = [];
  for (const raw of snippet.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      lines.push(line);
      continue;
    }
    const psh = /^proxy_set_header\s+(\S+)\s+(.+?);$/.exec(line);
    if (psh?.[1] !== undefined && psh[2] !== undefined) {
      headers.set(psh[1], psh[2]);
      continue;
    }
    const more = /^more_set_headers\s+"([^:"]+):\s*([^"]*)";$/.exec(line);
    if (more?.[1] !== undefined && more[2] !== undefined) {
      lines.push(`add_header ${more[1]} ${q(more[2])} always;`);
      continue;
    }
    if (/^(if\s*\(.*\)\s*\{.*\}|return\s.+;|rewrite\s.+;|add_header\s.+;)$/.test(line)) {
      lines.push(line);
      continue;
    }
    lines.push(`# lab: not applied: ${line.replace(/\n/g, " ")}`);
  }
  return { headers, lines };
}

function upstreamOf(addressMap: Record<string, string>, key: string): string | undefined {
  const url = addressMap[key];
  if (url === undefined) return undefined;
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/** True when ingress-nginx would switch every path of the host to regex locations. */
function hostUsesRegex(routes: IngressRoute[]): boolean {
  return routes.some((r) => r.annotations[`${ANN}use-regex`] === "true" || r.annotations[`${ANN}rewrite-target`] !== undefined);
}

/**
 * The `location` blocks for one host, following ingress-nginx: paths longest first; when any
 * Ingress of the host uses regex or rewrite-target, every path becomes a case-insensitive regex
 * anchored at the start; `Exact` paths are `=` locations; Prefix paths match `/p` and `/p/...`.
 */
export function hostLocations(hostRoutes: IngressRoute[], addressMap: Record<string, string>, label?: string): string[] {
  const regex = hostUsesRegex(hostRoutes);
  const sorted = [...hostRoutes].sort((a, b) => b.path.length - a.path.length);
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const r of sorted) {
    const matchers: string[] = [];
    if (r.pathType === "Exact") matchers.push(`= ${r.path}`);
    else if (regex) matchers.push(`~* ${q(`^${r.path}`)}`);
    else if (r.path === "/" || r.pathType === "ImplementationSpecific") matchers.push(r.path);
    else {
      const p = r.path.replace(/\/+$/, "");
      matchers.push(`${p}/`, `= ${p}`);
    }
    const key = `${r.service}.${r.namespace}`;
    const upstream = upstreamOf(addressMap, key);
    const snippet = translateSnippet(r.annotations[`${ANN}configuration-snippet`] ?? "");
    const headers = new Map(DEFAULT_PROXY_HEADERS);
    for (const [k, v] of snippet.headers) headers.set(k, v);
    const body: string[] = [`# ingress ${r.namespace}/${r.ingress} -> ${key}`];
    const redirect = r.annotations[`${ANN}permanent-redirect`];
    if (redirect !== undefined) {
      // $http_host keeps the lab port in the redirect target.
      body.push(`return ${r.annotations[`${ANN}permanent-redirect-code`] ?? "301"} ${redirect.replace(/\$host\b/g, "$http_host")};`);
    } else {
      body.push(...snippet.lines);
      // add_header in a location hides the server's own; repeat the endpoint label there.
      if (label !== undefined && snippet.lines.some((l) => l.startsWith("add_header "))) body.push(`add_header X-Lab-Endpoint ${q(label)} always;`);
      const target = r.annotations[`${ANN}rewrite-target`];
      if (target !== undefined) body.push(`rewrite ${q(`(?i)${r.path}`)} ${target} break;`);
      if (upstream === undefined) {
        body.push(`default_type text/plain;`, `return 503 ${q(`lab: no address for service ${key}`)};`);
      } else {
        for (const [k, v] of headers) body.push(`proxy_set_header ${k} ${v};`);
        body.push("proxy_http_version 1.1;", "proxy_read_timeout 300s;", "proxy_buffering off;", `proxy_pass ${upstream};`);
      }
    }
    for (const m of matchers) {
      if (seen.has(m)) continue;
      seen.add(m);
      blocks.push(`    location ${m} {\n${body.map((l) => `      ${l}`).join("\n")}\n    }`);
    }
  }
  return blocks;
}

function serverBlocks(opts: {
  listen: string;
  cert?: { certFile: string; keyFile: string };
  defaultHost: string;
  hosts: string[];
  routes: IngressRoute[];
  addressMap: Record<string, string>;
  label: string;
  /** More locations of the default server. */
  defaultLocations?: string[];
}): string {
  const out: string[] = [];
  const ordered = [opts.defaultHost, ...opts.hosts.filter((h) => h !== opts.defaultHost)];
  for (const host of ordered) {
    const isDefault = host === opts.defaultHost;
    const lines = [
      `  # ${opts.label}: ${host}${isDefault ? " (default server)" : ""}`,
      "  server {",
      `    listen ${opts.listen}${opts.cert !== undefined ? " ssl" : ""}${isDefault ? " default_server" : ""};`,
      `    server_name ${host};`,
    ];
    if (opts.cert !== undefined) {
      lines.push(`    ssl_certificate ${opts.cert.certFile};`, `    ssl_certificate_key ${opts.cert.keyFile};`);
    }
    lines.push(`    add_header X-Lab-Endpoint ${q(opts.label)} always;`);
    if (isDefault) lines.push(...(opts.defaultLocations ?? []));
    lines.push(...hostLocations(opts.routes.filter((r) => r.host === host), opts.addressMap, opts.label));
    lines.push("  }");
    out.push(lines.join("\n"));
  }
  return out.join("\n\n");
}

/** The ingress controller's server blocks: one HTTPS and one HTTP server per host. */
export function ingressControllerServers(c: IngressControllerBlock, hosts: string[], routes: IngressRoute[], addressMap: Record<string, string>): string {
  const out: string[] = [];
  const pem = join(c.servedDir, "$ssl_server_name.pem");
  // Hosts of Ingresses made after the lab started: served by SNI, plain HTTP redirected when the lab's
  // cert-manager marked the host (`<host>.redirect`: a tls block, and no ssl-redirect "false").
  out.push(
    [
      "  # ingress controller: hosts of Ingresses created later",
      "  server {",
      `    listen 127.0.0.1:${c.httpsPort} ssl default_server;`,
      "    server_name _;",
      `    ssl_certificate ${pem};`,
      `    ssl_certificate_key ${pem};`,
      `    add_header Strict-Transport-Security ${q(HSTS_HEADER)} always;`,
      `    add_header X-Lab-Endpoint "ingress-https" always;`,
      "    default_type text/plain;",
      '    location / { return 200 "lab ingress: $host\\n"; }',
      "  }",
      "  server {",
      `    listen 127.0.0.1:${c.httpPort} default_server;`,
      "    server_name _;",
      `    add_header X-Lab-Endpoint "ingress-http" always;`,
      "    default_type text/plain;",
      "    location / {",
      `      if (-f ${join(c.servedDir, "$host.redirect")}) { return 308 https://$host:${c.httpsPort}$request_uri; }`,
      '      return 200 "lab ingress: $host\\n";',
      "    }",
      "  }",
    ].join("\n"),
  );
  for (const host of hosts) {
    const hostRoutes = routes.filter((r) => r.host === host);
    const tls = hostRoutes.some((r) => r.tls);
    if (tls) {
      const pem = join(c.servedDir, "$ssl_server_name.pem");
      out.push(
        [
          `  # ingress controller (https): ${host}`,
          "  server {",
          `    listen 127.0.0.1:${c.httpsPort} ssl;`,
          `    server_name ${host};`,
          `    ssl_certificate ${pem};`,
          `    ssl_certificate_key ${pem};`,
          `    add_header Strict-Transport-Security ${q(HSTS_HEADER)} always;`,
          `    add_header X-Lab-Endpoint "ingress-https" always;`,
          ...hostLocations(hostRoutes, addressMap, "ingress-https").map((b) => b.replace(/(add_header X-Lab-Endpoint [^\n]*\n)/, `$1      add_header Strict-Transport-Security ${q(HSTS_HEADER)} always;\n`)),
          "  }",
        ].join("\n"),
      );
    }
    // Plain HTTP: the redirecting routes answer 308 to the same host and path on the HTTPS port.
    const redirected = tls ? hostRoutes.filter((r) => r.annotations[`${ANN}ssl-redirect`] !== "false" || r.annotations[`${ANN}force-ssl-redirect`] === "true") : [];
    const plain = hostRoutes.filter((r) => !redirected.includes(r));
    const locations = [
      ...hostLocations(plain, addressMap, "ingress-http"),
      ...hostLocations(redirected, addressMap, "ingress-http").map((b) => b.replace(/\{\n[\s\S]*\n    \}$/, `{\n      return 308 https://$host:${c.httpsPort}$request_uri;\n    }`)),
    ];
    out.push(
      [
        `  # ingress controller (http): ${host}`,
        "  server {",
        `    listen 127.0.0.1:${c.httpPort};`,
        `    server_name ${host};`,
        `    add_header X-Lab-Endpoint "ingress-http" always;`,
        ...locations,
        "  }",
      ].join("\n"),
    );
  }
  return out.join("\n\n");
}

function gitServer(g: GitServerBlock): string {
  return [
    "  # git smart HTTP (git http-backend through fcgiwrap), basic auth",
    "  server {",
    `    listen 127.0.0.1:${g.port} default_server;`,
    "    server_name _;",
    "    location / {",
    '      auth_basic "k8s-nas lab git";',
    `      auth_basic_user_file ${g.htpasswdFile};`,
    "      client_max_body_size 0;",
    "      fastcgi_buffering off;",
    "      fastcgi_read_timeout 300s;",
    `      fastcgi_pass ${g.fcgiAddress};`,
    "      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;",
    `      fastcgi_param GIT_PROJECT_ROOT ${g.projectRoot};`,
    '      fastcgi_param GIT_HTTP_EXPORT_ALL "";',
    "      fastcgi_param GIT_PROTOCOL $http_git_protocol;",
    "      fastcgi_param PATH_INFO $uri;",
    "      fastcgi_param REMOTE_USER $remote_user;",
    "      fastcgi_param REMOTE_ADDR $remote_addr;",
    "      fastcgi_param QUERY_STRING $query_string;",
    "      fastcgi_param REQUEST_METHOD $request_method;",
    "      fastcgi_param CONTENT_TYPE $content_type;",
    "      fastcgi_param CONTENT_LENGTH $content_length;",
    "      fastcgi_param SERVER_PROTOCOL $server_protocol;",
    "      fastcgi_param GATEWAY_INTERFACE CGI/1.1;",
    "    }",
    "  }",
  ].join("\n");
}

/**
 * A panel's HTTPS front, like ingress-nginx in front of the panel's Service: the client's address
 * appended to X-Forwarded-For (what ingress-nginx does with compute-full-forwarded-for; the panel takes
 * the right-most entry it does not trust), the scheme, host and port, buffering off for the
 * server-sent events, keep-alive connections to the panel.
 */
export function panelFrontServer(f: PanelFrontBlock): string {
  const upstream = `panel_${f.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  return [
    `  # panel front "${f.name}": https://127.0.0.1:${f.port} -> http://127.0.0.1:${f.upstreamPort}`,
    `  upstream ${upstream} {`,
    `    server 127.0.0.1:${f.upstreamPort};`,
    "    keepalive 32;",
    "  }",
    "  server {",
    `    listen 127.0.0.1:${f.port} ssl;`,
    "    server_name _;",
    `    ssl_certificate ${f.certFile};`,
    `    ssl_certificate_key ${f.keyFile};`,
    "    client_max_body_size 2m;",
    "    location / {",
    `      proxy_pass http://${upstream};`,
    `      proxy_bind ${PANEL_PROXY_ADDRESS};`,
    "      proxy_http_version 1.1;",
    '      proxy_set_header Connection "";',
    "      proxy_set_header Host $http_host;",
    "      proxy_set_header X-Real-IP $remote_addr;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto $scheme;",
    "      proxy_set_header X-Forwarded-Host $http_host;",
    "      proxy_set_header X-Forwarded-Port $server_port;",
    "      proxy_set_header X-Forwarded-Scheme $scheme;",
    "      proxy_buffering off;",
    // The sign-in answers carry several cookies (state, PKCE, nonce) and the CSP: more than nginx's
    // default 4k header buffer (ingress-nginx: the proxy-buffer-size annotation in deploy/ingress.yaml).
    "      proxy_buffer_size 16k;",
    "      proxy_buffers 4 16k;",
    "      proxy_read_timeout 3600s;",
    "    }",
    "  }",
  ].join("\n");
}

/** The complete nginx.conf of the lab. Refuses two endpoints on one port. */
export function renderNginxConfig(input: NginxConfigInput): string {
  const ports = [
    ...input.tlsCases.map((c) => c.port),
    input.plainPort,
    ...(input.controller !== undefined ? [input.controller.httpsPort, input.controller.httpPort] : []),
    ...(input.git !== undefined ? [input.git.port] : []),
    ...(input.panelFronts ?? []).map((f) => f.port),
  ];
  const twice = [...new Set(ports.filter((p, i) => ports.indexOf(p) !== i))];
  if (twice.length > 0) throw new Error(`nginx: two endpoints on port ${twice.join(", ")} (${ports.join(", ")})`);
  const dir = join(input.labDir, NAME);
  const tmp = join(dir, "tmp");
  const servers: string[] = [];
  for (const c of input.tlsCases) {
    servers.push(
      serverBlocks({
        listen: `127.0.0.1:${c.port}`,
        cert: c,
        defaultHost: c.host,
        hosts: input.hosts,
        routes: input.routes,
        addressMap: input.addressMap,
        label: `tls-${c.name}`,
      }),
    );
  }
  servers.push(
    serverBlocks({
      listen: `127.0.0.1:${input.plainPort}`,
      defaultHost: input.hosts[0] ?? "localhost",
      hosts: input.hosts,
      routes: input.routes,
      addressMap: input.addressMap,
      label: "plain-http",
      defaultLocations: [`    location = ${GENERATION_PATH} {\n      default_type text/plain;\n      return 200 "${GENERATION_PLACEHOLDER}";\n    }`],
    }),
  );
  if (input.controller !== undefined) servers.push(ingressControllerServers(input.controller, input.hosts, input.routes, input.addressMap));
  if (input.git !== undefined) servers.push(gitServer(input.git));
  for (const f of input.panelFronts ?? []) servers.push(panelFrontServer(f));
  const text = [
    "# Generated by the lab (lab/apps/nginx.ts); rewritten on every `lab up`.",
    ...(input.runAsRoot ? ["user root root;"] : []),
    "daemon off;",
    "worker_processes 1;",
    `pid ${join(input.labDir, "pids", `${NAME}.pid`)};`,
    "error_log stderr warn;",
    "events { worker_connections 512; }",
    "http {",
    `  access_log ${join(input.labDir, "logs", "nginx-access.log")};`,
    `  client_body_temp_path ${join(tmp, "body")};`,
    `  proxy_temp_path ${join(tmp, "proxy")};`,
    `  fastcgi_temp_path ${join(tmp, "fastcgi")};`,
    `  uwsgi_temp_path ${join(tmp, "uwsgi")};`,
    `  scgi_temp_path ${join(tmp, "scgi")};`,
    "  default_type application/octet-stream;",
    "  server_names_hash_bucket_size 128;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
    "",
    ...servers,
    "}",
    "",
  ].join("\n");
  return text.replace(GENERATION_PLACEHOLDER, createHash("sha256").update(text).digest("hex").slice(0, 12));
}

/** The panel fronts recorded in the state, ready to render. */
export function panelFrontsOf(state: AppsState): PanelFrontBlock[] {
  return Object.values(state.panelFronts ?? {}).filter((f) => state.ports[`panel.${f.name}`] !== undefined).map((f) => ({ ...f, port: state.ports[`panel.${f.name}`] as number }));
}

/**
 * Checks a new nginx.conf with `nginx -t` before it replaces the current one (which stays on
 * failure). Resolves with the configuration written.
 */
export async function writeCheckedConfig(configFile: string, input: NginxConfigInput): Promise<string> {
  const next = `${configFile}.next`;
  const text = renderNginxConfig(input);
  writeFileSync(next, text);
  try {
    await run("nginx", ["-t", "-q", "-p", join(input.labDir, NAME), "-e", "stderr", "-c", next]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`nginx: generated config is invalid: ${e.stderr ?? e.message}`);
  }
  renameSync(next, configFile);
  return text;
}

/** The generation of a configuration {@link renderNginxConfig} made. */
export function configGeneration(config: string): string {
  const m = new RegExp(`location = ${GENERATION_PATH} \\{[^}]*return 200 "([0-9a-f]+)";`).exec(config);
  if (m?.[1] === undefined) throw new Error("nginx: the configuration names no generation");
  return m[1];
}

/** The generation of the configuration the plain endpoint runs, or undefined when it does not answer. */
async function runningGeneration(plainPort: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${plainPort}${GENERATION_PATH}`, { signal: AbortSignal.timeout(2000), redirect: "manual" });
  const text = await res.text();
  return res.status === 200 && res.headers.get("x-lab-endpoint") === "plain-http" ? text : undefined;
}

/** Waits until nginx (`pid`) runs `config`: its plain endpoint answers that configuration's generation. */
export async function waitForConfig(labDir: string, pid: number, plainPort: number, config: string): Promise<void> {
  const want = configGeneration(config);
  await waitUntil("nginx running its new configuration", async () => (await runningGeneration(plainPort).catch(() => undefined)) === want, { timeoutMs: 15_000, pid, labDir, name: NAME });
}

/** Reloads the running nginx (SIGHUP) and waits until its workers run `config`. */
export async function reloadNginx(labDir: string, pid: number, plainPort: number, config: string): Promise<void> {
  process.kill(pid, "SIGHUP");
  await waitForConfig(labDir, pid, plainPort, config);
}

/** `apps.ingress`. */
export interface IngressInfo {
  hosts: string[];
  /** Plain-HTTP endpoint (no redirect to HTTPS). */
  plainUrl: string;
  plainPort: number;
  /** HTTPS endpoint with the valid certificate. */
  httpsUrl: string;
  /**
   * The ingress controller as ingress-nginx serves the Ingresses: each host with the certificate of
   * its Ingress's Secret in the cluster, and HSTS (`https`); plain HTTP redirected to it (`http`).
   */
  controller: { https: string; http: string; httpsPort: number; httpPort: number; servedDir: string };
  configFile: string;
  pid: number;
  routes: { host: string; path: string; service: string; upstream: string | null }[];
}

/**
 * Writes nginx.conf and starts nginx, or reloads the running lab nginx (SIGHUP) after `nginx -t`.
 * Ports for the four TLS cases, the plain endpoint and git are kept in the state.
 */
export async function startNginx(opts: {
  labDir: string;
  state: AppsState;
  log: (m: string) => void;
  hosts: string[];
  routes: IngressRoute[];
  addressMap: Record<string, string>;
  tlsCases: Omit<TlsCase, "port" | "url">[];
  git?: Omit<GitServerBlock, "port">;
}): Promise<{ ingress: IngressInfo; tls: TlsCase[]; gitPort: number | undefined }> {
  const { labDir, state, log } = opts;
  const dir = join(labDir, NAME);
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, "tmp", t), { recursive: true });
  mkdirSync(join(labDir, "pids"), { recursive: true });
  let pid = readPid(labDir, NAME);
  const alive = isAlive(pid, NAME);
  // Every endpoint on a port of its own: a stored port another endpoint already has is replaced.
  // The panel fronts keep theirs (panels were told their URLs).
  const taken = panelFrontsOf(state).map((f) => f.port);
  const port = async (key: string): Promise<number> => {
    const p = await choosePort(state.ports[key], alive, taken);
    state.ports[key] = p;
    taken.push(p);
    return p;
  };
  // git first: the forge already hands out clone URLs on its port.
  const gitPort = opts.git !== undefined ? await port("git") : undefined;
  const tls: TlsCase[] = [];
  for (const c of opts.tlsCases) {
    const p = await port(`ingress.${c.name}`);
    tls.push({ ...c, port: p, url: `https://127.0.0.1:${p}` });
  }
  const plainPort = await port("ingress.plain");
  const servedDir = join(labDir, NAME, "served");
  mkdirSync(servedDir, { recursive: true });
  const controller: IngressControllerBlock = { httpsPort: await port("ingress.controller-https"), httpPort: await port("ingress.controller-http"), servedDir };
  const configFile = join(dir, "nginx.conf");
  const runAsRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const input: NginxConfigInput = {
    labDir,
    hosts: opts.hosts,
    routes: opts.routes,
    addressMap: opts.addressMap,
    tlsCases: tls,
    plainPort,
    controller,
    git: opts.git !== undefined && gitPort !== undefined ? { ...opts.git, port: gitPort } : undefined,
    runAsRoot,
  };
  // Kept so `lab panel-front` can add a panel's front to the same configuration later.
  writeFileSync(join(dir, "render-input.json"), `${JSON.stringify(input, null, 2)}\n`);
  const config = await writeCheckedConfig(configFile, { ...input, panelFronts: panelFrontsOf(state) });
  if (alive && pid !== undefined && (await runningGeneration(plainPort).catch(() => undefined)) !== undefined) {
    await reloadNginx(labDir, pid, plainPort, config);
    log(`nginx: reloaded (pid ${pid})`);
  } else {
    if (alive && pid !== undefined) await stopPid(pid);
    log(`nginx: starting (plain http on ${plainPort}, tls on ${tls.map((t) => `${t.name}:${t.port}`).join(", ")})`);
    pid = spawnDaemon({ name: NAME, labDir, command: NAME, args: ["-p", dir, "-e", "stderr", "-c", configFile], ownPidfile: true });
    await waitForConfig(labDir, pid, plainPort, config);
  }
  pid = readPid(labDir, NAME) ?? pid;
  if (pid === undefined) throw new Error("nginx: no pid");
  const valid = tls.find((t) => t.name === "valid");
  return {
    tls,
    gitPort,
    ingress: {
      hosts: opts.hosts,
      plainUrl: `http://127.0.0.1:${plainPort}`,
      plainPort,
      httpsUrl: valid?.url ?? "",
      controller: { https: `https://127.0.0.1:${controller.httpsPort}`, http: `http://127.0.0.1:${controller.httpPort}`, ...controller },
      configFile,
      pid,
      routes: opts.routes.map((r) => ({
        host: r.host,
        path: r.path,
        service: `${r.service}.${r.namespace}`,
        upstream: upstreamOf(opts.addressMap, `${r.service}.${r.namespace}`) ?? null,
      })),
    },
  };
}
