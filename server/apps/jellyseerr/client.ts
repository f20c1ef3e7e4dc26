import "server-only";
import { SeerrApiClient, type SeerrClientOptions } from "../seerr-api/client";

/** Client of one Jellyseerr instance (`new JellyseerrClient({ baseUrl, apiKey, timeoutMs })`). */
export class JellyseerrClient extends SeerrApiClient {
  constructor(options: SeerrClientOptions) {
    super({ id: "jellyseerr", appName: "Jellyseerr" }, options);
  }
}
