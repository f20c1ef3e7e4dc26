import "server-only";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { jellyfinHealthTextSchema, jellyfinPublicInfoSchema, jellyfinSystemInfoSchema, type JellyfinPublicInfo, type JellyfinSystemInfo } from "./schemas";

/** Options of one Jellyfin client instance. */
export type JellyfinClientOptions = KeyClientOptions;

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Jellyfin server. The key (when given) travels as `Authorization: MediaBrowser Token="..."`. */
export class JellyfinClient extends KeyHeaderClient {
  constructor(options: JellyfinClientOptions) {
    super({ appName: "Jellyfin", source: "jellyfin", keyHeader: (key) => ({ authorization: `MediaBrowser Token="${key}"` }) }, options);
  }

  /** `GET /System/Info/Public`: server name, version, whether the setup wizard is done. */
  getPublicInfo(options: CallOptions = {}): Promise<HttpResult<JellyfinPublicInfo>> {
    return this.request({ path: "/System/Info/Public", schema: jellyfinPublicInfoSchema, ...options });
  }

  /** `GET /System/Info` (operation `GetSystemInfo`): needs a valid key, unlike the public info. */
  getSystemInfo(options: CallOptions = {}): Promise<HttpResult<JellyfinSystemInfo>> {
    return this.request({ path: "/System/Info", schema: jellyfinSystemInfoSchema, ...options });
  }

  /** `GET /health`: `Healthy`, `Degraded` or `Unhealthy` (the last with HTTP 503). */
  getHealth(options: CallOptions = {}): Promise<HttpResult<string>> {
    return this.request({ path: "/health", schema: jellyfinHealthTextSchema, responseType: "text", acceptStatuses: [503], ...options });
  }
}
