import "server-only";
import { AppError } from "@/lib/errors";
import { arrClient } from "../arr/integration";
import { applyProvider, readProvider, type ProviderLinkSpec } from "../arr/provider-link";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "@/server/integrations/types";
import { PROWLARR_FLAVOR } from "./client";

/**
 * Prowlarr's links: an "application" per *arr app (Prowlarr pushes its indexers there; operation
 * `CreateApplications` with the `Sonarr`/`Radarr`/`Lidarr` implementation: Prowlarr's own in-cluster
 * URL, the app's in-cluster URL with its URL base, the app's API key, the sync level), and
 * FlareSolverr as an indexer proxy (`CreateIndexerProxy`, implementation `FlareSolverr`, tagged so
 * indexers can opt in).
 */

const APP_IMPLEMENTATION = { sonarr: "Sonarr", radarr: "Radarr", lidarr: "Lidarr" } as const;

const SYNC_WORDS = { fullSync: "full sync", addOnly: "add and remove only", disabled: "disabled" } as const;

function target(ctx: LinkContext): AppEnd {
  if (!ctx.to) throw new AppError("internal", "an application link needs a target app");
  return ctx.to;
}

function applicationSpec(app: keyof typeof APP_IMPLEMENTATION, ctx: LinkContext): ProviderLinkSpec {
  const to = target(ctx);
  return {
    resource: "applications",
    implementation: APP_IMPLEMENTATION[app],
    name: to.name,
    targetField: "baseUrl",
    namespace: ctx.from.namespace,
    fields: [
      { field: "prowlarrUrl", label: "Prowlarr server", value: ctx.from.inCluster.url, compare: "url" },
      { field: "baseUrl", label: `${to.name} server`, value: to.inCluster.url, compare: "url" },
      { field: "apiKey", label: "API key", value: "", secret: true },
    ],
    properties: [{ field: "syncLevel", label: "Sync level", value: ctx.settings.prowlarrSyncLevel }],
    secretValues: { apiKey: to.apiKey },
    appName: ctx.from.name,
    targetName: to.name,
    what: "application",
  };
}

/** `Prowlarr -> Sonarr|Radarr|Lidarr`: one application per app instance. */
export function applicationLink(app: keyof typeof APP_IMPLEMENTATION): LinkDefinition {
  return {
    id: `prowlarr->${app}`,
    kind: "indexer-sync",
    from: "prowlarr",
    to: app,
    title: "indexer sync (application)",
    phase: 2,
    pairing: "each",
    async read(ctx: LinkContext): Promise<Observation> {
      const obs = await readProvider(arrClient(PROWLARR_FLAVOR, ctx.from), applicationSpec(app, ctx), ctx, `prowlarr->${app}|${ctx.from.serviceId}|${target(ctx).serviceId}`);
      const facts = [...(obs.facts ?? []), `sync level: ${SYNC_WORDS[ctx.settings.prowlarrSyncLevel]}`];
      const to = target(ctx);
      if (obs.state !== "ok" && !to.apiKey) {
        return { ...obs, facts, blocked: `${to.name}'s API key is not available to the panel (${to.credentialProblem ?? "not configured"}).` };
      }
      return { ...obs, facts };
    },
    apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      return applyProvider(arrClient(PROWLARR_FLAVOR, ctx.from), applicationSpec(app, ctx), observation, ctx);
    },
  };
}

function proxySpec(ctx: LinkContext): ProviderLinkSpec {
  const to = target(ctx);
  return {
    resource: "indexerproxy",
    implementation: "FlareSolverr",
    name: to.name,
    targetField: "host",
    namespace: ctx.from.namespace,
    fields: [{ field: "host", label: "Host", value: `${to.inCluster.url}/`, compare: "url" }],
    secretValues: {},
    tags: ["flaresolverr"],
    appName: ctx.from.name,
    targetName: to.name,
    what: "indexer proxy",
  };
}

/** `Prowlarr -> FlareSolverr`: the indexer proxy (when FlareSolverr is deployed). */
export const flaresolverrProxyLink: LinkDefinition = {
  id: "prowlarr->flaresolverr",
  kind: "indexer-proxy",
  from: "prowlarr",
  to: "flaresolverr",
  title: "indexer proxy",
  phase: 2,
  pairing: "first",
  async read(ctx: LinkContext): Promise<Observation> {
    const obs = await readProvider(arrClient(PROWLARR_FLAVOR, ctx.from), proxySpec(ctx), ctx, `prowlarr->flaresolverr|${ctx.from.serviceId}`);
    return obs.state === "ok" ? { ...obs, facts: [...(obs.facts ?? []), 'indexers tagged "flaresolverr" use it'] } : obs;
  },
  apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
    return applyProvider(arrClient(PROWLARR_FLAVOR, ctx.from), proxySpec(ctx), observation, ctx);
  },
};
