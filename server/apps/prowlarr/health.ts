import "server-only";
import type { AppHealth } from "@/lib/services";
import { readArrHealth } from "../arr/health";
import type { ProbeContext } from "../define";
import type { ProwlarrClient } from "./client";

/** Prowlarr's health: `system/status` (version), `/ping`, and its own `/api/v1/health` items verbatim. */
export function readProwlarrHealth(client: ProwlarrClient, ctx: ProbeContext): Promise<AppHealth> {
  return readArrHealth(client, ctx);
}
