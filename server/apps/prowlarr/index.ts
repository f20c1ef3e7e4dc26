import "server-only";
import { defineApp } from "../define";
import { prowlarrLinks } from "./integration";
import { ProwlarrClient } from "./client";
import { readProwlarrHealth } from "./health";

/** Prowlarr. */
export const prowlarr = defineApp({
  id: "prowlarr",
  displayName: "Prowlarr",
  defaultPort: 9696,
  apiKey: { secretKey: "PROWLARR_API_KEY", envConvention: "PROWLARR__AUTH__APIKEY" },
  createClient: (target) => new ProwlarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readProwlarrHealth,
  integrations: prowlarrLinks,
});
