import "server-only";
import { z } from "zod";
import type { HttpResult } from "../http";
import { SeerrApiClient, type SeerrApp, type SeerrClientOptions } from "./client";

/**
 * The settings of Jellyseerr and Seerr the integrations read and write (`/api/v1/settings/...`, the
 * admin key in `X-Api-Key`): the Jellyfin server, and the Sonarr/Radarr servers requests go to.
 * Their answers carry the stored API keys in clear: callers compare them and never show them.
 */

/** `GET /settings/jellyfin` (Jellyseerr 2.x, Seerr 3.x). */
export const seerrJellyfinSchema = z
  .object({
    name: z.string().nullish(),
    ip: z.string().nullish(),
    port: z.union([z.number(), z.string()]).nullish(),
    useSsl: z.boolean().nullish(),
    urlBase: z.string().nullish(),
    apiKey: z.string().nullish(),
    serverId: z.string().nullish(),
  })
  .loose();
export type SeerrJellyfinSettings = z.infer<typeof seerrJellyfinSchema>;

/** One Sonarr or Radarr server (`SonarrSettings`, `RadarrSettings`). */
export const seerrDvrSchema = z
  .object({
    id: z.number(),
    name: z.string().nullish(),
    hostname: z.string().nullish(),
    port: z.number().nullish(),
    apiKey: z.string().nullish(),
    useSsl: z.boolean().nullish(),
    baseUrl: z.string().nullish(),
    activeProfileId: z.number().nullish(),
    activeProfileName: z.string().nullish(),
    activeDirectory: z.string().nullish(),
    is4k: z.boolean().nullish(),
    isDefault: z.boolean().nullish(),
  })
  .loose();
export type SeerrDvr = z.infer<typeof seerrDvrSchema>;

/** What `POST /settings/{sonarr,radarr}/test` answers: the server's profiles and root folders. */
export const seerrDvrTestSchema = z
  .object({
    profiles: z.array(z.object({ id: z.number(), name: z.string().nullish() }).loose()).default([]),
    rootFolders: z.array(z.object({ id: z.number().nullish(), path: z.string() }).loose()).default([]),
  })
  .loose();
export type SeerrDvrTest = z.infer<typeof seerrDvrTestSchema>;

const messageSchema = z.object({ message: z.string().nullish() }).loose();

/** The request targets Jellyseerr and Seerr hold: their settings API segment (`/settings/sonarr`). */
export type DvrKind = "sonarr" | "radarr";

/** The connection a test needs. */
export interface DvrConnection {
  hostname: string;
  port: number;
  apiKey: string;
  useSsl: boolean;
  baseUrl: string;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** Settings client of one Jellyseerr or Seerr instance. */
export class SeerrSettingsClient extends SeerrApiClient {
  constructor(app: SeerrApp, options: SeerrClientOptions) {
    super(app, options);
  }

  /** `GET /api/v1/settings/main` (admin): answers only when the key is the app's own. */
  async checkKey(options: CallOptions = {}): Promise<void> {
    await this.request({ path: "/api/v1/settings/main", schema: z.unknown(), ...options });
  }

  /** `GET /api/v1/settings/jellyfin`. */
  async getJellyfin(options: CallOptions = {}): Promise<SeerrJellyfinSettings> {
    return (await this.request({ path: "/api/v1/settings/jellyfin", schema: seerrJellyfinSchema, ...options })).data;
  }

  /** `POST /api/v1/settings/jellyfin`: the app checks the server (its `/System/Info` with the key) before saving. */
  async saveJellyfin(body: { ip: string; port: number; useSsl: boolean; urlBase: string; apiKey: string }, options: CallOptions = {}): Promise<void> {
    await this.request({ path: "/api/v1/settings/jellyfin", method: "POST", body, schema: z.unknown(), ...options });
  }

  /** `GET /api/v1/settings/{sonarr,radarr}`. */
  async listServers(kind: DvrKind, options: CallOptions = {}): Promise<SeerrDvr[]> {
    return (await this.request({ path: `/api/v1/settings/${kind}`, schema: z.array(seerrDvrSchema), ...options })).data;
  }

  /** `POST /api/v1/settings/{sonarr,radarr}`. */
  async createServer(kind: DvrKind, body: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    await this.request({ path: `/api/v1/settings/${kind}`, method: "POST", body, schema: z.unknown(), ...options });
  }

  /** `PUT /api/v1/settings/{sonarr,radarr}/{id}`. */
  async updateServer(kind: DvrKind, id: number, body: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    await this.request({ path: `/api/v1/settings/${kind}/${id}`, method: "PUT", body, schema: z.unknown(), ...options });
  }

  /**
   * `POST /api/v1/settings/{sonarr,radarr}/test`: the app connects to the server and answers its
   * profiles and root folders, or 500 with its message ("Failed to connect to Sonarr").
   */
  async testServer(kind: DvrKind, conn: DvrConnection, options: CallOptions = {}): Promise<{ ok: true; data: SeerrDvrTest } | { ok: false; message: string }> {
    const r: HttpResult<unknown> = await this.request({
      path: `/api/v1/settings/${kind}/test`,
      method: "POST",
      body: conn,
      schema: z.unknown(),
      acceptStatuses: [500],
      ...options,
    });
    if (r.status === 500) {
      const m = messageSchema.safeParse(r.data);
      return { ok: false, message: (m.success ? m.data.message : undefined) ?? `${this.appName} could not connect (HTTP 500)` };
    }
    const parsed = seerrDvrTestSchema.safeParse(r.data);
    if (!parsed.success) return { ok: false, message: `${this.appName} answered the test with an unexpected shape` };
    return { ok: true, data: parsed.data };
  }
}
