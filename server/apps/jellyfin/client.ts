import "server-only";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { jellyfinHealthTextSchema, jellyfinPublicInfoSchema, type JellyfinPublicInfo } from "./schemas";

/** Options of one Jellyfin client instance. */
export interface JellyfinClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Jellyfin server. The key (when given) travels as `Authorization: MediaBrowser Token="..."`. */
export class JellyfinClient {
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(options: JellyfinClientOptions) {
    this.apiKey = options.apiKey;
    this.conn = { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, appName: "Jellyfin", source: "jellyfin", secrets: [options.apiKey] };
  }

  /** `GET /System/Info/Public`: server name, version, whether the setup wizard is done. */
  getPublicInfo(options: CallOptions = {}): Promise<HttpResult<JellyfinPublicInfo>> {
    return this.request({ path: "/System/Info/Public", schema: jellyfinPublicInfoSchema, ...options });
  }

  /** `GET /health`: `Healthy`, `Degraded` or `Unhealthy` (the last with HTTP 503). */
  getHealth(options: CallOptions = {}): Promise<HttpResult<string>> {
    return this.request({ path: "/health", schema: jellyfinHealthTextSchema, responseType: "text", acceptStatuses: [503], ...options });
  }

  private request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    return httpRequest(this.conn, {
      ...spec,
      headers: this.apiKey ? { authorization: `MediaBrowser Token="${this.apiKey}"` } : {},
    });
  }
}
