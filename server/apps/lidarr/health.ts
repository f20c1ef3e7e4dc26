import "server-only";
import type { AppHealth } from "@/lib/services";
import { readArrHealth } from "../arr/health";
import type { ProbeContext } from "../define";
import type { LidarrClient } from "./client";

/** Lidarr's health: `system/status` (version), `/ping`, and its own `/api/v1/health` items verbatim. */
export function readLidarrHealth(client: LidarrClient, ctx: ProbeContext): Promise<AppHealth> {
  return readArrHealth(client, ctx);
}
