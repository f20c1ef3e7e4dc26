import "server-only";
import { defineApp } from "../define";
import { sonarrLinks } from "./integration";
import { SonarrClient } from "./client";
import { readSonarrHealth } from "./health";

/** Sonarr. */
export const sonarr = defineApp({
  id: "sonarr",
  displayName: "Sonarr",
  defaultPort: 8989,
  apiKey: { secretKey: "SONARR_API_KEY", envConvention: "SONARR__AUTH__APIKEY" },
  createClient: (target) => new SonarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readSonarrHealth,
  integrations: sonarrLinks,
});
