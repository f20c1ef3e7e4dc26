import "server-only";
import { defineApp } from "../define";
import { SabnzbdClient } from "./client";
import { readSabnzbdHealth } from "./health";

/** SABnzbd (Usenet downloads). */
export const sabnzbd = defineApp({
  id: "sabnzbd",
  displayName: "SABnzbd",
  defaultPort: 8080,
  apiKey: { secretKey: "SABNZBD_API_KEY" },
  createClient: (target) => new SabnzbdClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readSabnzbdHealth,
});
