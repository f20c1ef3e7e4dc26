import "server-only";
import { AppError } from "@/lib/errors";
import type { AppBackup, BackupCapability, CallContext, RestoreCapability } from "../define";
import type { BazarrClient } from "./client";
import type { BazarrBackupEntry } from "./schemas";

/**
 * Bazarr's own backups (`bazarr/api/system/backups.py`, `utilities/backup.py`): a ZIP of its
 * database (online backup) and `config.yaml` in its backup folder, named
 * `bazarr_backup_v<version>_<yyyy.MM.dd_HH.mm.ss>.zip`; the file name is the backup's id.
 */

const STAMP = /_(\d{4})\.(\d{2})\.(\d{2})_(\d{2})\.(\d{2})\.(\d{2})\.zip$/;
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** When Bazarr made it: the stamp of the file name (Bazarr's local time, read as UTC), else the listed day. */
function createdAtOf(b: BazarrBackupEntry): string {
  const m = STAMP.exec(b.filename);
  if (m) return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))).toISOString();
  const day = Date.parse(`${b.date ?? ""} UTC`);
  return Number.isNaN(day) ? new Date(0).toISOString() : new Date(day).toISOString();
}

/** `sizeof_fmt`'s "2.4 KB" (powers of 1000) back to bytes, roughly. */
function sizeOf(text: string | null | undefined): number | undefined {
  const m = /^([\d.]+)\s*([KMGT]?B)$/.exec((text ?? "").trim());
  return m ? Math.round(Number(m[1]) * (UNITS[m[2] as string] ?? 1)) : undefined;
}

const toAppBackup = (b: BazarrBackupEntry): AppBackup => {
  const size = sizeOf(b.size);
  return { id: b.filename, name: b.filename, createdAt: createdAtOf(b), ...(size !== undefined ? { sizeBytes: size } : {}) };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listBazarrBackups(client: BazarrClient, ctx: CallContext): Promise<AppBackup[]> {
  const { data } = await client.listBackups(ctx);
  return data.map(toAppBackup).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * `POST system/backups`, then the backup Bazarr lists that it did not list before. Bazarr names a
 * backup by the second it was made and writes over a file of the same name: waiting a second first
 * keeps a backup made just before (the one about to be restored) from being replaced.
 */
async function createBazarrBackup(client: BazarrClient, ctx: CallContext): Promise<AppBackup> {
  const before = new Set((await client.listBackups(ctx)).data.map((b) => b.filename));
  await sleep(1100);
  await client.createBackup(ctx);
  const made = (await client.listBackups(ctx)).data.filter((b) => !before.has(b.filename)).map(toAppBackup).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!made) throw new AppError("invalid_response", "Bazarr answered the backup request but lists no new backup.", { source: "bazarr" });
  return made;
}

/** `PATCH system/backups?filename=`: Bazarr unpacks the backup for its next start and restarts itself. */
async function restoreBazarrBackup(client: BazarrClient, backupId: string, ctx: CallContext): Promise<void> {
  if (!/^bazarr_backup_v[^/\\]*\.zip$/.test(backupId)) throw new AppError("invalid_input", `${backupId} is not a backup of Bazarr.`, { source: "bazarr" });
  await client.restoreBackup(backupId, ctx);
}

export const bazarrBackup: BackupCapability<BazarrClient> = { list: listBazarrBackups, create: createBazarrBackup };
export const bazarrRestore: RestoreCapability<BazarrClient> = { restore: restoreBazarrBackup };
