import "server-only";
import { defineApp } from "../define";
import { bazarrBackup, bazarrRestore } from "./backups";
import { BazarrClient } from "./client";
import { readBazarrHealth } from "./health";
import { bazarrLinks } from "./integration";

/** Bazarr (subtitles). Its key is checked with `system/status`, which needs it. */
export const bazarr = defineApp({
  id: "bazarr",
  createClient: (target) => new BazarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readBazarrHealth,
  configVolume: { mountPath: "/config", exclude: ["log", "backup", "cache"], check: ["config/config.yaml:yaml"], runningMarkers: [] },
  checkCredentials: async (client, ctx) => {
    await client.getStatus(ctx);
  },
  integrations: () => bazarrLinks,
  backup: bazarrBackup,
  restore: bazarrRestore,
});
