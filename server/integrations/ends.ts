import "server-only";
import type { PanelConfig } from "@/lib/config-schema";
import { isAppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import type { AppKind } from "@/lib/apps/catalogue";
import { appLabel } from "@/lib/apps/catalogue";
import type { AppResolution } from "@/server/apps/define";
import type { AppEnd } from "@/server/apps/links";
import { getAppModule } from "@/server/apps/registry";
import { baseUrlOf, resolveApp, type ResolveDeps } from "@/server/apps/resolve";
import { getUrlBaseVerifier } from "@/server/apps/url-base";
import { getConfig } from "@/server/config/load";
import { listServices, readSecretValue, readWorkloadEnv } from "@/server/k8s";

/**
 * The app instances the links connect, found by discovery and resolved by `server/apps/resolve.ts`:
 * the address the panel calls (through `addressMap` when it runs outside the cluster) and the
 * in-cluster address it writes into the other apps, plus the credentials from the Secret or the
 * panel's environment.
 */

/** Where discovery and resolution come from (the process-wide ones, or a test's). */
export interface EndsSource {
  config: PanelConfig;
  listServices(): Promise<DiscoveredService[]>;
  resolveDeps: ResolveDeps;
}

/** The app ends by kind, and what kept some from being found. */
export interface EndsSnapshot {
  ends: Map<AppKind, AppEnd[]>;
  /** The resolution behind each end with an app module, by service id (the shared instances of `server/apps/instances.ts`). */
  resolutions: Map<string, AppResolution>;
  services: DiscoveredService[];
  notices: string[];
}

/** The process-wide source: the panel's config, discovery and Secrets. */
export function defaultEndsSource(): EndsSource {
  const config = getConfig();
  return {
    config,
    listServices,
    resolveDeps: {
      config,
      readSecretValue,
      readWorkloadEnv,
      env: process.env,
      timeoutMs: config.integrations.requestTimeoutMs,
      // The URL bases the prober verified (shared: no second verification).
      urlBases: getUrlBaseVerifier(),
    },
  };
}

/** Scheme, host, port and URL base of an in-cluster base URL. */
export function parseInCluster(url: string): AppEnd["inCluster"] {
  const u = new URL(url);
  const scheme = u.protocol === "https:" ? "https" : "http";
  const port = u.port ? Number(u.port) : scheme === "https" ? 443 : 80;
  const urlBase = u.pathname.replace(/\/+$/, "");
  return { scheme, host: u.hostname, port, urlBase, url: `${scheme}://${u.hostname}:${port}${urlBase}` };
}

/**
 * Resolves every discovered app instance the links can use. Never throws: problems become notices.
 * `bareKinds`: kinds without an app module that links start from (Unpackerr, wired through Git):
 * they become ends without an address or credentials.
 */
export async function discoverEnds(source: EndsSource, bareKinds: ReadonlySet<AppKind> = new Set()): Promise<EndsSnapshot> {
  const notices: string[] = [];
  let services: DiscoveredService[] = [];
  try {
    services = await source.listServices();
  } catch (error) {
    notices.push(`The apps could not be discovered: ${isAppError(error) ? error.message : "Kubernetes discovery failed (see the panel's log)"}.`);
  }
  const counts = new Map<AppKind, number>();
  for (const s of services) counts.set(s.appKind, (counts.get(s.appKind) ?? 0) + 1);
  const ends = new Map<AppKind, AppEnd[]>();
  const resolutions = new Map<string, AppResolution>();
  const add = (end: AppEnd) => ends.set(end.app, [...(ends.get(end.app) ?? []), end]);
  await Promise.all(
    services.map(async (service) => {
      const appModule = getAppModule(service.appKind);
      const label = appModule?.displayName ?? appLabel(service.appKind);
      const name = (counts.get(service.appKind) ?? 0) > 1 ? `${label} (${service.name})` : label;
      if (!appModule) {
        if (!bareKinds.has(service.appKind)) return;
        add({
          app: service.appKind,
          serviceId: service.id,
          namespace: service.namespace,
          name,
          panelUrl: "",
          inCluster: { scheme: "http", host: `${service.name}.${service.namespace}.svc.cluster.local`, port: 80, urlBase: "", url: "" },
          timeoutMs: source.config.integrations.requestTimeoutMs,
        });
        return;
      }
      try {
        const resolution = await resolveApp(service, source.resolveDeps);
        if (!resolution) return;
        resolutions.set(service.id, resolution);
        // A workload withheld its own credential is not linked either: links would send it other apps' keys.
        if (resolution.credentialError === "withheld") {
          notices.push(`${service.id}: not linked: ${resolution.credentialProblem ?? "its credential is withheld"}`);
          return;
        }
        add({
          app: service.appKind,
          serviceId: service.id,
          namespace: service.namespace,
          name,
          panelUrl: resolution.target.baseUrl,
          inCluster: parseInCluster(resolution.inClusterUrl ?? baseUrlOf(service, appModule, {})),
          timeoutMs: resolution.target.timeoutMs,
          ...(resolution.target.apiKey ? { apiKey: resolution.target.apiKey } : {}),
          ...(resolution.target.username ? { username: resolution.target.username } : {}),
          ...(resolution.target.password ? { password: resolution.target.password } : {}),
          ...(resolution.credentialProblem ? { credentialProblem: resolution.credentialProblem } : {}),
          ...(resolution.credentialSource ? { credentialSource: resolution.credentialSource } : {}),
        });
      } catch (error) {
        notices.push(`${service.id}: ${isAppError(error) ? error.message : "could not be resolved"}`);
      }
    }),
  );
  for (const list of ends.values()) list.sort((a, b) => a.serviceId.localeCompare(b.serviceId));
  return { ends, resolutions, services, notices };
}

/** Every secret value the ends hold (scrubbed from anything the panel shows). */
export function secretsOf(ends: ReadonlyMap<AppKind, readonly AppEnd[]>): string[] {
  const out = new Set<string>();
  for (const list of ends.values()) {
    for (const e of list) {
      if (e.apiKey) out.add(e.apiKey);
      if (e.password) out.add(e.password);
    }
  }
  return [...out];
}
