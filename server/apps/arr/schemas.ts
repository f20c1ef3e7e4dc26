import "server-only";
import { z } from "zod";

/**
 * Response shapes shared by the *arr apps (Sonarr and Radarr API v3, Lidarr and Prowlarr API v1;
 * one code base), reduced to the fields the panel uses. Unknown fields are allowed: the apps add
 * fields between versions.
 */

/** `GET /ping` (no key): `{"status":"OK"}`; very old builds answer plain text. */
export const arrPingSchema = z.union([z.object({ status: z.string() }).loose(), z.string()]);

/** `GET /api/vN/system/status` (operation `GetSystemStatus`). */
export const arrSystemStatusSchema = z
  .object({
    appName: z.string().nullish(),
    instanceName: z.string().nullish(),
    version: z.string(),
    urlBase: z.string().nullish(),
    startTime: z.string().nullish(),
    branch: z.string().nullish(),
  })
  .loose();
export type ArrSystemStatus = z.infer<typeof arrSystemStatusSchema>;

/** `type` of a health item (`HealthCheckResult`). */
export const arrHealthTypeSchema = z.enum(["ok", "notice", "warning", "error"]);

/**
 * The spec types `wikiUrl` as an `HttpUri` object, but the apps serialise it as a string (its
 * `FullUri`); accept both.
 */
const wikiUrlSchema = z
  .union([z.string(), z.object({ fullUri: z.string().nullish() }).loose()])
  .nullish()
  .transform((v) => (typeof v === "string" ? v : (v?.fullUri ?? undefined)) || undefined);

/** One item of `GET /api/vN/health` (`HealthResource`). */
export const arrHealthItemSchema = z
  .object({
    source: z.string().nullish(),
    type: arrHealthTypeSchema,
    message: z.string().nullish(),
    wikiUrl: wikiUrlSchema,
  })
  .loose();
export type ArrHealthItem = z.infer<typeof arrHealthItemSchema>;

export const arrHealthSchema = z.array(arrHealthItemSchema);

/** One item of `GET /api/vN/system/backup` (`BackupResource`). */
export const arrBackupSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    path: z.string().nullish(),
    type: z.string().nullish(),
    size: z.number().nullish(),
    time: z.string(),
  })
  .loose();
export type ArrBackup = z.infer<typeof arrBackupSchema>;

export const arrBackupListSchema = z.array(arrBackupSchema);

/** `POST /api/vN/command` and `GET /api/vN/command/{id}` (`CommandResource`), the fields the panel follows. */
export const arrCommandSchema = z
  .object({
    id: z.number().int(),
    name: z.string().nullish(),
    status: z.string(),
    result: z.string().nullish(),
    message: z.string().nullish(),
  })
  .loose();
export type ArrCommand = z.infer<typeof arrCommandSchema>;

/** `POST /api/vN/system/backup/restore/{id}`: the spec declares no body; the apps answer `{"restartRequired": true}`. */
export const arrRestoreAnswerSchema = z.unknown();
