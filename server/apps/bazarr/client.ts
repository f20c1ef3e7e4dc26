import "server-only";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { bazarrHealthSchema, bazarrStatusSchema, type BazarrHealthIssue, type BazarrStatus } from "./schemas";

/** Options of one Bazarr client instance. */
export interface BazarrClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Bazarr instance: REST under `/api`, key in the `X-API-KEY` header. */
export class BazarrClient {
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(options: BazarrClientOptions) {
    this.apiKey = options.apiKey;
    this.conn = { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, appName: "Bazarr", source: "bazarr", secrets: [options.apiKey] };
  }

  /** `GET /api/system/status`: versions of Bazarr and of the *arr it talks to. */
  async getStatus(options: CallOptions = {}): Promise<HttpResult<BazarrStatus>> {
    const r = await this.request({ path: "/api/system/status", schema: bazarrStatusSchema, ...options });
    return { ...r, data: r.data.data };
  }

  /** `GET /api/system/health`: the issues Bazarr's System > Status page lists. */
  async getHealth(options: CallOptions = {}): Promise<HttpResult<BazarrHealthIssue[]>> {
    const r = await this.request({ path: "/api/system/health", schema: bazarrHealthSchema, ...options });
    return { ...r, data: r.data.data };
  }

  private request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    return httpRequest(this.conn, { ...spec, headers: this.apiKey ? { "X-API-KEY": this.apiKey } : {} });
  }
}
