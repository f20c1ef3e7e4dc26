import "server-only";
import { ArrClient, type ArrClientOptions, type ArrFlavor } from "../arr/client";

/** Radarr: API v3. */
export const RADARR_FLAVOR: ArrFlavor = { id: "radarr", appName: "Radarr", apiVersion: "v3" };

/** Client of one Radarr instance (`new RadarrClient({ baseUrl, apiKey, timeoutMs })`). */
export class RadarrClient extends ArrClient {
  constructor(options: ArrClientOptions) {
    super(RADARR_FLAVOR, options);
  }
}
