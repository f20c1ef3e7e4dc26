/**
 * Download-client providers of the *arr simulators: qBittorrent and SABnzbd templates, their
 * settings validators, the connection `test` and the periodic "can I reach it" check behind the
 * health message. Both do real HTTP: qBittorrent tests log in to the real qBittorrent
 * (`POST /api/v2/auth/login`, `Ok.` / `Fails.`), SABnzbd tests call the SABnzbd simulator.
 * The flow and wording follow Sonarr's `QBittorrent.cs`, `QBittorrentProxyV2.cs`, `Sabnzbd.cs`
 * and `SabnzbdProxy.cs` (Radarr and Lidarr share them).
 */
import type { SimEnvironment } from "../engine/types";
import { OutboundError } from "../engine/types";
import { providerFailure, ruleFailure, notEmpty, type ValidationFailureJson } from "./failures";
import type { FieldSpec, ProviderTemplate } from "./providers";

/** Names that differ between the *arr apps. */
export interface MediaNames {
  /** `Sonarr` */
  appName: string;
  /** Wiki and info-link segment: `sonarr`. */
  wiki: string;
  /** Category field: `tvCategory`, `movieCategory`, `musicCategory`, `category`. */
  category: string;
  /** Post-import category field, when the app has one. */
  importedCategory?: string;
  /** Priority fields (`recentTvPriority`, `olderTvPriority`); Prowlarr has one `priority`. */
  priorities: string[];
  qbittorrentCategory: string;
  sabnzbdCategory: string;
}

const QBIT_PRIORITY = [
  { value: 0, name: "Last", order: 0 },
  { value: 1, name: "First", order: 1 },
];
const QBIT_STATE = [
  { value: 0, name: "Started", order: 0 },
  { value: 1, name: "Force Started", order: 1 },
  { value: 2, name: "Stopped", order: 2 },
];
const QBIT_LAYOUT = [
  { value: 0, name: "Default", order: 0 },
  { value: 1, name: "Original", order: 1 },
  { value: 2, name: "Subfolder", order: 2 },
];
const SAB_PRIORITY = [
  { value: -100, name: "Default", order: -100 },
  { value: -2, name: "Paused", order: -2 },
  { value: -1, name: "Low", order: -1 },
  { value: 0, name: "Normal", order: 0 },
  { value: 1, name: "High", order: 1 },
  { value: 2, name: "Force", order: 2 },
];

const HOST_RE = /^[-_a-z0-9.]+$/i;

function connectionFields(defaultPort: number, clientName: string): FieldSpec[] {
  return [
    { name: "host", label: "Host", type: "textbox", kind: "string", default: "localhost" },
    { name: "port", label: "Port", type: "textbox", kind: "int", default: defaultPort },
    { name: "useSsl", label: "Use SSL", type: "checkbox", kind: "bool", default: false, helpText: `Use secure connection when connection to ${clientName}` },
    {
      name: "urlBase",
      label: "URL Base",
      type: "textbox",
      kind: "string",
      default: null,
      advanced: true,
      helpText: `Adds a prefix to the ${clientName} url, such as http://[host]:[port]/[urlBase]/api`,
    },
  ];
}

function hostRules(s: Record<string, unknown>, appName: string): ValidationFailureJson[] {
  const out: ValidationFailureJson[] = [];
  const host = s.host;
  const empty = notEmpty("Host", host);
  if (empty !== undefined) out.push(empty);
  else if (typeof host === "string" && !HOST_RE.test(host)) {
    out.push(ruleFailure("Host", "must be valid Host without http://", host, "PredicateValidator"));
  }
  const port = s.port;
  if (typeof port !== "number" || port < 1 || port > 65535) {
    out.push(ruleFailure("Port", `'Port' must be between 1 and 65535. You entered ${String(port)}.`, port, "InclusiveBetweenValidator"));
  }
  const urlBase = s.urlBase;
  if (typeof urlBase === "string" && urlBase.trim() !== "" && /^\/?https?:\/\/[-_a-z0-9.]+/i.test(urlBase)) {
    out.push(ruleFailure("UrlBase", `Must be a valid URL path (ie: '/${appName.toLowerCase()}')`, urlBase, "RegularExpressionValidator"));
  }
  return out;
}

/** qBittorrent provider template for one app. */
export function qbittorrentTemplate(n: MediaNames): ProviderTemplate {
  const fields: FieldSpec[] = [
    ...connectionFields(8080, "qBittorrent"),
    { name: "apiKey", label: "API Key", type: "textbox", kind: "string", default: null, privacy: "apiKey" },
    { name: "username", label: "Username", type: "textbox", kind: "string", default: null, privacy: "userName" },
    { name: "password", label: "Password", type: "password", kind: "string", default: null, privacy: "password" },
    {
      name: n.category,
      label: "Category",
      type: "textbox",
      kind: "string",
      default: n.qbittorrentCategory,
      helpText: `Adding a category specific to ${n.appName} avoids conflicts with unrelated non-${n.appName} downloads. Using a category is optional, but strongly recommended.`,
    },
  ];
  if (n.importedCategory !== undefined) {
    fields.push({ name: n.importedCategory, label: "Post-Import Category", type: "textbox", kind: "string", default: null, advanced: true });
  }
  n.priorities.forEach((p, i) =>
    fields.push({ name: p, label: i === 0 ? (n.priorities.length > 1 ? "Recent Priority" : "Priority") : "Older Priority", type: "select", kind: "int", default: 0, selectOptions: QBIT_PRIORITY }),
  );
  fields.push(
    { name: "initialState", label: "Initial State", type: "select", kind: "int", default: 0, selectOptions: QBIT_STATE },
    { name: "sequentialOrder", label: "Sequential Order", type: "checkbox", kind: "bool", default: false },
    { name: "firstAndLast", label: "First and Last First", type: "checkbox", kind: "bool", default: false },
    { name: "contentLayout", label: "Content Layout", type: "select", kind: "int", default: 0, selectOptions: QBIT_LAYOUT },
  );
  return {
    implementation: "QBittorrent",
    implementationName: "qBittorrent",
    configContract: "QBittorrentSettings",
    infoLink: `https://wiki.servarr.com/${n.wiki}/supported#qbittorrent`,
    fields,
    extras: { enable: true, protocol: "torrent", priority: 1, removeCompletedDownloads: true, removeFailedDownloads: true },
    fixedExtras: ["protocol", "supportsCategories"],
    validate: (s) => {
      const out = hostRules(s, n.appName);
      const hasKey = typeof s.apiKey === "string" && s.apiKey.trim() !== "";
      if (hasKey && typeof s.username === "string" && s.username !== "") {
        out.push(ruleFailure("Username", "Username must be empty when using API Key.", s.username, "EmptyValidator"));
      }
      if (hasKey && typeof s.password === "string" && s.password !== "") {
        out.push(ruleFailure("Password", "Password must be empty when using API Key.", s.password, "EmptyValidator"));
      }
      const cat = s[n.category];
      if (typeof cat === "string" && !/^([^\\/](\/?[^\\/])*)?$/.test(cat)) {
        out.push(ruleFailure(n.category.charAt(0).toUpperCase() + n.category.slice(1), "Can not contain '\\', '//', or start/end with '/'", cat, "RegularExpressionValidator"));
      }
      return out;
    },
  };
}

/** SABnzbd provider template for one app. */
export function sabnzbdTemplate(n: MediaNames): ProviderTemplate {
  const fields: FieldSpec[] = [
    ...connectionFields(8080, "Sabnzbd"),
    { name: "apiKey", label: "API Key", type: "textbox", kind: "string", default: null, privacy: "apiKey" },
    { name: "username", label: "Username", type: "textbox", kind: "string", default: null, privacy: "userName" },
    { name: "password", label: "Password", type: "password", kind: "string", default: null, privacy: "password" },
    { name: n.category, label: "Category", type: "textbox", kind: "string", default: n.sabnzbdCategory },
  ];
  n.priorities.forEach((p, i) =>
    fields.push({ name: p, label: i === 0 ? (n.priorities.length > 1 ? "Recent Priority" : "Priority") : "Older Priority", type: "select", kind: "int", default: -100, selectOptions: SAB_PRIORITY }),
  );
  const catProp = n.category.charAt(0).toUpperCase() + n.category.slice(1);
  return {
    implementation: "Sabnzbd",
    implementationName: "SABnzbd",
    configContract: "SabnzbdSettings",
    infoLink: `https://wiki.servarr.com/${n.wiki}/supported#sabnzbd`,
    fields,
    extras: { enable: true, protocol: "usenet", priority: 1, removeCompletedDownloads: true, removeFailedDownloads: true },
    fixedExtras: ["protocol", "supportsCategories"],
    validate: (s) => {
      const out = hostRules(s, n.appName);
      const key = typeof s.apiKey === "string" ? s.apiKey.trim() : "";
      const user = typeof s.username === "string" ? s.username.trim() : "";
      const pass = typeof s.password === "string" ? s.password.trim() : "";
      if (key === "" && user === "") out.push(ruleFailure("ApiKey", "API Key is required when username/password are not configured", s.apiKey ?? null, "NotEmptyValidator"));
      if (key === "" && user === "") out.push(ruleFailure("Username", "Username is required when API key is not configured", s.username ?? null, "NotEmptyValidator"));
      if (key === "" && pass === "") out.push(ruleFailure("Password", "Password is required when API key is not configured", s.password ?? null, "NotEmptyValidator"));
      const cat = s[n.category];
      if (cat === null || cat === undefined || (typeof cat === "string" && cat.trim() === "")) {
        out.push({ ...providerFailure(catProp, "A category is recommended", { warning: true }), attemptedValue: cat ?? null });
      }
      return out;
    },
  };
}

function baseUrl(s: Record<string, unknown>, suffix: string): string {
  const scheme = s.useSsl === true ? "https" : "http";
  const ub = typeof s.urlBase === "string" && s.urlBase.trim() !== "" ? `/${s.urlBase.trim().replace(/^\/+|\/+$/g, "")}` : "";
  return `${scheme}://${String(s.host)}:${String(s.port)}${ub}${suffix}`;
}

/** Login cookies per client, like Sonarr's `_authCookieCache`. */
export type CookieCache = Map<string, string>;

class ClientError extends Error {
  constructor(
    message: string,
    readonly kind: "auth" | "connect" | "unavailable" | "other",
    readonly detail?: string,
  ) {
    super(message);
  }
}

function sidFrom(headers: Headers): string | undefined {
  const raw = headers.get("set-cookie") ?? "";
  const m = /(?:^|[,;]\s*)SID=([^;,\s]+)/.exec(raw);
  return m?.[1];
}

async function qbitRequest(
  env: SimEnvironment,
  s: Record<string, unknown>,
  path: string,
  cookies: CookieCache,
  init: { method?: string; form?: Record<string, string> } = {},
  retried = false,
): Promise<{ status: number; text: string }> {
  const key = `${baseUrl(s, "")}:${String(s.username)}:${String(s.password)}`;
  let sid = cookies.get(key);
  const hasCreds = typeof s.username === "string" && s.username !== "" && typeof s.password === "string" && s.password !== "";
  if (sid === undefined && hasCreds) {
    let res;
    try {
      res = await env.fetch(baseUrl(s, "/api/v2/auth/login"), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: String(s.username), password: String(s.password) }).toString(),
        timeoutMs: 10_000,
      });
    } catch (err) {
      throw new ClientError("Failed to connect to qBittorrent, please check your settings.", "unavailable", err instanceof Error ? err.message : String(err));
    }
    if (res.status === 401 || res.status === 403) throw new ClientError("Failed to authenticate with qBittorrent.", "auth", res.text.trim());
    if (res.status >= 400) throw new ClientError("Failed to connect to qBittorrent, please check your settings.", "connect", `HTTP ${res.status}`);
    if (res.text.trim() !== "" && res.text.trim() !== "Ok.") throw new ClientError("Failed to authenticate with qBittorrent.", "auth");
    sid = sidFrom(res.headers) ?? "";
    cookies.set(key, sid);
  }
  const headers: Record<string, string> = {};
  if (sid !== undefined && sid !== "") headers.cookie = `SID=${sid}`;
  let body: string | undefined;
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  }
  let res;
  try {
    res = await env.fetch(baseUrl(s, path), { method: init.method ?? "GET", headers, body, timeoutMs: 10_000 });
  } catch (err) {
    throw new ClientError("Failed to connect to qBittorrent, please check your settings.", "unavailable", err instanceof Error ? err.message : String(err));
  }
  if (res.status === 403) {
    cookies.delete(key);
    if (!retried && hasCreds) return qbitRequest(env, s, path, cookies, init, true);
    throw new ClientError("Failed to authenticate with qBittorrent.", "auth");
  }
  if (res.status >= 400) throw new ClientError(`qBittorrent returned HTTP ${res.status} for ${path}`, "other");
  return { status: res.status, text: res.text };
}

/** `POST .../downloadclient/test` for qBittorrent (Sonarr's `QBittorrent.Test`). */
export async function testQbittorrent(
  s: Record<string, unknown>,
  n: MediaNames,
  env: SimEnvironment,
  cookies: CookieCache,
): Promise<ValidationFailureJson[]> {
  // IsApiSupported: unauthenticated probe of the Web API (403 = v2 API present).
  try {
    const probe = await env.fetch(baseUrl(s, "/api/v2/app/webapiVersion"), { timeoutMs: 10_000 });
    if (probe.status === 401) {
      return [providerFailure("Host", "Unable to connect to qBittorrent", { detail: "Failed to connect to qBittorrent. Check your settings and qBittorrent configuration." })];
    }
    if (probe.status === 404) {
      return [providerFailure("Host", "Unable to connect to qBittorrent", { detail: "Failed to connect to qBittorrent, check your settings." })];
    }
  } catch (err) {
    if (err instanceof OutboundError && (err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" || err.code === "ETIMEDOUT")) {
      return [providerFailure("Host", "Unable to connect to qBittorrent", { detail: "Please verify the hostname and port." })];
    }
    return [providerFailure("", `Unknown exception: ${err instanceof Error ? err.message : String(err)}`)];
  }

  const failures: ValidationFailureJson[] = [];
  const category = typeof s[n.category] === "string" ? (s[n.category] as string) : "";
  try {
    const version = await qbitRequest(env, s, "/api/v2/app/webapiVersion", cookies);
    if (!/^\d+\.\d+/.test(version.text.trim())) {
      return [providerFailure("Host", "Unable to connect to qBittorrent", { detail: `Unexpected version answer: ${version.text.slice(0, 80)}` })];
    }
    if (category.trim() === "") {
      return [
        providerFailure(n.category.charAt(0).toUpperCase() + n.category.slice(1), "Category is recommended", {
          warning: true,
          detail: `${n.appName} will not attempt to import completed downloads without a category.`,
        }),
      ];
    }
    const prefs = JSON.parse((await qbitRequest(env, s, "/api/v2/app/preferences", cookies)).text) as Record<string, unknown>;
    if (prefs.max_ratio_enabled === true && prefs.max_ratio_act === 1) {
      return [
        providerFailure("", "qBittorrent is configured to remove torrents when they reach their Share Ratio Limit", {
          detail: `${n.appName} will be unable to perform Completed Download Handling as configured. You can fix this in qBittorrent ('Tools -> Options...' in the menu) by changing 'Options -> BitTorrent -> Share Ratio Limiting' from 'Remove them' to 'Pause them'`,
        }),
      ];
    }
  } catch (err) {
    if (err instanceof ClientError && err.kind === "auth") {
      const prop = typeof s.apiKey === "string" && s.apiKey.trim() !== "" ? "ApiKey" : "Username";
      return [
        providerFailure(prop, "Authentication Failure", {
          detail: `Please verify your credentials. Also verify if the host running ${n.appName} isn't blocked from accessing qBittorrent by WhiteList limitations in the qBittorrent configuration.`,
        }),
      ];
    }
    const detail = err instanceof ClientError ? (err.detail ?? err.message) : err instanceof Error ? err.message : String(err);
    return [providerFailure("Host", "Unable to connect to qBittorrent", { detail })];
  }

  // TestCategory: create the category when it is missing, as Sonarr does.
  try {
    const cats = JSON.parse((await qbitRequest(env, s, "/api/v2/torrents/categories", cookies)).text) as Record<string, unknown>;
    if (!(category in cats)) {
      await qbitRequest(env, s, "/api/v2/torrents/createCategory", cookies, { method: "POST", form: { category, savePath: "" } });
      const again = JSON.parse((await qbitRequest(env, s, "/api/v2/torrents/categories", cookies)).text) as Record<string, unknown>;
      if (!(category in again)) {
        failures.push(
          providerFailure(n.category.charAt(0).toUpperCase() + n.category.slice(1), "Configuration of category failed", {
            detail: `${n.appName} was unable to add the label to qBittorrent.`,
          }),
        );
      }
    }
  } catch (err) {
    failures.push(providerFailure("", `Configuration of category failed: ${err instanceof Error ? err.message : String(err)}`));
  }
  // TestGetTorrents.
  try {
    await qbitRequest(env, s, `/api/v2/torrents/info?category=${encodeURIComponent(category)}`, cookies);
  } catch (err) {
    failures.push(providerFailure("", `Failed to get the list of torrents: ${err instanceof Error ? err.message : String(err)}`));
  }
  return failures;
}

/** Health probe (`GetItems`): throws with the message the health check shows. */
export async function checkQbittorrent(s: Record<string, unknown>, n: MediaNames, env: SimEnvironment, cookies: CookieCache): Promise<void> {
  const category = typeof s[n.category] === "string" ? (s[n.category] as string) : "";
  try {
    await qbitRequest(env, s, `/api/v2/torrents/info?category=${encodeURIComponent(category)}`, cookies);
  } catch (err) {
    throw new Error(err instanceof Error ? err.message : String(err));
  }
}

async function sabCall(env: SimEnvironment, s: Record<string, unknown>, mode: string): Promise<Record<string, unknown>> {
  const q = new URLSearchParams({ mode });
  if (typeof s.apiKey === "string" && s.apiKey.trim() !== "") q.set("apikey", s.apiKey);
  else {
    q.set("ma_username", String(s.username ?? ""));
    q.set("ma_password", String(s.password ?? ""));
  }
  q.set("output", "json");
  let res;
  try {
    res = await env.fetch(`${baseUrl(s, "/api")}?${q.toString()}`, { timeoutMs: 10_000 });
  } catch (err) {
    throw new ClientError(`Unable to connect to SABnzbd, ${err instanceof Error ? err.message : String(err)}`, "unavailable");
  }
  // SABnzbd answers a missing or wrong key with 403 and the reason as plain text.
  if (res.status >= 400) throw new ClientError(`Unable to connect to SABnzbd, HTTP request failed: [${res.status}] ${res.text.trim().slice(0, 200)}`, "connect");
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    if (res.text.toLowerCase().startsWith("error")) {
      throw new ClientError(`Error response received from SABnzbd: ${res.text.replace("error: ", "").trim()}`, "other");
    }
    throw new ClientError(`Unable to parse the answer of SABnzbd: ${res.text.slice(0, 80)}`, "other");
  }
  const obj = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  if (obj.status === false || obj.status === "false") {
    throw new ClientError(`Error response received from SABnzbd: ${String(obj.error ?? "")}`, "other");
  }
  return obj;
}

/** `POST .../downloadclient/test` for SABnzbd (Sonarr's `Sabnzbd.Test`). */
export async function testSabnzbd(s: Record<string, unknown>, n: MediaNames, env: SimEnvironment): Promise<ValidationFailureJson[]> {
  const catProp = n.category.charAt(0).toUpperCase() + n.category.slice(1);
  try {
    const v = await sabCall(env, s, "version");
    const raw = typeof v.version === "string" ? v.version : "";
    if (!/^\d+\.\d+\.[\dx]+/.test(raw) && raw.toLowerCase() !== "develop") {
      return [ruleFailure("Version", `Unknown Version: ${raw}`, raw, "PredicateValidator")];
    }
  } catch (err) {
    return [providerFailure("Host", "Unable to connect to SABnzbd", { detail: err instanceof Error ? err.message : String(err) })];
  }
  let config: Record<string, unknown>;
  try {
    config = await sabCall(env, s, "get_config");
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/API Key Incorrect/i.test(msg)) return [ruleFailure("APIKey", "API Key Incorrect", undefined, "PredicateValidator")];
    if (/API Key Required/i.test(msg)) return [ruleFailure("APIKey", "API Key Required", undefined, "PredicateValidator")];
    return [providerFailure("Host", "Unable to connect to SABnzbd", { detail: msg })];
  }
  const category = typeof s[n.category] === "string" ? (s[n.category] as string) : "";
  const cfg = typeof config.config === "object" && config.config !== null ? (config.config as Record<string, unknown>) : {};
  const cats = Array.isArray(cfg.categories) ? (cfg.categories as Record<string, unknown>[]) : [];
  const found = cats.find((c) => c.name === category);
  if (found === undefined && category.trim() !== "") {
    return [
      providerFailure(catProp, "Category does not exist", {
        detail: "The category you entered doesn't exist in SABnzbd. Create it in SABnzbd first.",
      }),
    ];
  }
  if (found !== undefined && typeof found.dir === "string" && found.dir.endsWith("*")) {
    return [
      providerFailure(catProp, "Enable Job folders", {
        detail: `${n.appName} prefers each download to have a separate folder. With * appended to the Folder/Path SABnzbd will not create these job folders. Go to SABnzbd to fix it.`,
      }),
    ];
  }
  return [];
}

/** Health probe for SABnzbd (`GetItems`: queue and history). */
export async function checkSabnzbd(s: Record<string, unknown>, env: SimEnvironment): Promise<void> {
  try {
    await sabCall(env, s, "queue");
  } catch (err) {
    throw new Error(err instanceof Error ? err.message : String(err));
  }
}
