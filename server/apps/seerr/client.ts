import "server-only";
import type { KnownAppKind } from "@/lib/apps/catalogue";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { seerrPublicSettingsSchema, seerrStatusSchema, type SeerrPublicSettings, type SeerrStatus } from "./schemas";

/** Which app of the family a client talks to (its id and name, for messages). */
export interface SeerrApp {
  id: KnownAppKind;
  appName: string;
}

/** Options of one Jellyseerr or Seerr client instance. */
export type SeerrClientOptions = KeyClientOptions;

interface CallOptions {
  signal?: AbortSignal;
}

/** The API shared by Jellyseerr and its successor Seerr (`/api/v1`, key in `X-Api-Key`). */
export class SeerrApiClient extends KeyHeaderClient {
  constructor(app: SeerrApp, options: SeerrClientOptions) {
    super({ appName: app.appName, source: app.id, keyHeader: (key) => ({ "X-Api-Key": key }) }, options);
  }

  /** `GET /api/v1/status`. */
  getStatus(options: CallOptions = {}): Promise<HttpResult<SeerrStatus>> {
    return this.request({ path: "/api/v1/status", schema: seerrStatusSchema, ...options });
  }

  /** `GET /api/v1/settings/public`. */
  getPublicSettings(options: CallOptions = {}): Promise<HttpResult<SeerrPublicSettings>> {
    return this.request({ path: "/api/v1/settings/public", schema: seerrPublicSettingsSchema, ...options });
  }
}
