import "server-only";
import { defineApp } from "../define";
import { lidarrLinks } from "./integration";
import { LidarrClient } from "./client";
import { readLidarrHealth } from "./health";

/** Lidarr. */
export const lidarr = defineApp({
  id: "lidarr",
  displayName: "Lidarr",
  defaultPort: 8686,
  apiKey: { secretKey: "LIDARR_API_KEY", envConvention: "LIDARR__AUTH__APIKEY" },
  createClient: (target) => new LidarrClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readLidarrHealth,
  integrations: lidarrLinks,
});
