import "server-only";
import type { AppHealth } from "@/lib/services";
import { readArrHealth } from "../arr/health";
import type { ProbeContext } from "../define";
import type { SonarrClient } from "./client";

/** Sonarr's health: `system/status` (version), `/ping`, and its own `/api/v3/health` items verbatim. */
export function readSonarrHealth(client: SonarrClient, ctx: ProbeContext): Promise<AppHealth> {
  return readArrHealth(client, ctx);
}
