import "server-only";
import { z } from "zod";

/** `GET /`: `{ msg: "FlareSolverr is ready!", version, userAgent }`. */
export const flaresolverrIndexSchema = z.object({ msg: z.string(), version: z.string(), userAgent: z.string().nullish() }).loose();
export type FlaresolverrIndex = z.infer<typeof flaresolverrIndexSchema>;
