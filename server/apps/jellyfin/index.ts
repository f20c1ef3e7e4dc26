import "server-only";
import { defineApp } from "../define";
import { jellyfinBackup, jellyfinRestore } from "./backups";
import { JellyfinClient } from "./client";
import { readJellyfinHealth } from "./health";

/** Jellyfin (media server). Its health endpoints need no key; the key serves the integrations and is checked with `/System/Info`. */
export const jellyfin = defineApp({
  id: "jellyfin",
  createClient: (target) => new JellyfinClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readJellyfinHealth,
  configVolume: { mountPath: "/config", exclude: ["log", "cache", "data/backups", "data/transcodes"], check: [], runningMarkers: [] },
  checkCredentials: async (client, ctx) => {
    await client.getSystemInfo(ctx);
  },
  backup: jellyfinBackup,
  restore: jellyfinRestore,
});
