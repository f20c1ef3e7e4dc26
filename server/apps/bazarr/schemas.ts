import "server-only";
import { z } from "zod";

/** `GET /api/system/status`: `{ data: { bazarr_version, ... } }` (Bazarr publishes no response schemas). */
export const bazarrStatusSchema = z.object({
  data: z.object({ bazarr_version: z.string(), sonarr_version: z.string().nullish(), radarr_version: z.string().nullish() }).loose(),
});
export type BazarrStatus = z.infer<typeof bazarrStatusSchema>["data"];

/** `GET /api/system/health`: `{ data: [{ object, issue }] }`, one entry per problem Bazarr sees. */
export const bazarrHealthSchema = z.object({
  data: z.array(z.object({ object: z.string().nullish(), issue: z.string() }).loose()),
});
export type BazarrHealthIssue = z.infer<typeof bazarrHealthSchema>["data"][number];

/** `GET /api/system/backups`: `{ data: [{ type, filename, size: "2.4 KB", date: "Dec 06 2026" }] }`, newest first. */
export const bazarrBackupListSchema = z.object({
  data: z.array(z.object({ filename: z.string(), size: z.string().nullish(), date: z.string().nullish(), type: z.string().nullish() }).loose()),
});
export type BazarrBackupEntry = z.infer<typeof bazarrBackupListSchema>["data"][number];

/** The empty answer (204) of `POST` and `PATCH /api/system/backups`. */
export const bazarrNoContentSchema = z.unknown();
