import "server-only";
import { defineApp } from "../define";
import { radarrLinks } from "./integration";
import { RadarrClient } from "./client";
import { readRadarrHealth } from "./health";

/** Radarr. */
export const radarr = defineApp({
  id: "radarr",
  displayName: "Radarr",
  defaultPort: 7878,
  apiKey: { secretKey: "RADARR_API_KEY", envConvention: "RADARR__AUTH__APIKEY" },
  createClient: (target) => new RadarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readRadarrHealth,
  integrations: radarrLinks,
});
