import "server-only";
import { defineApp } from "../define";
import { SabnzbdClient } from "./client";
import { readSabnzbdHealth } from "./health";

/** SABnzbd (Usenet downloads); a download client of the *arr apps. Its key is checked by reading the queue. */
export const sabnzbd = defineApp({
  id: "sabnzbd",
  createClient: (target) => new SabnzbdClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readSabnzbdHealth,
  configVolume: { mountPath: "/config", exclude: ["logs", "admin/history1.db-journal"], check: ["sabnzbd.ini:ini"], runningMarkers: [] },
  checkCredentials: async (client, ctx) => {
    await client.getQueue(ctx);
  },
  downloadClient: { implementation: "Sabnzbd" },
});
