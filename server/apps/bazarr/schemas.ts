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
