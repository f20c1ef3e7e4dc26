import "server-only";
import { ArrClient, type ArrClientOptions, type ArrFlavor } from "../arr/client";

/** Prowlarr: API v1. */
export const PROWLARR_FLAVOR: ArrFlavor = { id: "prowlarr", appName: "Prowlarr", apiVersion: "v1" };

/** Client of one Prowlarr instance (`new ProwlarrClient({ baseUrl, apiKey, timeoutMs })`). */
export class ProwlarrClient extends ArrClient {
  constructor(options: ArrClientOptions) {
    super(PROWLARR_FLAVOR, options);
  }
}
