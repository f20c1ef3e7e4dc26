import "server-only";
import { z } from "zod";

/**
 * SABnzbd API answers (`GET /api?mode=...&output=json`), reduced to the fields the panel uses. An
 * error is reported as `{ status: false, error }` with HTTP 200, or as plain text with 403 for a
 * missing or wrong key.
 */

/** `mode=version` (no key needed). */
export const sabVersionSchema = z.object({ version: z.string() }).loose();

/** `{ status: false, error: "..." }`. */
export const sabErrorSchema = z.object({ status: z.literal(false), error: z.string() }).loose();

/** `mode=queue`: the queue's state. */
export const sabQueueSchema = z
  .object({
    queue: z
      .object({
        status: z.string(),
        paused: z.boolean().nullish(),
        noofslots_total: z.coerce.number().nullish(),
        noofslots: z.coerce.number().nullish(),
        speed: z.string().nullish(),
        sizeleft: z.string().nullish(),
        timeleft: z.string().nullish(),
        diskspace1_norm: z.string().nullish(),
      })
      .loose(),
  })
  .loose();
export type SabQueue = z.infer<typeof sabQueueSchema>["queue"];

/** `mode=warnings`: SABnzbd 4 gives objects, older versions plain strings. */
export const sabWarningsSchema = z
  .object({
    warnings: z.array(
      z.union([
        z.string().transform((text) => ({ text, type: "WARNING", time: undefined as number | undefined })),
        z.object({ text: z.string(), type: z.string().default("WARNING"), time: z.number().optional() }).loose(),
      ]),
    ),
  })
  .loose();
export type SabWarning = z.infer<typeof sabWarningsSchema>["warnings"][number];
