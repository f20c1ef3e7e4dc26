import "server-only";
import { defineApp } from "../define";
import { jellyseerrLinks } from "./integration";
import { JellyseerrClient } from "./client";
import { readJellyseerrHealth } from "./health";

/** Jellyseerr (requests). Its status endpoint needs no key; the key serves the integrations. */
export const jellyseerr = defineApp({
  id: "jellyseerr",
  displayName: "Jellyseerr",
  defaultPort: 5055,
  apiKey: { secretKey: "JELLYSEERR_API_KEY", required: false },
  createClient: (target) => new JellyseerrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readJellyseerrHealth,
  integrations: jellyseerrLinks,
});
