import "server-only";
import type { z } from "zod";
import type { KnownAppKind } from "@/lib/apps/catalogue";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import {
  arrBackupListSchema,
  arrCommandSchema,
  arrRestoreAnswerSchema,
  type ArrBackup,
  type ArrCommand,
  arrHealthSchema,
  arrPingSchema,
  arrSystemStatusSchema,
  type ArrHealthItem,
  type ArrSystemStatus,
} from "./schemas";

/** What differs between the *arr apps for their client: their id, name and API version. */
export interface ArrFlavor {
  id: KnownAppKind;
  appName: string;
  /** `v3` for Sonarr and Radarr, `v1` for Lidarr and Prowlarr. */
  apiVersion: "v3" | "v1";
}

/** Options of one *arr client instance. */
export type ArrClientOptions = KeyClientOptions;

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * Client of one *arr instance (Sonarr, Radarr, Lidarr, Prowlarr share the API; only the version
 * segment differs). The key travels in the `X-Api-Key` header, never in the query.
 */
export class ArrClient extends KeyHeaderClient {
  readonly flavor: ArrFlavor;

  constructor(flavor: ArrFlavor, options: ArrClientOptions) {
    super({ appName: flavor.appName, source: flavor.id, keyHeader: (key) => ({ "X-Api-Key": key }) }, options);
    this.flavor = flavor;
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

  /** `GET /api/vN/system/backup`: the app's own backups (scheduled, manual, update). */
  listBackups(options: CallOptions = {}): Promise<HttpResult<ArrBackup[]>> {
    return this.request({ path: `${this.apiRoot}/system/backup`, schema: arrBackupListSchema, ...options });
  }

  /** `POST /api/vN/command` with `{"name": "Backup"}`: the app writes a manual backup. */
  startBackup(options: CallOptions = {}): Promise<HttpResult<ArrCommand>> {
    return this.request({ path: `${this.apiRoot}/command`, method: "POST", body: { name: "Backup" }, schema: arrCommandSchema, ...options });
  }

  /** `GET /api/vN/command/{id}`: a command's state. */
  getCommand(id: number, options: CallOptions = {}): Promise<HttpResult<ArrCommand>> {
    return this.request({ path: `${this.apiRoot}/command/${id}`, schema: arrCommandSchema, ...options });
  }

  /**
   * `POST /api/vN/system/backup/restore/{id}`: the app
   * writes the backup's `config.xml` and database in place of its own; they apply at its next start.
   */
  restoreBackup(id: number, options: CallOptions = {}): Promise<HttpResult<unknown>> {
    return this.request({ path: `${this.apiRoot}/system/backup/restore/${id}`, method: "POST", schema: arrRestoreAnswerSchema, ...options });
  }

  /** `POST /api/vN/system/restart`: the app restarts. */
  restart(options: CallOptions = {}): Promise<HttpResult<unknown>> {
    return this.request({ path: `${this.apiRoot}/system/restart`, method: "POST", schema: arrRestoreAnswerSchema, ...options });
  }
}
