import "server-only";
import { z } from "zod";

/** `GET /v1/vpn/status`: `{ status: "running" | "stopped" }` (other words from older builds pass through). */
export const gluetunStatusSchema = z.object({ status: z.string() }).loose();
export type GluetunStatus = z.infer<typeof gluetunStatusSchema>;

/** `GET /v1/publicip/ip`: the exit address; `public_ip` is empty while unknown. */
export const gluetunPublicIpSchema = z
  .object({
    public_ip: z.string(),
    region: z.string().nullish(),
    country: z.string().nullish(),
    city: z.string().nullish(),
    organization: z.string().nullish(),
  })
  .loose();
export type GluetunPublicIp = z.infer<typeof gluetunPublicIpSchema>;

/** `GET /v1/version` (v3.40 and later). */
export const gluetunVersionSchema = z.object({ version: z.string() }).loose();
