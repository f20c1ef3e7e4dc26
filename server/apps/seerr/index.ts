import "server-only";
import { APP_CATALOGUE, type KnownAppKind } from "@/lib/apps/catalogue";
import { defineApp, type AppModule } from "../define";
import type { SeerrApp } from "./client";
import { readSeerrApiHealth } from "./health";
import { seerrLinks } from "./integration";
import { SeerrSettingsClient } from "./settings";

/**
 * The Jellyseerr family: Jellyseerr and its successor Seerr serve one API (`/api/v1`). Their status
 * endpoints need no key; the key serves the integrations (their Jellyfin server and the Sonarr and
 * Radarr servers requests go to) and is checked against the admin settings.
 */
function defineSeerrApp<Id extends KnownAppKind>(id: Id): AppModule<Id, SeerrSettingsClient> {
  const app: SeerrApp = { id, appName: APP_CATALOGUE[id].label };
  return defineApp<KnownAppKind, SeerrSettingsClient>({
    id,
    createClient: (target) => new SeerrSettingsClient(app, { baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
    health: readSeerrApiHealth,
    configVolume: { mountPath: "/app/config", exclude: ["logs"], check: ["settings.json:json"], runningMarkers: [] },
    checkCredentials: (client, ctx) => client.checkKey(ctx),
    integrations: () => seerrLinks(app),
  }) as AppModule<Id, SeerrSettingsClient>;
}

/** Jellyseerr (requests, Jellyfin edition). */
export const jellyseerr = defineSeerrApp("jellyseerr");

/** Seerr (requests; Jellyseerr's successor). */
export const seerr = defineSeerrApp("seerr");
