import "server-only";
import { eq } from "drizzle-orm";
import { AppError } from "@/lib/errors";
import type { SessionUser } from "@/lib/roles";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { settings } from "@/server/db/schema";

/**
 * Who may read logs: admins always; viewers when the setting says so (Settings page, audited), its
 * default from `observability.logs.viewersByDefault`. Logs can hold what a household member should
 * not read (paths, names, addresses), so viewers are kept out unless an admin opens them.
 */

/** Key of the setting in the settings table. */
export const LOGS_FOR_VIEWERS_SETTING = "logsForViewers";

/** Whether viewers may read logs now. */
export function logsOpenToViewers(): boolean {
  const row = getDb().select().from(settings).where(eq(settings.key, LOGS_FOR_VIEWERS_SETTING)).get();
  if (row) return row.value === "true";
  return getConfig().observability.logs.viewersByDefault;
}

/** Opens logs to viewers or closes them again; `by` is recorded with the setting. */
export function setLogsOpenToViewers(open: boolean, by: string, now = Date.now()): void {
  const value = open ? "true" : "false";
  getDb()
    .insert(settings)
    .values({ key: LOGS_FOR_VIEWERS_SETTING, value, updatedAt: now, updatedBy: by })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now, updatedBy: by } })
    .run();
}

/** True when `user` may read logs. */
export function canReadLogs(user: Pick<SessionUser, "role">): boolean {
  return user.role === "admin" || logsOpenToViewers();
}

/** Throws `forbidden` when `user` may not read logs, saying who can open them. */
export function assertCanReadLogs(user: Pick<SessionUser, "role">): void {
  if (!canReadLogs(user)) {
    throw new AppError("forbidden", "Logs are shown to admins. An admin can open them to viewers in Settings.");
  }
}
