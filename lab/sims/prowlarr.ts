/**
 * Prowlarr simulator: Prowlarr v2 serving API v1 (`../shared/specs/prowlarr-v1.openapi.json`).
 * Shared *arr behaviour (download clients, backups, commands, health) plus:
 * - `applications` (Sonarr, Radarr, Lidarr): the test posts an indexer definition to the target
 *   app's `POST /api/vN/indexer/test` with the given key, through the address map, and reads
 *   its `X-Application-Version` (Prowlarr's `SonarrV3Proxy.TestConnection` and siblings);
 * - `indexerproxy` (FlareSolverr): the test posts a `request.get` command to FlareSolverr's `/v1`.
 */
import type { JsonObject } from "./engine/spec";
import type { SimEnvironment } from "./engine/types";
import { OutboundError } from "./engine/types";
import { defineSim } from "./engine/sim-app";
import { type ArrState, type HealthItem, type ProviderBehaviour, createArrDefinition, providerOperations, refreshStatus } from "./arr/arr-sim";
import { notEmpty, providerFailure, ruleFailure, type ValidationFailureJson } from "./arr/failures";
import type { FieldSpec, ProviderRecord, ProviderTemplate } from "./arr/providers";

interface TargetApp {
  implementation: "Sonarr" | "Radarr" | "Lidarr" | "Readarr";
  apiRoute: string;
  defaultUrl: string;
  syncCategories: number[];
  animeSyncCategories?: number[];
  /** Settings fields after the API key (Readarr's advanced basic-auth login). */
  extraFields?: FieldSpec[];
  /** Version check of the app's proxy (undefined: none); null when the proxy reads no version. */
  minimumVersion: ((v: number[]) => string | undefined) | null;
  /**
   * How the app's proxy words a failed test when it differs from Sonarr's (`ReadarrV1Proxy`): the
   * HTTP status of the answer, or undefined when no answer came.
   */
  failure?(status: number | undefined): ValidationFailureJson;
}

const TARGETS: TargetApp[] = [
  {
    implementation: "Sonarr",
    apiRoute: "/api/v3",
    defaultUrl: "http://localhost:8989",
    syncCategories: [5000, 5010, 5020, 5030, 5040, 5045, 5050, 5090],
    animeSyncCategories: [5070],
    minimumVersion: (v) => (compare(v, [3, 0, 5, 0]) < 0 ? "3.0.5" : undefined),
  },
  {
    implementation: "Radarr",
    apiRoute: "/api/v3",
    defaultUrl: "http://localhost:7878",
    syncCategories: [2000, 2010, 2020, 2030, 2040, 2045, 2050, 2060, 2070, 2080, 2090],
    minimumVersion: (v) => ((v[0] ?? 0) === 3 ? (compare(v, [3, 1, 1, 0]) < 0 ? "3.1.1" : undefined) : compare(v, [4, 0, 4, 0]) < 0 ? "4.0.4" : undefined),
  },
  {
    implementation: "Lidarr",
    apiRoute: "/api/v1",
    defaultUrl: "http://localhost:8686",
    syncCategories: [3000, 3010, 3030, 3040, 3050, 3060],
    minimumVersion: (v) => (compare(v, [1, 0, 2, 0]) < 0 ? "1.0.2" : undefined),
  },
  {
    // Applications/Readarr/ReadarrSettings.cs and ReadarrV1Proxy.cs.
    implementation: "Readarr",
    apiRoute: "/api/v1",
    defaultUrl: "http://localhost:8787",
    syncCategories: [3030, 7000, 7010, 7020, 7030, 7040, 7050, 7060],
    extraFields: [
      { name: "authUsername", label: "ApplicationAuthUsername", type: "textbox", kind: "string", default: null, privacy: "userName", advanced: true, helpText: "ApplicationAuthUsernameHelpText" },
      { name: "authPassword", label: "ApplicationAuthPassword", type: "password", kind: "string", default: null, privacy: "password", advanced: true, helpText: "ApplicationAuthPasswordHelpText" },
    ],
    minimumVersion: null,
    failure: (status) => {
      if (status === undefined) return ruleFailure("", "Unable to send test message", undefined, "PredicateValidator");
      if (status === 401) return ruleFailure("ApiKey", "API Key is invalid", undefined, "PredicateValidator");
      if (status === 400) return ruleFailure("ProwlarrUrl", "Prowlarr url is invalid, Readarr cannot connect to Prowlarr", undefined, "PredicateValidator");
      if (status === 303) return ruleFailure("BaseUrl", "Readarr url is invalid, Prowlarr cannot connect to Readarr - are you missing a url base?", undefined, "PredicateValidator");
      return ruleFailure("BaseUrl", "Unable to complete application test", undefined, "PredicateValidator");
    },
  },
];

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function validUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

function applicationTemplate(t: TargetApp): ProviderTemplate {
  const name = t.implementation;
  const fields: FieldSpec[] = [
    {
      name: "prowlarrUrl",
      label: "Prowlarr Server",
      type: "textbox",
      kind: "string",
      default: "http://localhost:9696",
      helpText: `Prowlarr server URL as ${name} sees it, including http(s)://, port, and urlbase if needed`,
      placeholder: "http://localhost:9696",
    },
    {
      name: "baseUrl",
      label: `${name} Server`,
      type: "textbox",
      kind: "string",
      default: t.defaultUrl,
      helpText: `URL used to connect to ${name} server, including http(s)://, port, and urlbase if required`,
      placeholder: t.defaultUrl,
    },
    { name: "apiKey", label: "API Key", type: "textbox", kind: "string", default: null, privacy: "apiKey", helpText: `The ApiKey generated by ${name} in Settings/General` },
    ...(t.extraFields ?? []),
    { name: "syncCategories", label: "Sync Categories", type: "select", kind: "intArray", default: t.syncCategories, advanced: true },
  ];
  if (t.animeSyncCategories !== undefined) {
    fields.push(
      { name: "animeSyncCategories", label: "Anime Sync Categories", type: "select", kind: "intArray", default: t.animeSyncCategories, advanced: true },
      { name: "syncAnimeStandardFormatSearch", label: "Sync Anime Standard Format Search", type: "checkbox", kind: "bool", default: true, advanced: true },
    );
  }
  fields.push({
    name: "syncRejectBlocklistedTorrentHashesWhileGrabbing",
    label: "Reject Blocklisted Torrent Hashes While Grabbing",
    type: "checkbox",
    kind: "bool",
    default: false,
    advanced: true,
  });
  return {
    implementation: name,
    implementationName: name,
    configContract: `${name}Settings`,
    infoLink: `https://wiki.servarr.com/prowlarr/supported#${name.toLowerCase()}`,
    fields,
    extras: { syncLevel: "fullSync" },
    validate: (s) => {
      const out: ValidationFailureJson[] = [];
      if (!validUrl(s.baseUrl)) out.push(ruleFailure("BaseUrl", `Invalid Url: '${String(s.baseUrl ?? "")}'`, s.baseUrl ?? null, "UrlValidator"));
      if (!validUrl(s.prowlarrUrl)) out.push(ruleFailure("ProwlarrUrl", `Invalid Url: '${String(s.prowlarrUrl ?? "")}'`, s.prowlarrUrl ?? null, "UrlValidator"));
      const key = notEmpty("ApiKey", s.apiKey);
      if (key !== undefined) out.push(key);
      return out;
    },
  };
}

const FLARESOLVERR: ProviderTemplate = {
  implementation: "FlareSolverr",
  implementationName: "FlareSolverr",
  configContract: "FlareSolverrSettings",
  infoLink: "https://wiki.servarr.com/prowlarr/supported#flaresolverr",
  fields: [
    { name: "host", label: "Host", type: "textbox", kind: "string", default: "http://localhost:8191/" },
    { name: "requestTimeout", label: "Request Timeout", type: "textbox", kind: "int", default: 60, advanced: true, unit: "seconds", helpText: "FlareSolverr maxTimeout Request Parameter" },
  ],
  extras: {},
  validate: (s) => {
    const out: ValidationFailureJson[] = [];
    const host = notEmpty("Host", s.host);
    if (host !== undefined) out.push(host);
    const t = s.requestTimeout;
    if (typeof t !== "number" || t < 1 || t > 180) {
      out.push(ruleFailure("RequestTimeout", `'Request Timeout' must be between 1 and 180. You entered ${String(t)}.`, t, "InclusiveBetweenValidator"));
    }
    return out;
  },
};

/** The Newznab definition Prowlarr sends as its connection test (fields common to every *arr). */
function testIndexer(prowlarrUrl: string): JsonObject {
  return {
    name: "Test",
    enableRss: true,
    enableAutomaticSearch: true,
    enableInteractiveSearch: true,
    priority: 25,
    protocol: "usenet",
    implementation: "Newznab",
    implementationName: "Newznab",
    configContract: "NewznabSettings",
    tags: [],
    fields: [
      { name: "baseUrl", value: `${prowlarrUrl.replace(/\/$/, "")}/0/` },
      { name: "apiPath", value: "/api" },
      { name: "apiKey", value: "prowlarr-test" },
      { name: "categories", value: [] },
    ],
  };
}

async function testApplication(rec: ProviderRecord, target: TargetApp, env: SimEnvironment): Promise<ValidationFailureJson[]> {
  const s = rec.settings;
  const name = target.implementation;
  const base = String(s.baseUrl ?? "").replace(/\/+$/, "");
  let res;
  try {
    res = await env.fetch(`${base}${target.apiRoute}/indexer/test`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "x-api-key": String(s.apiKey ?? "") },
      body: JSON.stringify(testIndexer(String(s.prowlarrUrl ?? ""))),
      timeoutMs: 15_000,
    });
  } catch (err) {
    if (target.failure) return [target.failure(undefined)];
    const msg = err instanceof OutboundError || err instanceof Error ? err.message : String(err);
    return [ruleFailure("BaseUrl", `Unable to complete application test, cannot connect to ${name}. ${msg}`, undefined, "PredicateValidator")];
  }
  if (res.status >= 300 && target.failure) return [target.failure(res.status)];
  if (res.status >= 300) {
    switch (res.status) {
      case 401:
        return [ruleFailure("ApiKey", "API Key is invalid", undefined, "PredicateValidator")];
      case 400:
        return [ruleFailure("ProwlarrUrl", `Prowlarr URL is invalid, ${name} cannot connect to Prowlarr`, undefined, "PredicateValidator")];
      case 303:
      case 307:
        return [ruleFailure("BaseUrl", `${name} URL is invalid, Prowlarr cannot connect to ${name} - are you missing a URL base?`, undefined, "PredicateValidator")];
      case 404:
        return [
          ruleFailure("BaseUrl", `${name} URL is invalid, Prowlarr cannot connect to ${name}. Is ${name} running and accessible? ${name} v2 is not supported.`, undefined, "PredicateValidator"),
        ];
      default:
        return [ruleFailure("BaseUrl", `Unable to complete application test, cannot connect to ${name}. HTTP ${res.status}`, undefined, "PredicateValidator")];
    }
  }
  if (target.minimumVersion === null) return [];
  const version = res.headers.get("x-application-version");
  if (version === null) return [ruleFailure("", `Failed to fetch ${name} version`, undefined, "PredicateValidator")];
  const parts = version.split(".").map((p) => Number.parseInt(p, 10));
  if (parts.some((p) => Number.isNaN(p))) {
    return [ruleFailure("BaseUrl", `Unable to complete application test, cannot connect to ${name}. Version string '${version}' was not recognized`, undefined, "PredicateValidator")];
  }
  const min = target.minimumVersion(parts);
  if (min !== undefined) {
    return [ruleFailure("", `${name} version should be at least ${min}. Version reported is ${version}`, version, "PredicateValidator")];
  }
  return [];
}

/** Health probe: the status call Prowlarr's sync makes (`GET {baseUrl}/api/vN/system/status`). */
async function checkApplication(rec: ProviderRecord, target: TargetApp, env: SimEnvironment): Promise<void> {
  const base = String(rec.settings.baseUrl ?? "").replace(/\/+$/, "");
  const res = await env.fetch(`${base}${target.apiRoute}/system/status`, {
    headers: { accept: "application/json", "x-api-key": String(rec.settings.apiKey ?? "") },
    timeoutMs: 10_000,
  });
  if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
  JSON.parse(res.text);
}

async function testFlareSolverr(rec: ProviderRecord, env: SimEnvironment): Promise<ValidationFailureJson[]> {
  const host = String(rec.settings.host ?? "").replace(/\/+$/, "");
  const timeout = typeof rec.settings.requestTimeout === "number" ? rec.settings.requestTimeout : 60;
  try {
    const res = await env.fetch(`${host}/v1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cmd: "request.get", url: "https://prowlarr.servarr.com/v1/ping", maxTimeout: timeout * 1000 }),
      timeoutMs: timeout * 1000 + 5_000,
    });
    const failures: ValidationFailureJson[] = [];
    if (res.status !== 200) failures.push(providerFailure("Host", `Failed to test proxy. Status code: ${res.status}`));
    JSON.parse(res.text);
    return failures;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return [providerFailure("Host", `Unable to connect to proxy: ${msg}. Check the log surrounding this error for details`)];
  }
}

const appBehaviour = (impl: string): ProviderBehaviour | undefined => {
  const target = TARGETS.find((t) => t.implementation === impl);
  if (target === undefined) return undefined;
  return {
    test: (rec, _state, env) => testApplication(rec, target, env),
    check: (rec, _state, env) => checkApplication(rec, target, env),
  };
};

const proxyBehaviour = (impl: string): ProviderBehaviour | undefined =>
  impl === "FlareSolverr"
    ? {
        test: (rec, _state, env) => testFlareSolverr(rec, env),
        check: async (rec, _state, env) => {
          const f = await testFlareSolverr(rec, env);
          if (f.length > 0) throw new Error(f[0]?.errorMessage ?? "proxy failure");
        },
      }
    : undefined;

async function prowlarrHealth(state: ArrState, env: SimEnvironment): Promise<HealthItem[]> {
  const items: HealthItem[] = [];
  const apps = await refreshStatus(state.applications, state, env, appBehaviour);
  const failedApps = apps.filter((a) => !a.ok);
  if (failedApps.length > 0 && failedApps.length === apps.length) {
    items.push({ source: "ApplicationStatusCheck", type: "error", message: "All applications are unavailable due to failures", wikiFragment: "#applications-are-unavailable-due-to-failures" });
  } else if (failedApps.length > 0) {
    items.push({
      source: "ApplicationStatusCheck",
      type: "warning",
      message: `Applications unavailable due to failures: ${failedApps.map((a) => a.rec.name).join(", ")}`,
      wikiFragment: "#applications-are-unavailable-due-to-failures",
    });
  }
  const proxies = await refreshStatus(state.indexerProxies, state, env, proxyBehaviour);
  const failedProxies = proxies.filter((p) => !p.ok);
  if (failedProxies.length > 0 && failedProxies.length === proxies.length) {
    items.push({ source: "IndexerProxyStatusCheck", type: "error", message: "All indexer proxies are unavailable due to failures", wikiFragment: "#indexer-proxies-are-unavailable-due-to-failures" });
  } else if (failedProxies.length > 0) {
    items.push({
      source: "IndexerProxyStatusCheck",
      type: "warning",
      message: `Indexer proxies unavailable due to failures: ${failedProxies.map((p) => p.rec.name).join(", ")}`,
      wikiFragment: "#indexer-proxies-are-unavailable-due-to-failures",
    });
  }
  return items;
}

export const prowlarrSim = defineSim(
  (() => {
    const def = createArrDefinition({
      kind: "prowlarr",
      title: "Prowlarr",
      specFile: "prowlarr-v1.openapi.json",
      apiVersion: "v1",
      defaultVersion: "2.3.5.0",
      port: 9696,
      sslPort: 6969,
      migrationVersion: 44,
      names: {
        appName: "Prowlarr",
        wiki: "prowlarr",
        category: "category",
        priorities: ["priority"],
        qbittorrentCategory: "prowlarr",
        sabnzbdCategory: "prowlarr",
      },
      media: false,
      commandWithoutResult: true,
      qualityProfiles: () => [],
      rootFolderResource: () => ({}),
      downloadClientExtras: { categories: [], supportsCategories: true },
      extraHealth: prowlarrHealth,
      extraOperations: (api) => [
        ...providerOperations({
          base: `${api}/applications`,
          definitionName: "ApplicationDefinition",
          pick: (s) => s.applications,
          behaviour: appBehaviour,
        }),
        ...providerOperations({
          base: `${api}/indexerproxy`,
          definitionName: "IndexerProxyDefinition",
          pick: (s) => s.indexerProxies,
          behaviour: proxyBehaviour,
        }),
      ],
    });
    const createState = def.createState;
    return {
      ...def,
      createState: (settings) => {
        const s = createState(settings);
        s.applications.templates = TARGETS.map(applicationTemplate);
        s.indexerProxies.templates = [FLARESOLVERR];
        // Prowlarr's download clients have no removeCompleted/removeFailed options.
        s.downloadClients.templates = s.downloadClients.templates.map((t) => {
          const extras = { ...t.extras };
          delete extras.removeCompletedDownloads;
          delete extras.removeFailedDownloads;
          return { ...t, extras };
        });
        return s;
      },
    };
  })(),
);
