import "server-only";
import type { z } from "zod";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import {
  arrHealthSchema,
  arrPingSchema,
  arrSystemStatusSchema,
  type ArrHealthItem,
  type ArrSystemStatus,
} from "./schemas";

/** What differs between the *arr apps: their id, name and API version. */
export interface ArrFlavor {
  id: "sonarr" | "radarr" | "lidarr" | "prowlarr";
  appName: string;
  /** `v3` for Sonarr and Radarr, `v1` for Lidarr and Prowlarr. */
  apiVersion: "v3" | "v1";
}

/** Options of one *arr client instance. */
export interface ArrClientOptions {
  /** Base URL with the URL base, e.g. `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

type ArrRequest<T> = Omit<RequestSpec<T>, "signal" | "headers"> & CallOptions;

/**
 * Client of one *arr instance (Sonarr, Radarr, Lidarr, Prowlarr share the API; only the version
 * segment differs). The key travels in the `X-Api-Key` header, never in the query.
 */
export class ArrClient {
  readonly flavor: ArrFlavor;
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(flavor: ArrFlavor, options: ArrClientOptions) {
    this.flavor = flavor;
    this.apiKey = options.apiKey;
    this.conn = {
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      appName: flavor.appName,
      source: flavor.id,
      secrets: [options.apiKey],
    };
  }

  /** `/api/v3` or `/api/v1`. */
  get apiRoot(): string {
    return `/api/${this.flavor.apiVersion}`;
  }

  /** `GET /ping`: liveness, no key needed (operation `GetPing`). */
  ping(options: CallOptions = {}): Promise<HttpResult<z.infer<typeof arrPingSchema>>> {
    return this.request({ path: "/ping", schema: arrPingSchema, ...options });
  }

  /** `GET /api/vN/system/status` (operation `GetSystemStatus`): version, URL base, start time. */
  getSystemStatus(options: CallOptions = {}): Promise<HttpResult<ArrSystemStatus>> {
    return this.request({ path: `${this.apiRoot}/system/status`, schema: arrSystemStatusSchema, ...options });
  }

  /** `GET /api/vN/health` (operation `GetHealth`): the app's own warnings and errors. */
  getHealth(options: CallOptions = {}): Promise<HttpResult<ArrHealthItem[]>> {
    return this.request({ path: `${this.apiRoot}/health`, schema: arrHealthSchema, ...options });
  }

  /** The one request path of the client (subclasses add typed operations on top of it). */
  protected request<T>(spec: ArrRequest<T>): Promise<HttpResult<T>> {
    const { signal, ...rest } = spec;
    return httpRequest(this.conn, {
      ...rest,
      signal,
      headers: this.apiKey ? { "X-Api-Key": this.apiKey } : {},
    });
  }
}
