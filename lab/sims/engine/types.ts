/**
 * Types shared by the simulator engine and the per-app definitions.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { HttpMethod, JsonObject, SpecSource } from "./spec";

/** A request as a simulator sees it, after the URL base was removed. */
export interface SimRequest {
  method: string;
  /** Path below the app's URL base, e.g. `/api/v3/health`. */
  path: string;
  /** Path as received, URL base included. */
  originalPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body as received (uploads are binary). */
  bytes: Buffer;
  /** Parsed JSON or form body; the raw text when JSON does not parse; undefined when empty. */
  body: unknown;
}

/** What a handler answers. Exactly one of `json`, `text`, `bytes` (or none for an empty body). */
export interface SimResponse {
  status: number;
  json?: unknown;
  text?: string;
  /** A binary body (a file download). */
  bytes?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Skip spec validation of this body (error shapes the spec does not describe). */
  unvalidated?: boolean;
}

/** One reason a request does not match the spec. */
export interface ValidationIssue {
  /** `body`, `query`, `path`, `header`, `cookie` or `parse`. */
  location: string;
  /** Field path inside the location, dot separated (`fields.0.value`); empty for the whole. */
  field: string;
  message: string;
  /** Ajv keyword (`type`, `required`, `additionalProperties`, `enum`, ...). */
  keyword: string;
  /** JSON Schema type the field should have, when the keyword is `type`. */
  expectedType?: string;
  /** The offending property name for `additionalProperties` and `required`. */
  property?: string;
}

/** How an app shapes its error answers. */
export interface ErrorModel {
  /** Missing or wrong credentials. */
  unauthorized(req: SimRequest): SimResponse;
  /** The request does not match the spec. */
  invalidRequest(issues: ValidationIssue[], req: SimRequest): SimResponse;
  /** No route. */
  notFound(req: SimRequest): SimResponse;
  /** A route that exists for other methods (default: `notFound`). */
  methodNotAllowed?(req: SimRequest): SimResponse;
  /** Unexpected failure (also used by the `error500` fault). */
  serverError(message: string, req: SimRequest): SimResponse;
}

/** An address the simulators can reach, keyed the way the user's Services are named. */
export interface ServiceAddress {
  /** `<service>.<namespace>`, optionally `:<port>` for a non-primary port. */
  key: string;
  /** The Service port that maps to this address (in-cluster URLs carry it). */
  port: number;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
}

/** Facts and helpers every handler can use. */
export interface SimEnvironment {
  /** Resolves an in-cluster or loopback URL and fetches it (see {@link AddressResolver}). */
  fetch(url: string, init?: OutboundInit): Promise<OutboundResponse>;
  log(msg: string): void;
}

export interface OutboundInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Follow redirects (default false: most apps treat a redirect as a misconfiguration). */
  followRedirects?: boolean;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Final URL after address resolution. */
  url: string;
}

/** A failed outbound call, worded the way .NET and Node report it. */
export class OutboundError extends Error {
  constructor(
    message: string,
    readonly code: "ECONNREFUSED" | "ENOTFOUND" | "ETIMEDOUT" | "EOTHER",
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

/** Everything a handler receives. */
export interface OpContext<S> {
  app: SimAppHandle;
  state: S;
  req: SimRequest;
  /** Path parameters, coerced to the spec's types. */
  params: Record<string, unknown>;
  /** Query parameters, coerced to the spec's types. */
  query: Record<string, unknown>;
  body: unknown;
  env: SimEnvironment;
}

/** A route outside the API description, matched on the path below the URL base. */
export interface RawRouteDef<S> {
  method: string;
  pattern: RegExp;
  /** Needs the app's credentials (checked with `authorize`). */
  secured: boolean;
  handle(ctx: OpContext<S>, match: RegExpExecArray): SimResponse | Promise<SimResponse>;
}

/** One implemented operation. */
export interface OperationDef<S> {
  method: HttpMethod;
  /** Path as the spec spells it (without the definition's `pathPrefix`). */
  path: string;
  handle(ctx: OpContext<S>): SimResponse | Promise<SimResponse>;
}

/** Pushed or computed health message, in a neutral form each app renders its own way. */
export interface HealthMessage {
  level: "notice" | "warning" | "error";
  message: string;
  source?: string;
  wikiUrl?: string;
}

/** What a definition's handlers may ask of the running app. */
export interface SimAppHandle {
  readonly id: string;
  readonly kind: string;
  readonly urlBase: string;
  readonly apiKey: string | undefined;
  readonly port: number;
  /** The version the app reports (the `version` fault overrides it). */
  version(): string;
  /**
   * The directory of the app's configuration volume (`<labDir>/volumes/<ns>/<claim>`), where the
   * app keeps its files; undefined when the app runs without one (state in memory only).
   */
  readonly dataDir: string | undefined;
  /** Writes the state to the app's volume now (background work; requests are saved by the engine). */
  persist(): void;
  /**
   * Restarts the app after the current answer is sent, the way the real app restarts itself: the
   * port closes, the state is dropped and loaded again from the volume.
   */
  restartSoon(delayMs?: number): void;
  /**
   * When the `refuseRestore` fault is armed: consumes one refusal and returns its message (undefined:
   * the app's own wording); the handler then refuses the restore in the app's error shape.
   */
  takeRestoreRefusal(): { message: string | undefined } | undefined;
  /** Health messages pushed through the control endpoint. */
  pushedHealth(): HealthMessage[];
  /** Outbound calls and logging. */
  env: SimEnvironment;
}

/** Per-instance settings the host passes to `createState`. */
export interface InstanceSettings {
  id: string;
  apiKey: string | undefined;
  urlBase: string;
  /** Free-form extra settings (e.g. Gluetun's exit IPs). */
  extra: JsonObject;
  /** Directory of the app's configuration volume; absent: the state lives in memory only. */
  dataDir?: string;
}

/**
 * How an app keeps its state in its configuration volume, in the file layout of the real app
 * (Sonarr's `config.xml` and `sonarr.db`, Bazarr's `config/config.yaml` and `db/bazarr.db`, ...).
 * The engine loads the state when the app starts, saves it after every request that changed it,
 * and closes it when the app stops; a restart therefore shows what the files hold.
 */
export interface SimStorage<S> {
  /** The files (relative to the volume) where the app keeps its state, as the real app names them. */
  layout: string[];
  /**
   * Reads the state from `dir`. An empty directory gets `seed()` written into it first (what the
   * real app does on its first start). Throws when the files cannot be used: the app then fails
   * to start, as the real one would.
   */
  load(dir: string, seed: () => S, app: SimAppHandle): S;
  /** Writes the state to the app's files. */
  save(state: S, app: SimAppHandle): void;
  /** Releases open files (database handles) when the app stops. */
  close?(state: S): void;
}

/** A simulator: its spec, its operations, its state and its error shapes. */
export interface SimDefinition<S> {
  /** App kind: `sonarr`, `radarr`, ... */
  kind: string;
  /** Display name. */
  title: string;
  spec: SpecSource;
  /** Prefix of every spec path: the spec's server path (`/api/v1` for Jellyseerr, `/api` for Bazarr). */
  pathPrefix?: string;
  operations: OperationDef<S>[];
  /**
   * Routes the app serves outside its API description (Jellyfin's `/health` health-check
   * endpoint, Bazarr's `/test/...` connection probe of the web UI). Not spec-validated.
   */
  rawRoutes?: RawRouteDef<S>[];
  /** Version the app reports by default. */
  defaultVersion: string;
  createState(settings: InstanceSettings): S;
  /** Where the state lives on the app's configuration volume (without it: in memory only). */
  storage?: SimStorage<S>;
  /** True when the request carries valid credentials (only asked for secured operations). */
  authorize(req: SimRequest, app: SimAppHandle, state: S): boolean;
  /** Operations that need no credentials even though the spec has a global security rule. */
  isPublic?(method: HttpMethod, path: string): boolean;
  errors: ErrorModel;
  /** Answers before routing (e.g. the *arr redirect when the URL base is missing). */
  missingUrlBase?(req: SimRequest, app: SimAppHandle): SimResponse;
  /** Headers on every answer (e.g. `X-Application-Version`). */
  headers?(app: SimAppHandle, req: SimRequest): Record<string, string>;
  /** Extra status codes the real app uses per operation, validated against the spec's 2xx body. */
  statusAliases?: Record<string, number[]>;
  /** Route paths case-insensitively, as ASP.NET Core does (the *arr apps, Jellyfin). */
  caseInsensitivePaths?: boolean;
  /**
   * Refuse request bodies that carry `readOnly` properties (express-openapi-validator, which
   * Jellyseerr and Seerr run, does; Ajv and openapi-backend do not).
   */
  rejectReadOnly?: boolean;
  /** App-specific control (`{"action":"set", ...}`): mutate the state. Returns an error text or undefined. */
  control?(state: S, patch: JsonObject, app: SimAppHandle): string | undefined;
  /** Compact view of the state for the control endpoint. */
  describe?(state: S): JsonObject;
  /** Called when the app starts and stops (background work). */
  start?(state: S, app: SimAppHandle): void | Promise<void>;
  stop?(state: S): void;
}
