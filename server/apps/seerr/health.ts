import "server-only";
import type { AppHealth } from "@/lib/services";
import type { ProbeContext } from "../define";
import { readSeerrApiHealth } from "../seerr-api/health";
import type { SeerrClient } from "./client";

/** Seerr's health: `/api/v1/status` and its public settings. */
export function readSeerrHealth(client: SeerrClient, ctx: ProbeContext): Promise<AppHealth> {
  return readSeerrApiHealth(client, ctx);
}
