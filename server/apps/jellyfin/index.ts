import "server-only";
import { defineApp } from "../define";
import { JellyfinClient } from "./client";
import { readJellyfinHealth } from "./health";

/** Jellyfin (media server). Its health endpoints need no key; the key serves the integrations. */
export const jellyfin = defineApp({
  id: "jellyfin",
  displayName: "Jellyfin",
  defaultPort: 8096,
  apiKey: { secretKey: "JELLYFIN_API_KEY", required: false },
  createClient: (target) => new JellyfinClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readJellyfinHealth,
});
