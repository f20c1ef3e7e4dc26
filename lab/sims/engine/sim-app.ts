/**
 * The generic simulator runtime: one HTTP server per app instance that
 *   1. applies faults (down, slow, 500, malformed JSON, wrong version),
 *   2. enforces the URL base the user's manifests configure,
 *   3. routes with openapi-backend over the operations the app implements,
 *   4. checks credentials the way the app does,
 *   5. validates the request against the official spec (invalid -> the app's error shape),
 *   6. runs the handler on the app's in-memory state,
 *   7. validates the response body against the spec (`validateResponses`: log or throw),
 *   8. writes the state to the app's configuration volume when the request changed it.
 *
 * An app with a `storage` loads its state from its volume directory when it starts (a restart
 * after the files changed shows the changed state) and can be stopped, started and restarted
 * through the control endpoint, without the other simulators of the host noticing.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import OpenAPIBackend, { type Document, type Operation, type Request as BackendRequest } from "openapi-backend";
import { AddressResolver } from "./addresses";
import { breakJson, controlCommandSchema, noFaults, pathMatches, type ControlCommand, type FaultState } from "./faults";
import { HTTP_METHODS, isObject, loadSpec, opId, type HttpMethod, type JsonObject, type LoadedSpec } from "./spec";
import type {
  HealthMessage,
  InstanceSettings,
  OpContext,
  OperationDef,
  SimAppHandle,
  SimDefinition,
  SimEnvironment,
  SimRequest,
  SimResponse,
  ValidationIssue,
} from "./types";
import { addOpenApiFormats, ResponseValidator, toIssues } from "./validation";
import { sleep } from "../../lib/wait";


/** What to do with a response that does not match the spec. */
export type ResponseValidationMode = "off" | "log" | "throw";

/** Shared by every simulator of one host. */
export interface SimRuntime {
  resolver: AddressResolver;
  log: (msg: string) => void;
  validateResponses: ResponseValidationMode;
}

/** A response that did not match the spec. */
export interface SpecViolation {
  app: string;
  operation: string;
  status: number;
  errors: string[];
  at: string;
}

/** Request counters of one simulator. */
export interface SimCounters {
  requests: number;
  byStatus: Record<string, number>;
  /** Status codes answered per operationId (`get /api/v3/health` -> {"200": 3}). */
  byOperation: Record<string, Record<string, number>>;
  rejected: number;
}

/** A simulator instance as the host manages it (state type erased). */
export interface RunningSim extends SimAppHandle {
  readonly title: string;
  readonly specSource: string;
  readonly operations: string[];
  /** operationIds of the implemented operations (`get /api/v3/health`). */
  readonly operationIds: string[];
  /** The implemented operations open without credentials, by the description or the app (`get /System/Ping`, the path with the prefix). */
  readonly openOperations: string[];
  init(): Promise<void>;
  /** Loads the state (from the volume when the app has one) and listens; resolves with the port. */
  start(port?: number): Promise<number>;
  /** As if the process exited: port closed, files released, state dropped. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
  /** The files the app keeps on its volume (relative paths; empty without storage). */
  readonly storageLayout: string[];
  control(command: ControlCommand): Promise<string | undefined>;
  snapshot(): JsonObject;
  violations(): SpecViolation[];
  clearViolations(): void;
  counters(): SimCounters;
  isUp(): boolean;
  url(): string;
}

/** A simulator kind: builds instances. */
export interface SimKind {
  readonly kind: string;
  readonly title: string;
  instantiate(settings: InstanceSettings, runtime: SimRuntime): RunningSim;
}

/** Wraps a definition so definitions with different state types can share one list. */
export function defineSim<S>(def: SimDefinition<S>): SimKind {
  return {
    kind: def.kind,
    title: def.title,
    instantiate: (settings, runtime) => new SimApp<S>(def, settings, runtime),
  };
}

const MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === "") return undefined;
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("application/x-www-form-urlencoded")) {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function queryObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of q) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function headerRecord(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = v;
  return out;
}

class SimApp<S> implements RunningSim {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly urlBase: string;
  readonly apiKey: string | undefined;
  readonly env: SimEnvironment;
  port = 0;
  specSource = "";
  /** False when the app runs without its description file (see `uncheckedSpec`). */
  specChecked = true;
  operations: string[] = [];
  operationIds: string[] = [];
  openOperations: string[] = [];

  private state: S;
  private faults: FaultState = noFaults();
  private health: HealthMessage[] = [];
  private api: OpenAPIBackend | undefined;
  private validator: ResponseValidator | undefined;
  private document: JsonObject = {};
  private readonly handlers = new Map<string, OperationDef<S>>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  /** The state is loaded (the app "process" runs). */
  private loaded = false;
  /** Why the last start failed (the files could not be loaded). */
  private loadError: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Successful starts since the host started (a restart adds one). */
  private starts = 0;
  private stats: SimCounters = { requests: 0, byStatus: {}, byOperation: {}, rejected: 0 };
  private specViolations: SpecViolation[] = [];
  private readonly prefix: string;

  get storageLayout(): string[] {
    return this.def.storage === undefined ? [] : [...this.def.storage.layout];
  }

  constructor(
    private readonly def: SimDefinition<S>,
    private readonly settings: InstanceSettings,
    private readonly runtime: SimRuntime,
  ) {
    this.id = settings.id;
    this.kind = def.kind;
    this.title = def.title;
    this.urlBase = settings.urlBase;
    this.apiKey = settings.apiKey;
    this.prefix = def.pathPrefix ?? "";
    this.env = {
      fetch: (url, init) => runtime.resolver.fetch(url, init),
      log: (msg) => runtime.log(`[${this.id}] ${msg}`),
    };
    this.state = def.createState(settings);
  }

  version(): string {
    return this.faults.version ?? this.def.defaultVersion;
  }

  get dataDir(): string | undefined {
    return this.settings.dataDir;
  }

  persist(): void {
    const storage = this.def.storage;
    if (storage === undefined || this.settings.dataDir === undefined || !this.loaded) return;
    try {
      storage.save(this.state, this);
    } catch (err) {
      this.env.log(`could not write its files: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  restartSoon(delayMs = 100): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.env.log("restarting");
      this.restart().catch((err: unknown) => this.env.log(`restart failed: ${err instanceof Error ? err.message : String(err)}`));
    }, delayMs);
  }

  takeRestoreRefusal(): { message: string | undefined } | undefined {
    if (this.faults.refuseRestore <= 0) return undefined;
    this.faults.refuseRestore -= 1;
    const message = this.faults.refuseRestoreMessage;
    if (this.faults.refuseRestore === 0) delete this.faults.refuseRestoreMessage;
    return { message };
  }

  pushedHealth(): HealthMessage[] {
    return [...this.health];
  }

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  isUp(): boolean {
    return this.listening;
  }

  counters(): SimCounters {
    return structuredClone(this.stats);
  }

  violations(): SpecViolation[] {
    return [...this.specViolations];
  }

  clearViolations(): void {
    this.specViolations = [];
  }

  /** Loads the spec operations this app implements and prepares routing and validation. */
  async init(): Promise<void> {
    const refs = this.def.operations.map((o) => ({ method: o.method, path: o.path }));
    const loaded: LoadedSpec = await loadSpec(this.def.spec, refs, this.prefix);
    this.specSource = loaded.checked ? `${loaded.source} (${loaded.title} ${loaded.version})` : loaded.source;
    this.specChecked = loaded.checked;
    for (const o of this.def.operations) this.handlers.set(opId(o.method, o.path), o);
    this.operations = this.def.operations.map((o) => `${o.method.toUpperCase()} ${this.prefix}${o.path}`);
    this.operationIds = this.def.operations.map((o) => opId(o.method, o.path));
    const api = new OpenAPIBackend({
      // openapi-backend dereferences its input in place (cycles included): give it a copy.
      definition: structuredClone(loaded.document) as unknown as Document,
      strict: false,
      // Compile each operation's validators on first use: hosts start in well under a second.
      quick: true,
      validate: true,
      coerceTypes: true,
      ignoreTrailingSlashes: true,
      ajvOpts: { strict: false, allErrors: true, logger: false },
      customizeAjv: (ajv) => addOpenApiFormats(ajv),
    });
    await api.init();
    this.api = api;
    this.validator = loaded.checked ? new ResponseValidator(loaded.document, this.id) : undefined;
    const open = new Set(openOperationsOf(loaded.document));
    for (const o of this.def.operations) if (this.def.isPublic?.(o.method, o.path) === true) open.add(`${o.method} ${this.prefix}${o.path}`);
    this.openOperations = [...open].sort();
    this.document = loaded.document;
  }

  /** Loads the state: from the volume when the app has one (seeding an empty one), else fresh. */
  private open(): void {
    const storage = this.def.storage;
    const dir = this.settings.dataDir;
    if (storage !== undefined && dir !== undefined) {
      mkdirSync(dir, { recursive: true });
      this.state = storage.load(dir, () => this.def.createState(this.settings), this);
    } else {
      this.state = this.def.createState(this.settings);
    }
  }

  async start(port: number = this.port): Promise<number> {
    if (this.loaded) return this.port;
    try {
      this.open();
      this.loaded = true;
      this.loadError = undefined;
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : String(err);
      this.env.log(`cannot start: ${this.loadError}`);
    }
    let bound: number;
    try {
      bound = await this.listen(port);
    } catch (err) {
      // The port is taken: the start fails as a whole (the caller may try another port).
      if (this.loaded) this.def.storage?.close?.(this.state);
      this.loaded = false;
      throw err;
    }
    if (!this.loaded) {
      // Like a process that exits during its start: nothing answers on the port.
      await this.stopListening();
      return bound;
    }
    if (this.faults.down === "refused") await this.stopListening();
    if (this.def.start !== undefined) await this.def.start(this.state, this);
    this.starts += 1;
    return bound;
  }

  async stop(): Promise<void> {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.loaded) {
      this.loaded = false;
      if (this.def.stop !== undefined) this.def.stop(this.state);
      try {
        this.def.storage?.close?.(this.state);
      } catch (err) {
        this.env.log(`could not release its files: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await this.stopListening();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.port);
  }

  /** Binds the port (the state is not touched). */
  async listen(port: number): Promise<number> {
    if (this.server === undefined) {
      this.server = createServer((req, res) => {
        this.serve(req, res).catch((err: unknown) => {
          this.env.log(`unhandled: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
          res.end("simulator failure");
        });
      });
      this.server.keepAliveTimeout = 5_000;
      this.server.on("connection", (s: Socket) => {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
      });
    }
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError);
        resolve();
      });
    });
    const addr = server.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : port;
    this.listening = true;
    return this.port;
  }

  /** Stops listening and drops open connections (`connection refused` from now on). */
  private async stopListening(): Promise<void> {
    const server = this.server;
    if (server === undefined || !this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  async close(): Promise<void> {
    await this.stop();
  }

  /** Listening again after `down`: a stopped (or crashed) app starts, a running one reopens its port. */
  private async answerAgain(): Promise<void> {
    if (!this.loaded) await this.start(this.port);
    else if (!this.listening) await this.listen(this.port);
  }

  async control(command: ControlCommand): Promise<string | undefined> {
    const cmd = controlCommandSchema.parse(command);
    switch (cmd.action) {
      case "down":
        this.faults.down = cmd.mode;
        if (cmd.mode === "refused") await this.stopListening();
        else await this.answerAgain();
        return undefined;
      case "up":
        this.faults.down = false;
        await this.answerAgain();
        return undefined;
      case "slow":
        this.faults.latencyMs = cmd.latencyMs;
        this.faults.latencyMatch = cmd.match;
        return undefined;
      case "error500":
        this.faults.error500 = cmd.enabled;
        this.faults.error500Match = cmd.match;
        return undefined;
      case "malformed":
        this.faults.malformed = cmd.enabled;
        this.faults.malformedMatch = cmd.match;
        return undefined;
      case "hugeBody":
        this.faults.hugeBodyBytes = cmd.bytes;
        this.faults.hugeBodyMatch = cmd.match;
        return undefined;
      case "version":
        this.faults.version = cmd.version;
        return undefined;
      case "pushHealth":
        this.health.push({ level: cmd.level, message: cmd.message, source: cmd.source, wikiUrl: cmd.wikiUrl });
        return undefined;
      case "clearHealth":
        this.health = [];
        return undefined;
      case "clearFaults": {
        this.faults = noFaults();
        await this.answerAgain();
        return undefined;
      }
      case "reset": {
        await this.stop();
        this.faults = noFaults();
        this.health = [];
        this.stats = { requests: 0, byStatus: {}, byOperation: {}, rejected: 0 };
        this.specViolations = [];
        const dir = this.settings.dataDir;
        if (this.def.storage !== undefined && dir !== undefined) {
          for (const entry of readdirSync(dir, { withFileTypes: true })) rmSync(`${dir}/${entry.name}`, { recursive: true, force: true });
        }
        await this.start(this.port);
        return undefined;
      }
      case "refuseRestore":
        this.faults.refuseRestore = cmd.count;
        if (cmd.message !== undefined && cmd.count > 0) this.faults.refuseRestoreMessage = cmd.message;
        else delete this.faults.refuseRestoreMessage;
        return undefined;
      case "stop":
        await this.stop();
        return undefined;
      case "start":
        await this.start(this.port);
        return this.loaded ? undefined : `${this.id} did not start: ${this.loadError ?? "unknown error"}`;
      case "restart":
        await this.restart();
        return this.loaded ? undefined : `${this.id} did not start: ${this.loadError ?? "unknown error"}`;
      case "set": {
        if (this.def.control === undefined) return `${this.kind} has no app-specific controls`;
        if (!this.loaded) return `${this.id} is stopped`;
        const error = this.def.control(this.state, cmd.patch, this);
        if (error === undefined) this.persist();
        return error;
      }
    }
  }

  snapshot(): JsonObject {
    return {
      id: this.id,
      kind: this.kind,
      title: this.title,
      url: this.url(),
      urlBase: this.urlBase,
      up: this.listening && this.faults.down === false,
      listening: this.listening,
      running: this.loaded,
      starts: this.starts,
      ...(this.loadError !== undefined ? { startError: this.loadError } : {}),
      ...(this.settings.dataDir !== undefined && this.def.storage !== undefined ? { dataDir: this.settings.dataDir, files: this.storageLayout } : {}),
      version: this.version(),
      faults: { ...this.faults },
      pushedHealth: this.pushedHealth().map((h) => ({ ...h })),
      counters: { ...this.counters() },
      violations: this.specViolations.length,
      spec: this.specSource,
      operations: this.operations,
      state: this.def.describe !== undefined && this.loaded ? this.def.describe(this.state) : {},
    };
  }

  private count(status: number, operation: string): void {
    this.stats.requests += 1;
    this.stats.byStatus[String(status)] = (this.stats.byStatus[String(status)] ?? 0) + 1;
    const perOp = (this.stats.byOperation[operation] ??= {});
    perOp[String(status)] = (perOp[String(status)] ?? 0) + 1;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim.local");
    const bytes = await readBody(req);
    const rawBody = bytes.toString("utf8");
    const sreq: SimRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      originalPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      bytes,
      body: /^\s*multipart\//i.test(req.headers["content-type"] ?? "") ? undefined : parseBody(rawBody, req.headers["content-type"]),
    };
    const { response, operation } = await this.respond(sreq, req);
    this.count(response.status, operation);
    if (sreq.method !== "GET" && sreq.method !== "HEAD" && response.status < 400 && !operation.startsWith("fault:")) this.persist();
    this.write(res, sreq, response, operation);
  }

  private async respond(sreq: SimRequest, req: IncomingMessage): Promise<{ response: SimResponse; operation: string }> {
    const f = this.faults;
    if (f.latencyMs > 0 && pathMatches(sreq.originalPath, f.latencyMatch)) await sleep(f.latencyMs);
    if (f.down === "503") {
      return { response: { status: 503, text: "Service Unavailable", unvalidated: true }, operation: "fault:503" };
    }
    if (f.error500 && pathMatches(sreq.originalPath, f.error500Match)) {
      const r = this.def.errors.serverError("Simulated failure (lab fault: error500)", sreq);
      return { response: { ...r, unvalidated: true }, operation: "fault:500" };
    }

    // URL base.
    if (this.urlBase !== "") {
      const p = sreq.originalPath;
      if (p === this.urlBase || p.startsWith(`${this.urlBase}/`)) {
        sreq.path = p.slice(this.urlBase.length) || "/";
      } else {
        const r = this.def.missingUrlBase?.(sreq, this) ?? this.def.errors.notFound(sreq);
        this.stats.rejected += 1;
        return { response: { ...r, unvalidated: true }, operation: "urlbase" };
      }
    }

    // Routes outside the API description.
    for (const route of this.def.rawRoutes ?? []) {
      const m = route.pattern.exec(sreq.path);
      if (m === null || route.method.toUpperCase() !== sreq.method) continue;
      if (route.secured && !this.def.authorize(sreq, this, this.state)) {
        this.stats.rejected += 1;
        return { response: { ...this.def.errors.unauthorized(sreq), unvalidated: true }, operation: "unauthorized" };
      }
      const ctx = this.context(sreq, {}, {}, sreq.body);
      return { response: { ...(await route.handle(ctx, m)), unvalidated: true }, operation: `raw ${route.pattern.source}` };
    }

    const api = this.api;
    if (api === undefined) throw new Error(`${this.id} is not initialised`);
    if (this.def.caseInsensitivePaths === true) sreq.path = this.canonicalPath(sreq.path);
    const breq: BackendRequest = {
      method: sreq.method,
      path: sreq.path,
      query: queryObject(sreq.query),
      headers: headerRecord(req),
      body: sreq.body,
    };
    const operation = api.router.matchOperation(breq) as Operation | undefined;
    if (operation === undefined || operation.operationId === undefined) {
      this.stats.rejected += 1;
      const otherMethod = HTTP_METHODS.some((m) => m !== breq.method.toLowerCase() && api.router.matchOperation({ ...breq, method: m }) !== undefined);
      if (otherMethod && this.def.errors.methodNotAllowed !== undefined) {
        return { response: { ...this.def.errors.methodNotAllowed(sreq), unvalidated: true }, operation: "method" };
      }
      return { response: { ...this.def.errors.notFound(sreq), unvalidated: true }, operation: "notfound" };
    }
    const id = operation.operationId;
    const handler = this.handlers.get(id);
    if (handler === undefined) throw new Error(`no handler for ${id}`);

    // Credentials.
    const security = (operation.security ?? []) as unknown[];
    const secured =
      security.length > 0 &&
      !security.some((s) => typeof s === "object" && s !== null && Object.keys(s).length === 0) &&
      !(this.def.isPublic?.(handler.method, handler.path) ?? false);
    if (secured && !this.def.authorize(sreq, this, this.state)) {
      this.stats.rejected += 1;
      return { response: { ...this.def.errors.unauthorized(sreq), unvalidated: true }, operation: id };
    }

    if (!this.specChecked) {
      // No description: the query as sent ("true"/"false" as booleans, as the spec's coercion
      // gives the handlers), the path parameters as strings, nothing validated.
      const raw = typeof breq.query === "object" ? breq.query : {};
      const query = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === "true" ? true : v === "false" ? false : v]));
      const params = api.router.parseRequest(breq, operation).params ?? {};
      const ctx = this.context(sreq, params as Record<string, unknown>, query, sreq.body);
      try {
        return { response: await handler.handle(ctx), operation: id };
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        this.env.log(`handler ${id} failed: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
        return { response: { ...this.def.errors.serverError(msg, sreq), unvalidated: true }, operation: id };
      }
    }

    // Request validation against the spec. Query parameters the operation does not declare are
    // ignored, as ASP.NET, Flask, Express and Go's net/http all ignore them (openapi-backend
    // would refuse them: it closes the query object).
    const declared = new Set(
      ((operation.parameters ?? []) as unknown[])
        .filter((p): p is { in: string; name: string } => isObject(p) && p.in === "query" && typeof p.name === "string")
        .map((p) => p.name),
    );
    const query = breq.query;
    const vreq: BackendRequest = {
      ...breq,
      query: typeof query === "object" ? Object.fromEntries(Object.entries(query).filter(([k]) => declared.has(k))) : query,
    };
    const result = api.validator.validateRequest(vreq, operation);
    if (!result.valid) {
      this.stats.rejected += 1;
      const issues = toIssues(result.errors);
      return { response: { ...this.def.errors.invalidRequest(issues, sreq), unvalidated: true }, operation: id };
    }
    if (this.def.rejectReadOnly === true) {
      const ro = readOnlyIssues(this.document, operation, sreq.body);
      if (ro.length > 0) {
        this.stats.rejected += 1;
        return { response: { ...this.def.errors.invalidRequest(ro, sreq), unvalidated: true }, operation: id };
      }
    }
    const coerced = result.coerced as { params?: Record<string, unknown>; query?: Record<string, unknown> };
    const params = coerced.params ?? api.router.parseRequest(vreq, operation).params ?? {};
    const coercedQuery = coerced.query ?? api.router.parseRequest(vreq, operation).query ?? {};
    const ctx = this.context(sreq, params as Record<string, unknown>, coercedQuery as Record<string, unknown>, sreq.body);
    let response: SimResponse;
    try {
      response = await handler.handle(ctx);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.env.log(`handler ${id} failed: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
      response = { ...this.def.errors.serverError(msg, sreq), unvalidated: true };
    }
    return { response: this.checkResponse(id, response), operation: id };
  }

  /** The request path spelt the way the spec spells the operation it matches (case-insensitive). */
  private canonicalPath(path: string): string {
    const segs = path.split("/");
    const literalCount = (p: string) => p.split("/").filter((x) => !x.startsWith("{")).length;
    const ops = [...this.def.operations].sort((a, b) => literalCount(b.path) - literalCount(a.path));
    for (const o of ops) {
      const tpl = `${this.prefix}${o.path}`.split("/");
      if (tpl.length !== segs.length) continue;
      const out: string[] = [];
      let ok = true;
      for (let i = 0; i < tpl.length; i++) {
        const t = tpl[i] ?? "";
        const s = segs[i] ?? "";
        if (t.startsWith("{") && t.endsWith("}")) out.push(s);
        else if (t.toLowerCase() === s.toLowerCase()) out.push(t);
        else {
          ok = false;
          break;
        }
      }
      if (ok) return out.join("/");
    }
    return path;
  }

  private context(sreq: SimRequest, params: Record<string, unknown>, query: Record<string, unknown>, body: unknown): OpContext<S> {
    return { app: this, state: this.state, req: sreq, params, query, body, env: this.env };
  }

  /** Validates a handler's body; in `throw` mode an invalid body becomes a 500 naming the errors. */
  private checkResponse(operationId: string, response: SimResponse): SimResponse {
    if (this.runtime.validateResponses === "off" || response.unvalidated === true || response.json === undefined) {
      return response;
    }
    const validator = this.validator;
    if (validator === undefined) return response;
    const aliases = this.def.statusAliases?.[operationId] ?? [];
    const errors = validator.validate(operationId, response.status, response.json, aliases);
    if (errors.length === 0) return response;
    const violation: SpecViolation = {
      app: this.id,
      operation: operationId,
      status: response.status,
      errors,
      at: new Date().toISOString(),
    };
    this.specViolations.push(violation);
    this.env.log(`response violates the spec: ${operationId} ${response.status}: ${errors.slice(0, 5).join("; ")}`);
    if (this.runtime.validateResponses === "throw") {
      return { status: 500, json: { simulatorSpecViolation: violation }, unvalidated: true };
    }
    return response;
  }

  private write(res: ServerResponse, sreq: SimRequest, response: SimResponse, operation: string): void {
    const headers: Record<string, string> = {
      ...(this.def.headers?.(this, sreq) ?? {}),
      ...(response.headers ?? {}),
    };
    let body: string | Buffer | undefined;
    if (response.bytes !== undefined) {
      body = response.bytes;
      headers["content-type"] = response.contentType ?? "application/octet-stream";
    } else if (response.json !== undefined) {
      body = JSON.stringify(response.json);
      headers["content-type"] = response.contentType ?? "application/json; charset=utf-8";
      if (this.faults.malformed && pathMatches(sreq.originalPath, this.faults.malformedMatch) && !operation.startsWith("fault:")) {
        body = breakJson(body);
      }
    } else if (response.text !== undefined) {
      body = response.text;
      headers["content-type"] = response.contentType ?? "text/plain; charset=utf-8";
    }
    const huge = this.faults.hugeBodyBytes;
    if (huge > 0 && response.json !== undefined && sreq.method !== "HEAD" && pathMatches(sreq.originalPath, this.faults.hugeBodyMatch) && !operation.startsWith("fault:")) {
      res.writeHead(response.status, headers);
      streamPaddedJson(res, String(body ?? "null"), huge);
      return;
    }
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    else headers["content-length"] = "0";
    res.writeHead(response.status, headers);
    res.end(sreq.method === "HEAD" ? undefined : body);
  }
}

/**
 * Writes `{"padding":"xxxx…","value":<json>}` of about `bytes` bytes in 64 KiB chunks, waiting for the
 * socket to drain, and stops when the client goes away (the simulator never holds the whole body).
 */
function streamPaddedJson(res: ServerResponse, json: string, bytes: number): void {
  const chunk = "x".repeat(64 * 1024);
  let left = Math.max(0, bytes - json.length - 24);
  let closed = false;
  res.on("close", () => (closed = true));
  res.write('{"padding":"');
  const pump = (): void => {
    while (!closed && left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.slice(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!closed) res.end(`","value":${json}}`);
  };
  pump();
}

function deref(doc: JsonObject, schema: unknown, depth = 0): JsonObject | undefined {
  if (!isObject(schema) || depth > 20) return undefined;
  if (typeof schema.$ref === "string" && schema.$ref.startsWith("#/")) {
    let cur: unknown = doc;
    for (const part of schema.$ref.slice(2).split("/")) cur = isObject(cur) ? cur[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    return deref(doc, cur, depth + 1);
  }
  return schema;
}

/** `method path` of the operations whose security (their own, else the document's) lets anyone in. */
function openOperationsOf(doc: JsonObject): string[] {
  const out: string[] = [];
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isObject(op)) continue;
      const security = (Array.isArray(op.security) ? op.security : Array.isArray(doc.security) ? doc.security : []) as unknown[];
      if (security.length === 0 || security.some((s) => isObject(s) && Object.keys(s).length === 0)) out.push(`${m} ${path}`);
    }
  }
  return out.sort();
}

/** Request-body properties the spec marks `readOnly` (express-openapi-validator refuses them). */
function readOnlyIssues(doc: JsonObject, operation: Operation, body: unknown): ValidationIssue[] {
  const rb = deref(doc, (operation as unknown as JsonObject).requestBody);
  const content = rb !== undefined && isObject(rb.content) ? rb.content : {};
  const media = content["application/json"];
  const schema = isObject(media) ? deref(doc, media.schema) : undefined;
  const issues: ValidationIssue[] = [];
  const walk = (s: JsonObject | undefined, value: unknown, path: string[]): void => {
    if (s === undefined) return;
    for (const sub of ["allOf", "anyOf", "oneOf"]) {
      const list = s[sub];
      if (Array.isArray(list)) for (const x of list) walk(deref(doc, x), value, path);
    }
    if (Array.isArray(value) && s.items !== undefined) {
      value.forEach((v, i) => walk(deref(doc, s.items), v, [...path, String(i)]));
      return;
    }
    if (!isObject(value) || !isObject(s.properties)) return;
    for (const [k, v] of Object.entries(value)) {
      const ps = deref(doc, s.properties[k]);
      if (ps === undefined) continue;
      if (ps.readOnly === true) {
        issues.push({ location: "body", field: [...path, k].join("."), message: "is read-only", keyword: "readOnly", property: k });
      } else walk(ps, v, [...path, k]);
    }
  };
  walk(schema, body, []);
  return issues;
}

/** Type guard for methods. */
export function isHttpMethod(m: string): m is HttpMethod {
  return ["get", "put", "post", "delete", "patch", "head", "options"].includes(m);
}
