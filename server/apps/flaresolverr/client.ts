import "server-only";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { flaresolverrIndexSchema, type FlaresolverrIndex } from "./schemas";

/** Options of one FlareSolverr client instance (it has no authentication). */
export interface FlaresolverrClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

/** Client of one FlareSolverr instance. */
export class FlaresolverrClient {
  private readonly conn: HttpConnection;

  constructor(options: FlaresolverrClientOptions) {
    this.conn = { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, appName: "FlareSolverr", source: "flaresolverr" };
  }

  /** `GET /`: readiness message and version. */
  getIndex(options: { signal?: AbortSignal } = {}): Promise<HttpResult<FlaresolverrIndex>> {
    return this.request({ path: "/", schema: flaresolverrIndexSchema, ...options });
  }

  private request<T>(spec: RequestSpec<T>): Promise<HttpResult<T>> {
    return httpRequest(this.conn, spec);
  }
}
