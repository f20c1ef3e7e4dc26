import "server-only";
import { defineApp } from "../define";
import { FlaresolverrClient } from "./client";
import { readFlaresolverrHealth } from "./health";

/** FlareSolverr (Cloudflare challenge proxy for Prowlarr). */
export const flaresolverr = defineApp({
  id: "flaresolverr",
  createClient: (target) => new FlaresolverrClient({ baseUrl: target.baseUrl, timeoutMs: target.timeoutMs }),
  health: readFlaresolverrHealth,
});
