import "server-only";
import { SeerrApiClient, type SeerrClientOptions } from "../seerr-api/client";

/** Client of one Seerr instance (`new SeerrClient({ baseUrl, apiKey, timeoutMs })`). */
export class SeerrClient extends SeerrApiClient {
  constructor(options: SeerrClientOptions) {
    super({ id: "seerr", appName: "Seerr" }, options);
  }
}
