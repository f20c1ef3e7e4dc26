import "server-only";
import { AppError } from "@/lib/errors";
import type { AppBackup, BackupCapability, CallContext, RestoreCapability } from "../define";
import type { JellyfinClient } from "./client";
import type { JellyfinBackupManifest } from "./schemas";

/**
 * Jellyfin 10.11's own backups (`BackupController`): ZIP archives with a manifest in
 * `data/backups`. The archive's file name is the backup's id: `POST /Backup/Restore` takes only
 * the file name, and the server restores it while it restarts.
 */

const fileNameOf = (path: string): string => path.split(/[/\\]/).pop() ?? path;

const toAppBackup = (m: JellyfinBackupManifest): AppBackup => {
  const name = fileNameOf(m.Path);
  const at = Date.parse(m.DateCreated);
  return { id: name, name, createdAt: Number.isNaN(at) ? new Date(0).toISOString() : new Date(at).toISOString() };
};

/** `GET /Backup`: the archives Jellyfin can restore (the ones with a manifest), newest first. */
async function listJellyfinBackups(client: JellyfinClient, ctx: CallContext): Promise<AppBackup[]> {
  const { data } = await client.listBackups(ctx);
  return data.map(toAppBackup).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `POST /Backup/Create` with the database and configuration (no metadata, trickplay or subtitles):
 * answers the new archive's manifest. Jellyfin names an archive by the second it was made and
 * writes over one of the same name: waiting a second first keeps a backup made just before (the
 * one about to be restored) from being replaced.
 */
async function createJellyfinBackup(client: JellyfinClient, ctx: CallContext): Promise<AppBackup> {
  await sleep(1100);
  const { data } = await client.createBackup(ctx);
  return toAppBackup(data);
}

/** `POST /Backup/Restore`: Jellyfin answers 204 and restarts, restoring the archive while it starts. */
async function restoreJellyfinBackup(client: JellyfinClient, backupId: string, ctx: CallContext): Promise<void> {
  if (!/^[^/\\]+\.zip$/.test(backupId)) throw new AppError("invalid_input", `${backupId} is not a backup archive of Jellyfin.`, { source: "jellyfin" });
  await client.restoreBackup(backupId, ctx);
}

export const jellyfinBackup: BackupCapability<JellyfinClient> = { list: listJellyfinBackups, create: createJellyfinBackup };
export const jellyfinRestore: RestoreCapability<JellyfinClient> = { restore: restoreJellyfinBackup };
