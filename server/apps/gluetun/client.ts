import "server-only";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { gluetunPublicIpSchema, gluetunStatusSchema, gluetunVersionSchema, type GluetunPublicIp, type GluetunStatus } from "./schemas";

/** Options of one Gluetun control-server client (`baseUrl`: the control server, port 8000 of the Gluetun container). */
export type GluetunClientOptions = KeyClientOptions;

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Gluetun HTTP control server; the key (role `apikey`) travels in `X-API-Key`. */
export class GluetunClient extends KeyHeaderClient {
  constructor(options: GluetunClientOptions) {
    super({ appName: "Gluetun", source: "gluetun", keyHeader: (key) => ({ "X-API-Key": key }) }, options);
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
}
