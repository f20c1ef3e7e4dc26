import "server-only";
import { httpRequest, type HttpConnection, type HttpResult, type RequestSpec } from "../http";
import { gluetunPublicIpSchema, gluetunStatusSchema, gluetunVersionSchema, type GluetunPublicIp, type GluetunStatus } from "./schemas";

/** Options of one Gluetun control-server client. */
export interface GluetunClientOptions {
  /** The control server (port 8000 of the Gluetun container). */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Gluetun HTTP control server; the key (role `apikey`) travels in `X-API-Key`. */
export class GluetunClient {
  private readonly conn: HttpConnection;
  private readonly apiKey: string | undefined;

  constructor(options: GluetunClientOptions) {
    this.apiKey = options.apiKey;
    this.conn = { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, appName: "Gluetun", source: "gluetun", secrets: [options.apiKey] };
  }

  /** `GET /v1/vpn/status`. */
  getVpnStatus(options: CallOptions = {}): Promise<HttpResult<GluetunStatus>> {
    return this.request({ path: "/v1/vpn/status", schema: gluetunStatusSchema, ...options });
  }

  /** `GET /v1/publicip/ip`: where traffic leaves the tunnel. */
  getPublicIp(options: CallOptions = {}): Promise<HttpResult<GluetunPublicIp>> {
    return this.request({ path: "/v1/publicip/ip", schema: gluetunPublicIpSchema, ...options });
  }

  /** `GET /v1/version`. */
  async getVersion(options: CallOptions = {}): Promise<HttpResult<string>> {
    const r = await this.request({ path: "/v1/version", schema: gluetunVersionSchema, ...options });
    return { ...r, data: r.data.version };
  }

  private request<T>(spec: Omit<RequestSpec<T>, "headers">): Promise<HttpResult<T>> {
    return httpRequest(this.conn, { ...spec, headers: this.apiKey ? { "X-API-Key": this.apiKey } : {} });
  }
}
