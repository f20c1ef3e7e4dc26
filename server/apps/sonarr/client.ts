import "server-only";
import { ArrClient, type ArrClientOptions, type ArrFlavor } from "../arr/client";

/** Sonarr: API v3. */
export const SONARR_FLAVOR: ArrFlavor = { id: "sonarr", appName: "Sonarr", apiVersion: "v3" };

/** Client of one Sonarr instance (`new SonarrClient({ baseUrl, apiKey, timeoutMs })`). */
export class SonarrClient extends ArrClient {
  constructor(options: ArrClientOptions) {
    super(SONARR_FLAVOR, options);
  }
}
