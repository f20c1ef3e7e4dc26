/**
 * The shared *arr simulator (Sonarr v3 API, Radarr v3, Lidarr v1, Prowlarr v1 all come from
 * the same Servarr code base): a definition builder that each app file configures with its
 * names, version, spec file and extra operations.
 *
 * State: download clients, root folders, quality profiles, tags, commands, host settings (Prowlarr:
 * applications and indexer proxies too), kept in the app's files on its `/config` volume
 * (`config.xml` and a SQLite database, see `./files.ts`); backups are real archives there (see
 * `./backups.ts`). Health is computed from that state the way the apps' health checks word it,
 * plus messages pushed through the control endpoint.
 */
import { readFileSync, rmSync } from "node:fs";
import type { HttpMethod, JsonObject, SpecSource } from "../engine/spec";
import { isObject } from "../engine/spec";
import type { HealthMessage, InstanceSettings, OpContext, OperationDef, SimAppHandle, SimDefinition, SimEnvironment, SimRequest, SimResponse } from "../engine/types";
import { checkUpload, createBackup, listBackups, restoreArchive, type BackupFile } from "./backups";
import {
  checkQbittorrent,
  checkSabnzbd,
  type CookieCache,
  type MediaNames,
  qbittorrentTemplate,
  sabnzbdTemplate,
  testQbittorrent,
  testSabnzbd,
} from "./download-clients";
import { errorModel, failuresResponse, notEmpty, problemDetails, ruleFailure, type ValidationFailureJson } from "./failures";
import { arrStorage, defaultBranch, startScheduler, stopScheduler, type ArrFiles, type ArrUser, type ScheduledTask } from "./files";
import { multipartBoundary, parseMultipart } from "../engine/multipart";
import { hostConfigHandlers, type HostConfigDialect } from "./host-config";
import { type ProviderRecord, type ProviderTemplate, readSettings, toResource, toSchema } from "./providers";

/** A provider collection (download clients, applications, indexer proxies). */
export interface ProviderStore {
  items: Map<number, ProviderRecord>;
  nextId: number;
  templates: ProviderTemplate[];
  /** Last connectivity check per id (health). */
  status: Map<number, { ok: boolean; message: string; at: number }>;
}

export interface RootFolderRecord {
  id: number;
  path: string;
  /** What the app stores with a root folder besides its path (Lidarr's name and default profiles). */
  fields?: JsonObject;
}

export interface CommandRecord {
  id: number;
  name: string;
  queued: string;
  started: string;
  ended: string;
  status: "queued" | "started" | "completed" | "failed";
  result: "unknown" | "successful" | "unsuccessful";
  message: string;
}

/** State of one *arr simulator instance. */
export interface ArrState {
  settings: InstanceSettings;
  startTime: string;
  downloadClients: ProviderStore;
  applications: ProviderStore;
  indexerProxies: ProviderStore;
  rootFolders: RootFolderRecord[];
  nextRootFolderId: number;
  qualityProfiles: JsonObject[];
  metadataProfiles: JsonObject[];
  tags: { id: number; label: string }[];
  commands: CommandRecord[];
  nextCommandId: number;
  /** config.xml, in file order (`ConfigFileProvider`). */
  configXml: Map<string, string>;
  /** The database's `Config` table: settings changed from their defaults (`ConfigService`). */
  configTable: Record<string, string>;
  /** Forms-authentication users (`Users`). */
  users: ArrUser[];
  scheduledTasks: ScheduledTask[];
  /** How often the scheduler writes to the database. */
  schedulerIntervalMs: number;
  /** Open files while the app runs with a volume. */
  files?: ArrFiles;
  /** The database was created at this start (first start on an empty volume). */
  freshInstall: boolean;
  /** Directories that exist on the simulated disk. */
  directories: Set<string>;
  /** qBittorrent login cookies. */
  cookies: CookieCache;
  /** Seconds a connectivity check result stays fresh. */
  healthTtlMs: number;
}

/** What differs between the *arr apps. */
export interface ArrFlavor {
  kind: string;
  title: string;
  /** The app's published description under `../shared/specs`... */
  specFile?: string;
  /** ...or an OpenAPI document written in this repository from it (when the file cannot be carried). */
  specDocument?: JsonObject;
  /** Operations the app serves that its published description leaves out (`SpecSource.extensions`). */
  specExtensions?: SpecSource["extensions"];
  /** Default HTTP and HTTPS ports (config.xml `Port`, `SslPort`). */
  port: number;
  sslPort: number;
  /** Latest database migration (`VersionInfo`). */
  migrationVersion: number;
  /** `v3` or `v1`. */
  apiVersion: string;
  defaultVersion: string;
  names: MediaNames;
  /** Example URL base in validation messages. */
  /** Extra properties of `system/status` beyond the common ones. */
  systemExtras?: JsonObject;
  /** Root folders and quality profiles (not Prowlarr). */
  media: boolean;
  qualityProfiles(): JsonObject[];
  metadataProfiles?(): JsonObject[];
  rootFolderResource(rf: RootFolderRecord, state: ArrState): JsonObject;
  /** Lidarr's root folder has a name and default profiles. */
  validateRootFolder?(body: JsonObject, state: ArrState): ValidationFailureJson[];
  /** Directories of the simulated disk besides {@link DEFAULT_DIRECTORIES} (where the app's own library lives). */
  directories?: readonly string[];
  /** What the app keeps of a created root folder besides its path (`RootFolderRecord.fields`). */
  rootFolderFields?(body: JsonObject): JsonObject;
  /** Download client resource properties besides the common ones. */
  downloadClientExtras?: JsonObject;
  /** False when the app's fields carry no `privacy` and its secrets come back in clear (`ProviderTemplate.fieldPrivacy`). */
  fieldPrivacy?: boolean;
  /** Extra operations (Prowlarr applications, Lidarr metadata profiles). */
  extraOperations?(api: string): OperationDef<ArrState>[];
  /** Extra health (Prowlarr applications and proxies). */
  extraHealth?(state: ArrState, env: SimEnvironment): Promise<HealthItem[]>;
  /** Extra spec corrections. */
  errata?: SpecSource["errata"];
  /** Prowlarr's CommandResource has no `result`. */
  commandWithoutResult?: boolean;
  /** Host settings older than Sonarr v4's (Readarr's). */
  hostConfig?: HostConfigDialect;
}

/** Health item before rendering. */
export interface HealthItem {
  source: string;
  type: "ok" | "notice" | "warning" | "error";
  message: string;
  wikiFragment: string;
}

/** Directories of the simulated disk: the paths the user's manifests mount. */
export const DEFAULT_DIRECTORIES = [
  "/config",
  "/data",
  "/data/media",
  "/data/media/tv",
  "/data/media/series",
  "/data/media/movies",
  "/data/media/music",
  "/data/torrents",
  "/downloads",
  "/usenet",
];

const FREE_SPACE = 1_572_864_000_000;
const TOTAL_SPACE = 3_995_997_020_160;

function store(templates: ProviderTemplate[]): ProviderStore {
  return { items: new Map(), nextId: 1, templates, status: new Map() };
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function camel(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** A .NET `TimeSpan` between two ISO times (`00:00:00.2510000`). */
function duration(from: string, to: string): string {
  const ms = Math.max(0, Date.parse(to) - Date.parse(from)) || 0;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${sec.toFixed(7).padStart(10, "0")}`;
}

function headerValue(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}



/** The API key checks of `ApiKeyAuthenticationHandler`: `apikey` query, `X-Api-Key`, `Bearer`. */
export function arrAuthorize(req: SimRequest, app: SimAppHandle): boolean {
  const fromQuery = req.query.get("apikey");
  const header = req.headers["x-api-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const auth = req.headers.authorization;
  const bearer = typeof auth === "string" ? auth.replace(/^Bearer /, "") : undefined;
  const provided = fromQuery ?? fromHeader ?? bearer;
  return provided !== undefined && provided !== "" && app.apiKey !== undefined && provided === app.apiKey;
}

function created(json: JsonObject, location: string): SimResponse {
  return { status: 201, json, headers: { location } };
}

function body(ctx: OpContext<ArrState>): JsonObject | undefined {
  return isObject(ctx.body) ? ctx.body : undefined;
}

function findTemplate(s: ProviderStore, implementation: unknown): ProviderTemplate | undefined {
  if (typeof implementation !== "string") return undefined;
  return s.templates.find((t) => t.implementation.toLowerCase() === implementation.toLowerCase());
}

/** Provider tests and health probes, keyed by implementation. */
export interface ProviderBehaviour {
  test(rec: ProviderRecord, state: ArrState, env: SimEnvironment, app: SimAppHandle): Promise<ValidationFailureJson[]>;
  /** Throws with the health message when the provider cannot be reached. */
  check?(rec: ProviderRecord, state: ArrState, env: SimEnvironment): Promise<void>;
}

interface ProviderOpsOptions {
  /** Extra rules of the resource's SharedValidator (download clients: priority 1-50). */
  sharedRules?(input: JsonObject): ValidationFailureJson[];
  /** `/api/v3/downloadclient` */
  base: string;
  /** `DownloadClientDefinition` (used in not-found messages). */
  definitionName: string;
  pick(state: ArrState): ProviderStore;
  behaviour(implementation: string): ProviderBehaviour | undefined;
  /** Builds the resource (extras such as Prowlarr's `syncLevel`). */
  render?(rec: ProviderRecord, t: ProviderTemplate): JsonObject;
}

function readRecord(
  input: JsonObject,
  t: ProviderTemplate,
  existing: ProviderRecord | undefined,
  id: number,
): { rec: ProviderRecord; failures: ValidationFailureJson[] } {
  const { settings, failures } = readSettings(input.fields, t, existing?.settings);
  const extras: JsonObject = {};
  for (const [k, def] of Object.entries(t.extras)) {
    if (t.fixedExtras?.includes(k) === true) extras[k] = def;
    else if (input[k] !== undefined) extras[k] = input[k];
    else extras[k] = bindingDefault(k, def);
  }
  const tags = Array.isArray(input.tags) ? input.tags.filter((x): x is number => typeof x === "number") : [];
  return {
    rec: {
      id,
      name: typeof input.name === "string" ? input.name : "",
      implementation: t.implementation,
      configContract: t.configContract,
      tags,
      settings,
      extras,
    },
    failures,
  };
}

/**
 * What ASP.NET binds for a property the request leaves out: the CLR default (false, 0, the
 * first enum value), not the template's default. A client posted without `enable` is disabled.
 */
function bindingDefault(key: string, templateDefault: unknown): unknown {
  if (key === "syncLevel") return "disabled";
  if (typeof templateDefault === "boolean") return false;
  if (typeof templateDefault === "number") return 0;
  if (Array.isArray(templateDefault)) return [];
  return templateDefault;
}

function isEnabled(rec: ProviderRecord): boolean {
  if (rec.extras.enable === false) return false;
  if (rec.extras.syncLevel === "disabled") return false;
  return true;
}

function sharedFailures(input: JsonObject, s: ProviderStore, ownId: number, post: boolean): ValidationFailureJson[] {
  const out: ValidationFailureJson[] = [];
  const name = notEmpty("Name", input.name);
  if (name !== undefined) out.push(name);
  else if (typeof input.name === "string") {
    const clash = [...s.items.values()].some((r) => r.name.toLowerCase() === (input.name as string).toLowerCase() && r.id !== ownId);
    if (clash) out.push(ruleFailure("Name", "Should be unique", input.name, "PredicateValidator"));
  }
  const impl = notEmpty("Implementation", input.implementation);
  if (impl !== undefined) out.push(impl);
  const contract = notEmpty("ConfigContract", input.configContract);
  if (contract !== undefined) out.push(contract);
  if (post && (input.fields === undefined || input.fields === null)) {
    out.push(ruleFailure("Fields", "'Fields' must not be empty.", null, "NotNullValidator"));
  }
  return out;
}

/** Failures that block a save: errors always, warnings unless `forceSave`. */
function blocking(failures: ValidationFailureJson[], includeWarnings: boolean): ValidationFailureJson[] {
  const errors = failures.filter((f) => f.severity === "error" && f.isWarning !== true);
  if (errors.length > 0) return includeWarnings ? failures : errors;
  return includeWarnings ? failures : [];
}

/** CRUD, schema, test and testall of one provider collection (`ProviderControllerBase`). */
export function providerOperations(o: ProviderOpsOptions): OperationDef<ArrState>[] {
  const render = (rec: ProviderRecord, t: ProviderTemplate) => (o.render ?? toResource)(rec, t);
  const templateOf = (s: ProviderStore, rec: ProviderRecord) => findTemplate(s, rec.implementation);
  const list = (state: ArrState) =>
    [...o.pick(state).items.values()]
      .map((r) => {
        const t = templateOf(o.pick(state), r);
        return t === undefined ? undefined : render(r, t);
      })
      .filter((x): x is JsonObject => x !== undefined)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));

  const runTest = async (ctx: OpContext<ArrState>, rec: ProviderRecord, includeWarnings: boolean): Promise<ValidationFailureJson[]> => {
    const t = findTemplate(o.pick(ctx.state), rec.implementation);
    const settingsFailures = t?.validate?.(rec.settings) ?? [];
    const settingsBlocking = blocking(settingsFailures, includeWarnings);
    if (settingsBlocking.length > 0) return settingsBlocking;
    const b = o.behaviour(rec.implementation);
    if (b === undefined) return [];
    const failures = await b.test(rec, ctx.state, ctx.env, ctx.app);
    const st = o.pick(ctx.state);
    const errors = failures.filter((f) => f.severity === "error" && f.isWarning !== true);
    st.status.set(rec.id, { ok: errors.length === 0, message: errors[0]?.errorMessage ?? "", at: Date.now() });
    return blocking(failures, includeWarnings);
  };

  return [
    {
      method: "get",
      path: o.base,
      handle: (ctx) => ({ status: 200, json: list(ctx.state) }),
    },
    {
      method: "get",
      path: `${o.base}/schema`,
      handle: (ctx) => ({ status: 200, json: o.pick(ctx.state).templates.map((t) => toSchema(t)) }),
    },
    {
      method: "get",
      path: `${o.base}/{id}`,
      handle: (ctx) => {
        const rec = o.pick(ctx.state).items.get(Number(ctx.params.id));
        const t = rec !== undefined ? templateOf(o.pick(ctx.state), rec) : undefined;
        if (rec === undefined || t === undefined) return { status: 404, unvalidated: true };
        return { status: 200, json: render(rec, t) };
      },
    },
    {
      method: "post",
      path: o.base,
      handle: async (ctx) => {
        const input = body(ctx);
        if (input === undefined) return errorModel(400, "Request body can't be empty");
        const st = o.pick(ctx.state);
        const forceSave = ctx.query.forceSave === true;
        const shared = [...sharedFailures(input, st, 0, true), ...(o.sharedRules?.(input) ?? [])];
        if (shared.length > 0) return failuresResponse(shared);
        const t = findTemplate(st, input.implementation);
        if (t === undefined) return errorModel(400, `Unknown implementation '${String(input.implementation)}'`);
        const { rec, failures } = readRecord(input, t, undefined, st.nextId);
        if (failures.length > 0) return failuresResponse(failures);
        if (isEnabled(rec)) {
          const settingsBlocking = blocking(t.validate?.(rec.settings) ?? [], !forceSave);
          if (settingsBlocking.length > 0) return failuresResponse(settingsBlocking);
          const testFailures = await runTest(ctx, rec, !forceSave);
          if (testFailures.length > 0) return failuresResponse(testFailures);
        }
        st.nextId += 1;
        st.items.set(rec.id, rec);
        st.status.delete(rec.id);
        return created(render(rec, t), `${ctx.app.urlBase}${o.base}/${rec.id}`);
      },
    },
    {
      method: "put",
      path: `${o.base}/{id}`,
      handle: async (ctx) => {
        const input = body(ctx);
        if (input === undefined) return errorModel(400, "Request body can't be empty");
        const st = o.pick(ctx.state);
        const id = Number(ctx.params.id);
        const bodyId = typeof input.id === "number" ? input.id : 0;
        const existing = st.items.get(id) ?? st.items.get(bodyId);
        if (existing === undefined) return { status: 404, unvalidated: true };
        const forceSave = ctx.query.forceSave === true;
        const shared = [...sharedFailures(input, st, existing.id, false), ...(o.sharedRules?.(input) ?? [])];
        if (shared.length > 0) return failuresResponse(shared);
        const t = findTemplate(st, input.implementation);
        if (t === undefined) return errorModel(400, `Unknown implementation '${String(input.implementation)}'`);
        const { rec, failures } = readRecord(input, t, existing, existing.id);
        if (failures.length > 0) return failuresResponse(failures);
        const changed = JSON.stringify(rec) !== JSON.stringify(existing);
        if (isEnabled(rec)) {
          const settingsBlocking = blocking(t.validate?.(rec.settings) ?? [], !forceSave);
          if (settingsBlocking.length > 0) return failuresResponse(settingsBlocking);
          if (!forceSave && changed) {
            const testFailures = await runTest(ctx, rec, true);
            if (testFailures.length > 0) return failuresResponse(testFailures);
          }
        }
        if (changed) {
          st.items.set(existing.id, rec);
          st.status.delete(existing.id);
        }
        return { status: 202, json: render(rec, t), headers: { location: `${ctx.app.urlBase}${o.base}/${existing.id}` } };
      },
    },
    {
      method: "delete",
      path: `${o.base}/{id}`,
      handle: (ctx) => {
        const id = Number(ctx.params.id);
        if (id <= 0) return errorModel(400, `${id} is not a valid ID`);
        const st = o.pick(ctx.state);
        st.items.delete(id);
        st.status.delete(id);
        return { status: 200, json: {}, unvalidated: true };
      },
    },
    {
      method: "post",
      path: `${o.base}/test`,
      handle: async (ctx) => {
        const input = body(ctx);
        if (input === undefined) return errorModel(400, "Request body can't be empty");
        const st = o.pick(ctx.state);
        const shared = [...sharedFailures(input, st, typeof input.id === "number" ? input.id : 0, false), ...(o.sharedRules?.(input) ?? [])];
        if (shared.length > 0) return failuresResponse(shared);
        const t = findTemplate(st, input.implementation);
        if (t === undefined) return errorModel(400, `Unknown implementation '${String(input.implementation)}'`);
        const existing = typeof input.id === "number" && input.id > 0 ? st.items.get(input.id) : undefined;
        const { rec, failures } = readRecord(input, t, existing, existing?.id ?? 0);
        if (failures.length > 0) return failuresResponse(failures);
        const forceTest = ctx.query.forceTest === true;
        const testFailures = await runTest(ctx, rec, !forceTest);
        if (testFailures.length > 0) return failuresResponse(testFailures);
        return { status: 200, text: "{}" };
      },
    },
    {
      method: "post",
      path: `${o.base}/testall`,
      handle: async (ctx) => {
        const st = o.pick(ctx.state);
        const results: JsonObject[] = [];
        for (const rec of st.items.values()) {
          if (!isEnabled(rec)) continue;
          const failures = await runTest(ctx, rec, false);
          results.push({ id: rec.id, isValid: failures.length === 0, validationFailures: failures });
        }
        const anyInvalid = results.some((r) => r.isValid === false);
        return { status: anyInvalid ? 400 : 200, json: results, unvalidated: true };
      },
    },
  ];
}

/** Download-client behaviours shared by all *arr apps. */
export function downloadClientBehaviour(names: MediaNames): (impl: string) => ProviderBehaviour | undefined {
  return (impl) => {
    if (impl === "QBittorrent") {
      return {
        test: (rec, state, env) => testQbittorrent(rec.settings, names, env, state.cookies),
        check: (rec, state, env) => checkQbittorrent(rec.settings, names, env, state.cookies),
      };
    }
    if (impl === "Sabnzbd") {
      return {
        test: (rec, _state, env) => testSabnzbd(rec.settings, names, env),
        check: (rec, _state, env) => checkSabnzbd(rec.settings, env),
      };
    }
    return undefined;
  };
}

/** Runs (or reuses a fresh) connectivity check of every enabled provider in a store. */
export async function refreshStatus(
  st: ProviderStore,
  state: ArrState,
  env: SimEnvironment,
  behaviour: (impl: string) => ProviderBehaviour | undefined,
): Promise<{ rec: ProviderRecord; ok: boolean; message: string }[]> {
  const out: { rec: ProviderRecord; ok: boolean; message: string }[] = [];
  for (const rec of st.items.values()) {
    if (!isEnabled(rec)) continue;
    const cached = st.status.get(rec.id);
    if (cached !== undefined && Date.now() - cached.at < state.healthTtlMs) {
      out.push({ rec, ok: cached.ok, message: cached.message });
      continue;
    }
    const b = behaviour(rec.implementation);
    let ok = true;
    let message = "";
    if (b?.check !== undefined) {
      try {
        await b.check(rec, state, env);
      } catch (err) {
        ok = false;
        message = err instanceof Error ? err.message : String(err);
      }
    }
    st.status.set(rec.id, { ok, message, at: Date.now() });
    out.push({ rec, ok, message });
  }
  return out;
}

function healthResource(item: HealthItem, wiki: string): JsonObject {
  return {
    source: item.source,
    type: item.type,
    message: item.message,
    wikiUrl: `https://wiki.servarr.com/${wiki}/system${item.wikiFragment}`,
  };
}

function pushedToItems(pushed: HealthMessage[]): HealthItem[] {
  return pushed.map((h) => ({
    source: h.source ?? "LabFaultCheck",
    type: h.level,
    message: h.message,
    wikiFragment: h.wikiUrl !== undefined ? "" : `#${h.message.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`,
  }));
}

function apiKeyMissing(): SimResponse {
  return { status: 401, unvalidated: true };
}

/** Builds the simulator definition of one *arr app. */
export function createArrDefinition(f: ArrFlavor): SimDefinition<ArrState> {
  const api = `/api/${f.apiVersion}`;
  const dcBehaviour = downloadClientBehaviour(f.names);
  const appName = f.names.appName;
  const host = hostConfigHandlers(f);

  const createState = (settings: InstanceSettings): ArrState => {
    const now = new Date();
    const dirs = Array.isArray(settings.extra.directories)
      ? settings.extra.directories.filter((d): d is string => typeof d === "string")
      : [...DEFAULT_DIRECTORIES, ...(f.directories ?? [])];
    return {
      settings,
      startTime: now.toISOString(),
      downloadClients: store(
        [qbittorrentTemplate(f.names), sabnzbdTemplate(f.names)].map((t) => ({
          ...t,
          extras: { ...t.extras, ...(f.downloadClientExtras ?? {}) },
          ...(f.fieldPrivacy === false ? { fieldPrivacy: false } : {}),
        })),
      ),
      applications: store([]),
      indexerProxies: store([]),
      rootFolders: [],
      nextRootFolderId: 1,
      qualityProfiles: f.media ? f.qualityProfiles() : [],
      metadataProfiles: f.metadataProfiles?.() ?? [],
      tags: [],
      commands: [],
      nextCommandId: 1,
      directories: new Set(dirs),
      cookies: new Map(),
      healthTtlMs: typeof settings.extra.healthTtlMs === "number" ? settings.extra.healthTtlMs : 30_000,
      configXml: new Map(),
      configTable: {},
      users: [],
      scheduledTasks: [],
      schedulerIntervalMs: typeof settings.extra.schedulerIntervalMs === "number" ? settings.extra.schedulerIntervalMs : 5_000,
      freshInstall: true,
    };
  };

  const computeHealth = async (ctx: OpContext<ArrState>): Promise<JsonObject[]> => {
    const items: HealthItem[] = [];
    const st = ctx.state;
    const enabled = [...st.downloadClients.items.values()].filter(isEnabled);
    if (f.media && enabled.length === 0) {
      items.push({ source: "DownloadClientCheck", type: "warning", message: "No download client is available", wikiFragment: "#no-download-client-is-available" });
    } else {
      const statuses = await refreshStatus(st.downloadClients, st, ctx.env, dcBehaviour);
      const failed = statuses.find((s) => !s.ok);
      if (failed !== undefined) {
        items.push({
          source: "DownloadClientCheck",
          type: "error",
          message: `Unable to communicate with ${failed.rec.name}. ${failed.message}`,
          wikiFragment: "#unable-to-communicate-with-download-client",
        });
      }
    }
    if (f.media) {
      const missing = st.rootFolders.filter((r) => !st.directories.has(r.path));
      if (missing.length === 1 && missing[0] !== undefined) {
        items.push({ source: "RootFolderCheck", type: "error", message: `Missing root folder: ${missing[0].path}`, wikiFragment: "#missing-root-folder" });
      } else if (missing.length > 1) {
        items.push({
          source: "RootFolderCheck",
          type: "error",
          message: `Multiple root folders are missing: ${missing.map((m) => m.path).join(", ")}`,
          wikiFragment: "#missing-root-folder",
        });
      }
    }
    if (f.extraHealth !== undefined) items.push(...(await f.extraHealth(st, ctx.env)));
    items.push(...pushedToItems(ctx.app.pushedHealth()));
    return items.map((i) => healthResource(i, f.names.wiki));
  };

  const systemStatus = (ctx: OpContext<ArrState>): JsonObject => ({
    appName,
    instanceName: ctx.state.configXml.get("InstanceName") ?? appName,
    version: ctx.app.version(),
    buildTime: "2025-10-12T18:04:11Z",
    isDebug: false,
    isProduction: true,
    isAdmin: false,
    isUserInteractive: false,
    startupPath: `/app/${f.kind}/bin`,
    appData: "/config",
    osName: "alpine",
    osVersion: "3.22.2",
    isNetCore: true,
    isLinux: true,
    isOsx: false,
    isWindows: false,
    isDocker: true,
    mode: "console",
    branch: ctx.state.configXml.get("Branch") ?? defaultBranch(f),
    authentication: camel(ctx.state.configXml.get("AuthenticationMethod") ?? "Forms"),
    migrationVersion: f.migrationVersion,
    urlBase: ctx.app.urlBase,
    runtimeVersion: "8.0.21",
    runtimeName: ".NET",
    startTime: ctx.state.startTime,
    packageVersion: `${ctx.app.version()}-ls1`,
    packageAuthor: "[linuxserver.io](https://www.linuxserver.io/)",
    packageUpdateMechanism: "docker",
    databaseType: "sqLite",
    databaseVersion: "3.49.2",
    ...(f.systemExtras ?? {}),
  });

  const commandResource = (c: CommandRecord): JsonObject => {
    const r = commandResourceFull(c);
    if (f.commandWithoutResult === true) delete r.result;
    return r;
  };
  const commandResourceFull = (c: CommandRecord): JsonObject => ({
    id: c.id,
    name: c.name,
    commandName: c.name,
    message: c.message,
    body: {
      sendUpdatesToClient: true,
      updateScheduledTask: true,
      completionMessage: "Completed",
      requiresDiskAccess: c.name === "Backup",
      isExclusive: false,
      name: c.name,
      trigger: "manual",
      suppressMessages: false,
    },
    priority: "normal",
    status: c.status,
    result: c.result,
    queued: c.queued,
    ...(c.started !== "" ? { started: c.started } : {}),
    ...(c.ended !== "" ? { ended: c.ended, duration: duration(c.started, c.ended), lastExecutionTime: c.ended } : {}),
    trigger: "manual",
    stateChangeTime: c.ended !== "" ? c.ended : c.started !== "" ? c.started : c.queued,
    sendUpdatesToClient: true,
    updateScheduledTask: true,
  });

  const backupResource = (b: BackupFile): JsonObject => ({
    id: b.id,
    name: b.name,
    path: `/backup/${b.type}/${b.name}`,
    type: b.type,
    size: b.size,
    time: b.time,
  });

  /** Runs a command in the background: queued, started, then completed or failed. */
  const runInBackground = (ctx: OpContext<ArrState>, cmd: CommandRecord, work: () => Promise<void>): void => {
    const state = ctx.state;
    setImmediate(() => {
      cmd.status = "started";
      cmd.started = iso(new Date());
      work()
        .then(() => {
          cmd.status = "completed";
          cmd.result = "successful";
          cmd.message = "Completed";
        })
        .catch((err: unknown) => {
          cmd.status = "failed";
          cmd.result = "unsuccessful";
          cmd.message = err instanceof Error ? err.message : String(err);
          ctx.env.log(`command ${cmd.name} failed: ${cmd.message}`);
        })
        .finally(() => {
          cmd.ended = iso(new Date());
          // The app may have stopped meanwhile; its files are then closed.
          if (state.files !== undefined) ctx.app.persist();
        });
    });
  };

  const ops: OperationDef<ArrState>[] = [
    { method: "get", path: "/ping", handle: () => ({ status: 200, json: { status: "OK" } }) },
    { method: "head", path: "/ping", handle: () => ({ status: 200, json: { status: "OK" } }) },
    { method: "get", path: `${api}/system/status`, handle: (ctx) => ({ status: 200, json: systemStatus(ctx) }) },
    { method: "get", path: `${api}/health`, handle: async (ctx) => ({ status: 200, json: await computeHealth(ctx) }) },
    { method: "get", path: `${api}/tag`, handle: (ctx) => ({ status: 200, json: ctx.state.tags }) },
    {
      method: "post",
      path: `${api}/tag`,
      handle: (ctx) => {
        const input = body(ctx);
        const label = typeof input?.label === "string" ? input.label.trim().toLowerCase() : "";
        if (label === "") return failuresResponse([ruleFailure("Label", "'Label' must not be empty.", input?.label ?? null, "NotEmptyValidator")]);
        const existing = ctx.state.tags.find((t) => t.label === label);
        if (existing !== undefined) return created(existing, `${ctx.app.urlBase}${api}/tag/${existing.id}`);
        const tag = { id: ctx.state.tags.length + 1, label };
        ctx.state.tags.push(tag);
        return created(tag, `${ctx.app.urlBase}${api}/tag/${tag.id}`);
      },
    },
    ...providerOperations({
      base: `${api}/downloadclient`,
      definitionName: "DownloadClientDefinition",
      pick: (s) => s.downloadClients,
      behaviour: dcBehaviour,
      // DownloadClientController: SharedValidator.RuleFor(c => c.Priority).InclusiveBetween(1, 50).
      sharedRules: (input) => {
        const p = typeof input.priority === "number" ? input.priority : 0;
        return p >= 1 && p <= 50 ? [] : [ruleFailure("Priority", `'Priority' must be between 1 and 50. You entered ${p}.`, p, "InclusiveBetweenValidator")];
      },
    }),
    {
      method: "get",
      path: `${api}/system/backup`,
      handle: (ctx) => ({ status: 200, json: listBackups(ctx.state, f).map(backupResource) }),
    },
    {
      method: "delete",
      path: `${api}/system/backup/{id}`,
      handle: (ctx) => {
        const backup = listBackups(ctx.state, f).find((b) => b.id === Number(ctx.params.id));
        if (backup === undefined) return errorModel(404, "NotFound");
        rmSync(backup.file, { force: true });
        return { status: 200, json: {}, unvalidated: true };
      },
    },
    {
      method: "post",
      path: `${api}/system/backup/restore/{id}`,
      handle: (ctx) => {
        const backup = listBackups(ctx.state, f).find((b) => b.id === Number(ctx.params.id));
        if (backup === undefined) return errorModel(404, "NotFound");
        return restoreArchive(ctx.state, ctx.app, readFileSync(backup.file), backup.file);
      },
    },
    {
      method: "post",
      path: `${api}/system/backup/restore/upload`,
      handle: (ctx) => {
        const boundary = multipartBoundary(headerValue(ctx.req, "content-type"));
        const file = boundary === undefined ? undefined : parseMultipart(ctx.req.bytes, boundary).find((p) => p.filename !== undefined);
        const refused = checkUpload(file);
        if (refused !== undefined || file === undefined) return refused ?? errorModel(400, "BadRequest: file must be provided");
        return restoreArchive(ctx.state, ctx.app, file.data, file.filename ?? "");
      },
    },
    {
      // SystemController.Restart: answers, then the app restarts (and loads what its files hold).
      method: "post",
      path: `${api}/system/restart`,
      handle: (ctx) => {
        ctx.app.restartSoon();
        return { status: 200, json: { restarting: true }, unvalidated: true };
      },
    },
    { method: "get", path: `${api}/config/host`, handle: (ctx) => ({ status: 200, json: host.read(ctx.state, ctx.app) }) },
    {
      method: "put",
      path: `${api}/config/host/{id}`,
      handle: (ctx) => {
        const input = body(ctx);
        if (input === undefined) return errorModel(400, "Request body can't be empty");
        const failures = host.validate(input, ctx.state);
        if (failures.length > 0) return failuresResponse(failures);
        host.save(input, ctx.state);
        return { status: 202, json: host.read(ctx.state, ctx.app), headers: { location: `${ctx.app.urlBase}${api}/config/host/1` } };
      },
    },
    {
      method: "post",
      path: `${api}/command`,
      handle: (ctx) => {
        const input = body(ctx);
        const name = typeof input?.name === "string" ? input.name : "";
        const known = ["Backup", "CheckHealth", "RefreshMonitoredDownloads", "ApplicationUpdateCheck", "RssSync", "ApplicationIndexerSync", "Housekeeping"];
        const canonical = known.find((k) => k.toLowerCase() === name.toLowerCase());
        if (canonical === undefined) return errorModel(400, `Unknown command: ${name === "" ? "(no name)" : name}`);
        const now = new Date();
        const cmd: CommandRecord = {
          id: ctx.state.nextCommandId++,
          name: canonical,
          queued: iso(now),
          started: iso(now),
          ended: iso(new Date(now.getTime() + 251)),
          status: "completed",
          result: "successful",
          message: "Completed",
        };
        if (canonical === "Backup") {
          // BackupService runs as a queued command; the archive appears when it completes.
          cmd.status = "queued";
          cmd.result = "unknown";
          cmd.started = "";
          cmd.ended = "";
          cmd.message = "";
          const state = ctx.state;
          runInBackground(ctx, cmd, async () => {
            await createBackup(state, f, ctx.app, "manual");
          });
        }
        if (canonical === "CheckHealth") {
          for (const st of [ctx.state.downloadClients, ctx.state.applications, ctx.state.indexerProxies]) st.status.clear();
        }
        ctx.state.commands.push(cmd);
        // The apps answer with the command as queued; it completes in the background.
        const queued: JsonObject = { ...commandResource({ ...cmd, started: "", ended: "" }), status: "queued", stateChangeTime: cmd.queued };
        if ("result" in queued) queued.result = "unknown";
        return created(queued, `${ctx.app.urlBase}${api}/command/${cmd.id}`);
      },
    },
    { method: "get", path: `${api}/command`, handle: (ctx) => ({ status: 200, json: ctx.state.commands.map(commandResource) }) },
    {
      method: "get",
      path: `${api}/command/{id}`,
      handle: (ctx) => {
        const c = ctx.state.commands.find((x) => x.id === Number(ctx.params.id));
        return c === undefined ? { status: 404, unvalidated: true } : { status: 200, json: commandResource(c) };
      },
    },
  ];

  if (f.media) {
    ops.push(
      {
        method: "get",
        path: `${api}/rootfolder`,
        handle: (ctx) => ({ status: 200, json: ctx.state.rootFolders.map((r) => f.rootFolderResource(r, ctx.state)) }),
      },
      {
        method: "get",
        path: `${api}/rootfolder/{id}`,
        handle: (ctx) => {
          const r = ctx.state.rootFolders.find((x) => x.id === Number(ctx.params.id));
          return r === undefined ? { status: 404, unvalidated: true } : { status: 200, json: f.rootFolderResource(r, ctx.state) };
        },
      },
      {
        method: "post",
        path: `${api}/rootfolder`,
        handle: (ctx) => {
          const input = body(ctx);
          if (input === undefined) return errorModel(400, "Request body can't be empty");
          const path = typeof input.path === "string" ? input.path.trim() : "";
          const failures: ValidationFailureJson[] = [];
          if (path === "" || !path.startsWith("/")) {
            failures.push(ruleFailure("Path", "Invalid Path", input.path ?? null, "PathValidator"));
          } else {
            const normalised = path.replace(/\/+$/, "") || "/";
            if (ctx.state.rootFolders.some((r) => r.path === normalised)) {
              failures.push(ruleFailure("Path", `Path '${path}' is already configured as a root folder`, path, "RootFolderValidator"));
            } else if (!ctx.state.directories.has(normalised)) {
              failures.push(ruleFailure("Path", `Path '${path}' does not exist`, path, "PathExistsValidator"));
            }
          }
          failures.push(...(f.validateRootFolder?.(input, ctx.state) ?? []));
          if (failures.length > 0) return failuresResponse(failures);
          const rec: RootFolderRecord = { id: ctx.state.nextRootFolderId++, path: path.replace(/\/+$/, "") };
          if (f.rootFolderFields) rec.fields = f.rootFolderFields(input);
          ctx.state.rootFolders.push(rec);
          return created(f.rootFolderResource(rec, ctx.state), `${ctx.app.urlBase}${api}/rootfolder/${rec.id}`);
        },
      },
      {
        method: "delete",
        path: `${api}/rootfolder/{id}`,
        handle: (ctx) => {
          const id = Number(ctx.params.id);
          const idx = ctx.state.rootFolders.findIndex((r) => r.id === id);
          if (idx < 0) return errorModel(404, `RootFolder with ID ${id} does not exist`);
          ctx.state.rootFolders.splice(idx, 1);
          return { status: 200, unvalidated: true };
        },
      },
      { method: "get", path: `${api}/qualityprofile`, handle: (ctx) => ({ status: 200, json: ctx.state.qualityProfiles }) },
      {
        method: "get",
        path: `${api}/qualityprofile/{id}`,
        handle: (ctx) => {
          const p = ctx.state.qualityProfiles.find((x) => x.id === Number(ctx.params.id));
          return p === undefined ? { status: 404, unvalidated: true } : { status: 200, json: p };
        },
      },
      { method: "get", path: `${api}/indexer`, handle: () => ({ status: 200, json: [] }) },
      {
        // Prowlarr's application test posts a Newznab/Torznab definition here.
        method: "post",
        path: `${api}/indexer/test`,
        handle: (ctx) => {
          const input = body(ctx);
          if (input === undefined) return errorModel(400, "Request body can't be empty");
          const name = notEmpty("Name", input.name);
          if (name !== undefined) return failuresResponse([name]);
          return { status: 200, text: "{}" };
        },
      },
    );
  }
  ops.push(...(f.extraOperations?.(api) ?? []));

  const aliases: Record<string, number[]> = {};
  for (const o of ops) {
    if (o.method === "post" && !o.path.endsWith("/test") && !o.path.endsWith("/testall")) aliases[`post ${o.path}`] = [201];
    if (o.method === "put") aliases[`put ${o.path}`] = [202];
  }

  return {
    kind: f.kind,
    title: f.title,
    spec: {
      ...(f.specDocument ? { document: f.specDocument } : { file: f.specFile }),
      ...(f.specExtensions ? { extensions: f.specExtensions } : {}),
      errata: [
        {
          // Sonarr/Radarr's published spec types wikiUrl as an HttpUri object, but the apps write it
          // as a string (HealthResource.WikiUrl is a string; STJHttpUriConverter writes FullUri).
          pointer: "#/components/schemas/HealthResource/properties/wikiUrl",
          value: { type: "string", nullable: true },
          reason: "Sonarr.Api.V3/Health/HealthResource.cs; NzbDrone.Common/Serializer/System.Text.Json/STJHttpUriConverter.cs",
        },
        ...(f.errata ?? []),
      ],
    },
    operations: ops,
    defaultVersion: f.defaultVersion,
    createState,
    storage: arrStorage(f),
    start: async (state, app) => {
      startScheduler(state);
      // A fresh install's scheduler makes its first scheduled backup.
      if (state.freshInstall && state.files !== undefined) {
        state.freshInstall = false;
        await createBackup(state, f, app, "scheduled").catch((err: unknown) => app.env.log(`scheduled backup failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    },
    stop: (state) => stopScheduler(state),
    rawRoutes: [
      {
        // BackupFileMapper: the archives under `/backup/<type>/<name>`, behind the UI's
        // authentication (Forms: a redirect to the login page; not for local clients when
        // AuthenticationRequired is DisabledForLocalAddresses, and the lab's clients are local).
        method: "GET",
        pattern: /^\/backup\/(scheduled|manual|update)\/([^/]+)$/i,
        secured: false,
        handle: (ctx, m) => {
          const type = (m[1] ?? "").toLowerCase();
          const name = decodeURIComponent(m[2] ?? "");
          const required = ctx.state.configXml.get("AuthenticationRequired") ?? "Enabled";
          const method = (ctx.state.configXml.get("AuthenticationMethod") ?? "None").toLowerCase();
          if (required.toLowerCase() !== "disabledforlocaladdresses" && method !== "external" && method !== "none" && !arrAuthorize(ctx.req, ctx.app)) {
            const back = `${ctx.app.urlBase}${ctx.req.path}`;
            return { status: 302, headers: { location: `${ctx.app.urlBase}/login?returnUrl=${encodeURIComponent(back)}` } };
          }
          const backup = listBackups(ctx.state, f).find((b) => b.type === type && b.name === name);
          if (backup === undefined) return { status: 404 };
          return { status: 200, bytes: readFileSync(backup.file), contentType: "application/x-zip-compressed" };
        },
      },
    ],
    authorize: (req, app) => arrAuthorize(req, app),
    isPublic: (method: HttpMethod, path: string) => path === "/ping" && (method === "get" || method === "head"),
    errors: {
      unauthorized: apiKeyMissing,
      invalidRequest: (issues, req) => problemDetails(issues, req),
      notFound: () => ({ status: 404, unvalidated: true }),
      methodNotAllowed: () => ({ status: 405, unvalidated: true }),
      serverError: (message) => errorModel(500, message, `System.Exception: ${message}`),
    },
    // UrlBaseMiddleware: a request without the configured base is redirected to it (307).
    missingUrlBase: (req, app) => ({
      status: 307,
      headers: { location: `${app.urlBase}${req.originalPath}${req.query.toString() !== "" ? `?${req.query.toString()}` : ""}` },
      unvalidated: true,
    }),
    headers: (app, req): Record<string, string> => (req.path.startsWith("/api/") ? { "x-application-version": app.version() } : {}),
    statusAliases: aliases,
    caseInsensitivePaths: true,
    control: (state, patch) => {
      if (Array.isArray(patch.directories)) {
        state.directories = new Set(patch.directories.filter((d): d is string => typeof d === "string"));
        return undefined;
      }
      if (typeof patch.removeDirectory === "string") {
        state.directories.delete(patch.removeDirectory);
        return undefined;
      }
      if (typeof patch.addDirectory === "string") {
        state.directories.add(patch.addDirectory);
        return undefined;
      }
      if (typeof patch.healthTtlMs === "number") {
        state.healthTtlMs = patch.healthTtlMs;
        return undefined;
      }
      if (typeof patch.schedulerIntervalMs === "number" && patch.schedulerIntervalMs >= 10) {
        state.schedulerIntervalMs = patch.schedulerIntervalMs;
        stopScheduler(state);
        startScheduler(state);
        return undefined;
      }
      if (patch.clearCookies === true) {
        // What an app restart does: forget download-client sessions and cached check results.
        state.cookies.clear();
        for (const st of [state.downloadClients, state.applications, state.indexerProxies]) st.status.clear();
        return undefined;
      }
      return "unknown patch: use directories, addDirectory, removeDirectory, healthTtlMs, schedulerIntervalMs or clearCookies";
    },
    describe: (state) => ({
      downloadClients: [...state.downloadClients.items.values()].map((r) => ({ id: r.id, name: r.name, implementation: r.implementation })),
      applications: [...state.applications.items.values()].map((r) => ({ id: r.id, name: r.name, implementation: r.implementation })),
      indexerProxies: [...state.indexerProxies.items.values()].map((r) => ({ id: r.id, name: r.name, implementation: r.implementation })),
      rootFolders: state.rootFolders.map((r) => r.path),
      backups: listBackups(state, f).map((b) => `${b.type}/${b.name}`),
      instanceName: state.configXml.get("InstanceName") ?? appName,
      directories: [...state.directories],
    }),
  };
}

/** Free and total space reported for root folders. */
export const SPACE = { free: FREE_SPACE, total: TOTAL_SPACE };
