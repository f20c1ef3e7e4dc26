import "server-only";
import type { AppHealth } from "@/lib/services";
import type { ProbeContext } from "../define";
import { readSeerrApiHealth } from "../seerr-api/health";
import type { JellyseerrClient } from "./client";

/** Jellyseerr's health: `/api/v1/status` and its public settings. */
export function readJellyseerrHealth(client: JellyseerrClient, ctx: ProbeContext): Promise<AppHealth> {
  return readSeerrApiHealth(client, ctx);
}
