import "server-only";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { z } from "zod";
import {
  jellyfinBackupManifestSchema,
  jellyfinHealthTextSchema,
  jellyfinNoContentSchema,
  jellyfinPublicInfoSchema,
  jellyfinSystemInfoSchema,
  type JellyfinBackupManifest,
  type JellyfinPublicInfo,
  type JellyfinSystemInfo,
} from "./schemas";

/** Options of one Jellyfin client instance. */
export type JellyfinClientOptions = KeyClientOptions;

interface CallOptions {
  signal?: AbortSignal;
}

/** Client of one Jellyfin server. The key (when given) travels as `Authorization: MediaBrowser Token="..."`. */
export class JellyfinClient extends KeyHeaderClient {
  constructor(options: JellyfinClientOptions) {
    super({ appName: "Jellyfin", source: "jellyfin", keyHeader: (key) => ({ authorization: `MediaBrowser Token="${key}"` }) }, options);
  }

  /** `GET /System/Info/Public`: server name, version, whether the setup wizard is done. */
  getPublicInfo(options: CallOptions = {}): Promise<HttpResult<JellyfinPublicInfo>> {
    return this.request({ path: "/System/Info/Public", schema: jellyfinPublicInfoSchema, ...options });
  }

  /** `GET /System/Info` (operation `GetSystemInfo`): needs a valid key, unlike the public info. */
  getSystemInfo(options: CallOptions = {}): Promise<HttpResult<JellyfinSystemInfo>> {
    return this.request({ path: "/System/Info", schema: jellyfinSystemInfoSchema, ...options });
  }

  /** `GET /health`: `Healthy`, `Degraded` or `Unhealthy` (the last with HTTP 503). */
  getHealth(options: CallOptions = {}): Promise<HttpResult<string>> {
    return this.request({ path: "/health", schema: jellyfinHealthTextSchema, responseType: "text", acceptStatuses: [503], ...options });
  }

  /** `GET /Backup` (10.11, operation `ListBackups`, admin key): the archives with a manifest. */
  listBackups(options: CallOptions = {}): Promise<HttpResult<JellyfinBackupManifest[]>> {
    return this.request({ path: "/Backup", schema: z.array(jellyfinBackupManifestSchema), ...options });
  }

  /** `POST /Backup/Create` (operation `CreateBackup`): the database and configuration, without metadata, trickplay or subtitles. */
  createBackup(options: CallOptions = {}): Promise<HttpResult<JellyfinBackupManifest>> {
    return this.request({ path: "/Backup/Create", method: "POST", body: { Metadata: false, Trickplay: false, Subtitles: false, Database: true }, schema: jellyfinBackupManifestSchema, ...options });
  }

  /** `POST /Backup/Restore` (operation `StartRestoreBackup`): 204, then the server restarts and restores while starting. */
  async restoreBackup(archiveFileName: string, options: CallOptions = {}): Promise<void> {
    await this.request({ path: "/Backup/Restore", method: "POST", body: { ArchiveFileName: archiveFileName }, schema: jellyfinNoContentSchema, ...options });
  }
}
