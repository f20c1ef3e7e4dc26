import "server-only";
import type { AppEndpoint, KnownAppKind } from "@/lib/apps/catalogue";
import type { AppTarget } from "../define";
import { endpointUrl, readEndpoint, type EndpointReading } from "../endpoint";

/** What a status client needs to know of its app: the catalogue's endpoints. */
export interface StatusApp {
  id: KnownAppKind;
  label: string;
  identity: AppEndpoint | null;
  ready: AppEndpoint | null;
}

/**
 * Client of an app the panel checks through its public endpoints only (Loki, Grafana, Alertmanager,
 * the ingress controllers, cert-manager, Argo CD's components...): one instance per app instance, no
 * credentials.
 */
export class StatusClient {
  constructor(
    readonly app: StatusApp,
    private readonly target: AppTarget,
  ) {}

  /** GET of one of the app's endpoints, judged against the catalogue. Throws AppError when no answer came. */
  read(endpoint: AppEndpoint, signal?: AbortSignal): Promise<EndpointReading> {
    const url = endpointUrl(this.target.baseUrl, this.target.urlBase ?? "", endpoint);
    return readEndpoint({ timeoutMs: this.target.timeoutMs, appName: this.app.label, source: this.app.id }, url, endpoint, signal);
  }
}
