import "server-only";
import { defineApp } from "../define";
import { bazarrLinks } from "./integration";
import { BazarrClient } from "./client";
import { readBazarrHealth } from "./health";

/** Bazarr (subtitles). */
export const bazarr = defineApp({
  id: "bazarr",
  displayName: "Bazarr",
  defaultPort: 6767,
  apiKey: { secretKey: "BAZARR_API_KEY" },
  createClient: (target) => new BazarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readBazarrHealth,
  integrations: bazarrLinks,
});
