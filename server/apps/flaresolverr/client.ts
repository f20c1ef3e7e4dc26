import "server-only";
import { KeyHeaderClient, type HttpResult } from "../http";
import { flaresolverrIndexSchema, type FlaresolverrIndex } from "./schemas";

/** Options of one FlareSolverr client instance (it has no authentication). */
export interface FlaresolverrClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

/** Client of one FlareSolverr instance. */
export class FlaresolverrClient extends KeyHeaderClient {
  constructor(options: FlaresolverrClientOptions) {
    super({ appName: "FlareSolverr", source: "flaresolverr", keyHeader: () => ({}) }, options);
  }

  /** `GET /`: readiness message and version. */
  getIndex(options: { signal?: AbortSignal } = {}): Promise<HttpResult<FlaresolverrIndex>> {
    return this.request({ path: "/", schema: flaresolverrIndexSchema, ...options });
  }
}
