import "server-only";
import { z } from "zod";

/** `GET /api/v1/status` (public): version and restart/update flags. */
export const seerrStatusSchema = z
  .object({
    version: z.string(),
    commitTag: z.string().nullish(),
    updateAvailable: z.boolean().nullish(),
    commitsBehind: z.number().nullish(),
    restartRequired: z.boolean().nullish(),
  })
  .loose();
export type SeerrStatus = z.infer<typeof seerrStatusSchema>;

/** `GET /api/v1/settings/public` (public): whether the setup is done. */
export const seerrPublicSettingsSchema = z.object({ initialized: z.boolean().nullish() }).loose();
export type SeerrPublicSettings = z.infer<typeof seerrPublicSettingsSchema>;
