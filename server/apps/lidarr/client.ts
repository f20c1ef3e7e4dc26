import "server-only";
import { ArrClient, type ArrClientOptions, type ArrFlavor } from "../arr/client";

/** Lidarr: API v1. */
export const LIDARR_FLAVOR: ArrFlavor = { id: "lidarr", appName: "Lidarr", apiVersion: "v1" };

/** Client of one Lidarr instance (`new LidarrClient({ baseUrl, apiKey, timeoutMs })`). */
export class LidarrClient extends ArrClient {
  constructor(options: ArrClientOptions) {
    super(LIDARR_FLAVOR, options);
  }
}
