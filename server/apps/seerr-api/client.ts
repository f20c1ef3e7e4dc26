import "server-only";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { seerrPublicSettingsSchema, seerrStatusSchema, type SeerrPublicSettings, type SeerrStatus } from "./schemas";

/**
 * The API shared by Jellyseerr and its successor Seerr (`/api/v1`, key in `X-Api-Key`). The apps'
 * folders subclass it with their name.
 */
export interface SeerrClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

interface CallOptions {
  signal?: AbortSignal;
}

export class SeerrApiClient {
  readonly appName: string;
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(app: { id: "jellyseerr" | "seerr"; appName: string }, options: SeerrClientOptions) {
    this.appName = app.appName;
    this.apiKey = options.apiKey;
    this.conn = { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, appName: app.appName, source: app.id, secrets: [options.apiKey] };
  }

  /** `GET /api/v1/status`. */
  getStatus(options: CallOptions = {}): Promise<HttpResult<SeerrStatus>> {
    return this.request({ path: "/api/v1/status", schema: seerrStatusSchema, ...options });
  }

  /** `GET /api/v1/settings/public`. */
  getPublicSettings(options: CallOptions = {}): Promise<HttpResult<SeerrPublicSettings>> {
    return this.request({ path: "/api/v1/settings/public", schema: seerrPublicSettingsSchema, ...options });
  }

  /** The one request path (subclasses add typed operations on top of it). */
  protected request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    return httpRequest(this.conn, { ...spec, headers: this.apiKey ? { "X-Api-Key": this.apiKey } : {} });
  }
}
