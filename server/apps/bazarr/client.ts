import "server-only";
import { KeyHeaderClient, type HttpResult, type KeyClientOptions } from "../http";
import { bazarrBackupListSchema, bazarrHealthSchema, bazarrNoContentSchema, bazarrStatusSchema, type BazarrBackupEntry, type BazarrHealthIssue, type BazarrStatus } from "./schemas";

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

  /** `GET /api/system/backups`: the backups in Bazarr's backup folder, newest first. */
  async listBackups(options: CallOptions = {}): Promise<HttpResult<BazarrBackupEntry[]>> {
    const r = await this.request({ path: "/api/system/backups", schema: bazarrBackupListSchema, ...options });
    return { ...r, data: r.data.data };
  }

  /** `POST /api/system/backups`: Bazarr writes a backup now (204). */
  async createBackup(options: CallOptions = {}): Promise<void> {
    await this.request({ path: "/api/system/backups", method: "POST", schema: bazarrNoContentSchema, ...options });
  }

  /** `PATCH /api/system/backups?filename=`: Bazarr prepares the restore and restarts to apply it (204). */
  async restoreBackup(filename: string, options: CallOptions = {}): Promise<void> {
    await this.request({ path: "/api/system/backups", method: "PATCH", query: { filename }, schema: bazarrNoContentSchema, ...options });
  }
}
