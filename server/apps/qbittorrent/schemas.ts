import "server-only";
import { z } from "zod";

/** `GET /api/v2/app/version`: plain text such as `v4.5.2`. */
export const qbitVersionSchema = z.string().trim().min(1).max(64);

/** `GET /api/v2/app/webapiVersion`: plain text such as `2.8.19`. */
export const qbitWebApiVersionSchema = z.string().trim().min(1).max(32);

/** `POST /api/v2/auth/login`: `Ok.` or `Fails.` (both HTTP 200). */
export const qbitLoginSchema = z.string();

/** `GET /api/v2/transfer/info` (fields the panel uses). */
export const qbitTransferInfoSchema = z
  .object({
    connection_status: z.enum(["connected", "firewalled", "disconnected"]),
    dl_info_speed: z.number().nullish(),
    up_info_speed: z.number().nullish(),
    dht_nodes: z.number().nullish(),
  })
  .loose();
export type QbitTransferInfo = z.infer<typeof qbitTransferInfoSchema>;
