import "server-only";
import { z } from "zod";
import { KeyHeaderClient, type KeyClientOptions } from "../http";
import { BAZARR } from "./client";

/**
 * Bazarr's settings, which hold its Sonarr and Radarr connections. Bazarr hides the endpoint from its
 * generated API description (`bazarr/api/system/settings.py`): `GET /api/system/settings` answers
 * every section as JSON, `POST` takes form fields named `settings-<section>-<key>` and answers 204
 * (or 406 with its validation message). The connection test is the Settings page's own:
 * `GET <base_url>/test/<protocol>/<host:port/path>` (`bazarr/app/ui.py`).
 */

const connectionSchema = z
  .object({
    ip: z.string().nullish(),
    port: z.union([z.number(), z.string()]).nullish(),
    base_url: z.string().nullish(),
    ssl: z.boolean().nullish(),
    apikey: z.string().nullish(),
  })
  .loose();
export type BazarrArrConnection = z.infer<typeof connectionSchema>;

const settingsSchema = z
  .object({
    general: z.object({ use_sonarr: z.boolean().nullish(), use_radarr: z.boolean().nullish() }).loose(),
    sonarr: connectionSchema,
    radarr: connectionSchema,
  })
  .loose();

/** The parts of Bazarr's settings the integrations read; Bazarr's own key in `auth` is never kept. */
export interface BazarrArrSettings {
  enabled: { sonarr: boolean; radarr: boolean };
  sonarr: BazarrArrConnection;
  radarr: BazarrArrConnection;
}

const testSchema = z.object({ status: z.boolean(), version: z.string().nullish(), error: z.string().nullish() }).loose();

/** Options of one Bazarr settings client (`secrets`: the keys written into Bazarr, never shown). */
export type BazarrSettingsClientOptions = KeyClientOptions;

/** Client of one Bazarr instance's settings. */
export class BazarrSettingsClient extends KeyHeaderClient {
  constructor(options: BazarrSettingsClientOptions) {
    super(BAZARR, options);
  }

  /** `GET /api/system/settings`, reduced to the Sonarr and Radarr connections. */
  async getArrSettings(options: { signal?: AbortSignal } = {}): Promise<BazarrArrSettings> {
    const r = await this.request({ path: "/api/system/settings", schema: settingsSchema, signal: options.signal });
    return {
      enabled: { sonarr: r.data.general.use_sonarr === true, radarr: r.data.general.use_radarr === true },
      sonarr: r.data.sonarr,
      radarr: r.data.radarr,
    };
  }

  /** `POST /api/system/settings` with `settings-<section>-<key>` form fields; 204 when saved. */
  async saveSettings(fields: Record<string, string>, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request({ path: "/api/system/settings", method: "POST", form: fields, schema: z.unknown(), responseType: "text", signal: options.signal });
  }

  /**
   * The Settings page's connection test: Bazarr calls `<protocol>://<target>` itself and answers
   * `{status, version}` or `{status: false, error}` ("Access Denied. Check API key.").
   */
  async testConnection(protocol: "http" | "https", target: string, options: { signal?: AbortSignal } = {}): Promise<z.infer<typeof testSchema>> {
    const [hostPath, query] = target.split("?");
    const r = await this.request({
      path: `/test/${protocol}/${hostPath ?? ""}`,
      query: Object.fromEntries(new URLSearchParams(query ?? "")),
      schema: testSchema,
      signal: options.signal,
    });
    return r.data;
  }
}
