import "server-only";
import type { KnownAppKind } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import type { AppModule } from "../define";
import type { AppEnd, LinkContext, LinkDefinition, Observation, WriteResult } from "../links";
import type { ArrFlavor } from "./client";
import { arrFactsOf, defineArrApp } from "./family";
import { arrClient } from "./integration";
import { applyProvider, readProvider, type ProviderLinkSpec } from "./provider-link";

/**
 * Prowlarr (indexers): API v1. Its links: an "application" per app it can push indexers to (every
 * *arr app whose family facts name a Prowlarr application implementation; operation
 * `CreateApplications`: Prowlarr's own in-cluster URL, the app's in-cluster URL with its URL base,
 * the app's API key, the sync level), and FlareSolverr as an indexer proxy (`CreateIndexerProxy`,
 * implementation `FlareSolverr`, tagged so indexers can opt in).
 */

const SYNC_WORDS = { fullSync: "full sync", addOnly: "add and remove only", disabled: "disabled" } as const;

function target(ctx: LinkContext): AppEnd {
  if (!ctx.to) throw new AppError("internal", "an application link needs a target app");
  return ctx.to;
}

function applicationSpec(implementation: string, ctx: LinkContext): ProviderLinkSpec {
  const to = target(ctx);
  return {
    resource: "applications",
    implementation,
    name: to.name,
    targetField: "baseUrl",
    namespace: ctx.from.namespace,
    fields: [
      { field: "prowlarrUrl", label: "Prowlarr server", value: ctx.from.inCluster.url, compare: "url" },
      { field: "baseUrl", label: `${to.name} server`, value: to.inCluster.url, compare: "url" },
      { field: "apiKey", label: "API key", value: to.apiKey ?? "", secret: true },
    ],
    properties: [{ field: "syncLevel", label: "Sync level", value: ctx.settings.prowlarrSyncLevel }],
    secretValues: { apiKey: to.apiKey },
    appName: ctx.from.name,
    targetName: to.name,
    what: "application",
  };
}

/** `Prowlarr -> Sonarr|Radarr|...`: one application per instance of the app. */
function applicationLink(prowlarr: ArrFlavor, app: KnownAppKind, implementation: string): LinkDefinition {
  const id = `${prowlarr.id}->${app}`;
  return {
    id,
    kind: "indexer-sync",
    from: prowlarr.id,
    to: app,
    title: "indexer sync (application)",
    phase: 2,
    pairing: "each",
    async read(ctx: LinkContext): Promise<Observation> {
      const obs = await readProvider(arrClient(prowlarr, ctx.from), applicationSpec(implementation, ctx), ctx, `${id}|${ctx.from.serviceId}|${target(ctx).serviceId}`);
      const facts = [...(obs.facts ?? []), `sync level: ${SYNC_WORDS[ctx.settings.prowlarrSyncLevel]}`];
      const to = target(ctx);
      if (obs.state !== "ok" && !to.apiKey) {
        return { ...obs, facts, blocked: `${to.name}'s API key is not available to the panel (${to.credentialProblem ?? "not configured"}).` };
      }
      return { ...obs, facts };
    },
    apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      return applyProvider(arrClient(prowlarr, ctx.from), applicationSpec(implementation, ctx), observation, ctx);
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
function flaresolverrProxyLink(prowlarr: ArrFlavor): LinkDefinition {
  return {
    id: `${prowlarr.id}->flaresolverr`,
    kind: "indexer-proxy",
    from: prowlarr.id,
    to: "flaresolverr",
    title: "indexer proxy",
    phase: 2,
    pairing: "first",
    async read(ctx: LinkContext): Promise<Observation> {
      const obs = await readProvider(arrClient(prowlarr, ctx.from), proxySpec(ctx), ctx, `${prowlarr.id}->flaresolverr|${ctx.from.serviceId}`);
      return obs.state === "ok" ? { ...obs, facts: [...(obs.facts ?? []), 'indexers tagged "flaresolverr" use it'] } : obs;
    },
    apply(ctx: LinkContext, observation: Observation): Promise<WriteResult> {
      return applyProvider(arrClient(prowlarr, ctx.from), proxySpec(ctx), observation, ctx);
    },
  };
}

/** Prowlarr's links: an application per registered app Prowlarr can sync to, and FlareSolverr. */
function prowlarrLinks(prowlarr: ArrFlavor, apps: readonly AppModule[]): LinkDefinition[] {
  const applications = apps.flatMap((m) => {
    const implementation = arrFactsOf(m)?.prowlarrApplication;
    return implementation ? [applicationLink(prowlarr, m.id, implementation)] : [];
  });
  return [...applications, flaresolverrProxyLink(prowlarr)];
}

/** Prowlarr. */
export const prowlarr = defineArrApp({ id: "prowlarr", apiVersion: "v1", prowlarrApplication: null, library: null, links: prowlarrLinks });
