import "server-only";
import { APP_CATALOGUE, type KnownAppKind } from "@/lib/apps/catalogue";
import type { DiscoveredService } from "@/lib/services";
import { getConfig } from "@/server/config/load";
import { listServices } from "@/server/k8s";
import { baseUrlOf } from "./resolve";

/**
 * The address of a supporting service the panel reads from (Prometheus, Loki), found like the apps:
 * the first discovered workload of that kind in the watched namespaces, its Service's in-cluster
 * address with its URL base, rewritten through `addressMap` for a panel running outside the cluster.
 */
export async function discoveredServiceUrl(kind: KnownAppKind): Promise<{ url: string; service: DiscoveredService } | undefined> {
  const services = await listServices();
  const service = services.find((s) => s.appKind === kind && s.kube.desired > 0) ?? services.find((s) => s.appKind === kind);
  if (!service) return undefined;
  const entry = APP_CATALOGUE[kind];
  const url = baseUrlOf(service, { fixedPort: entry.fixedPort ?? undefined, defaultPort: entry.port ?? undefined, defaultUrlBase: entry.urlBase }, getConfig().addressMap);
  return { url, service };
}
