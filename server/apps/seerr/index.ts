import "server-only";
import { defineApp } from "../define";
import { seerrLinks } from "./integration";
import { SeerrClient } from "./client";
import { readSeerrHealth } from "./health";

/** Seerr (requests). Its status endpoint needs no key; the key serves the integrations. */
export const seerr = defineApp({
  id: "seerr",
  displayName: "Seerr",
  defaultPort: 5055,
  apiKey: { secretKey: "SEERR_API_KEY", required: false },
  createClient: (target) => new SeerrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readSeerrHealth,
  integrations: seerrLinks,
});
