import "server-only";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { bazarrHealthSchema, bazarrStatusSchema, type BazarrHealthIssue, type BazarrStatus } from "./schemas";

/** Options of one Bazarr client instance. */
export type BazarrClientOptions = KeyClientOptions;

/** Bazarr's name and key header, shared by its clients. */
export const BAZARR = { appName: "Bazarr", source: "bazarr", keyHeader: (key: string) => ({ "X-API-KEY": key }) };

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Bazarr instance: REST under `/api`, key in the `X-API-KEY` header. */
export class BazarrClient extends KeyHeaderClient {
  constructor(options: BazarrClientOptions) {
    super(BAZARR, options);
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
}
