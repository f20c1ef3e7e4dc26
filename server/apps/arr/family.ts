import "server-only";
import { APP_CATALOGUE, type KnownAppKind, type LibraryAppKind } from "@/lib/apps/catalogue";
import { defineApp, type AppModule } from "../define";
import type { LinkDefinition } from "../links";
import { ArrClient, type ArrFlavor } from "./client";
import { readArrHealth } from "./health";
import { libraryLinks, type ArrLibrary } from "./integration";

/**
 * The *arr family (Sonarr, Radarr, Lidarr, Prowlarr, and the apps forked from them): one API, one
 * client, one health reading; an app of the family is its id, its API version and what it manages.
 * Its other facts (name, port, key) are its catalogue entry.
 */

/** What one *arr app declares. */
export interface ArrAppDefinition<Id extends KnownAppKind> {
  id: Id;
  /** `v3` for Sonarr and Radarr, `v1` for Lidarr and Prowlarr. */
  apiVersion: ArrFlavor["apiVersion"];
  /**
   * The implementation name in Prowlarr's application schema (`Sonarr`) when Prowlarr can push its
   * indexers to the app; null when it cannot.
   */
  prowlarrApplication: string | null;
  /** For an app that manages a library: its download clients' category field and its root folders. */
  library: Id extends LibraryAppKind ? ArrLibrary : null;
  /** Links the app holds besides its library's (Prowlarr's applications), given every registered module. */
  links?: (flavor: ArrFlavor, apps: readonly AppModule[]) => LinkDefinition[];
}

/** The family facts of a registered *arr module. */
export interface ArrAppFacts {
  flavor: ArrFlavor;
  prowlarrApplication: string | null;
}

const members = new WeakMap<AppModule, ArrAppFacts>();

/** The *arr facts of a module, or undefined when it is not of the family. */
export function arrFactsOf(module: AppModule): ArrAppFacts | undefined {
  return members.get(module);
}

/** Defines an *arr app module. */
export function defineArrApp<Id extends KnownAppKind>(definition: ArrAppDefinition<Id>): AppModule<Id, ArrClient> {
  const flavor: ArrFlavor = { id: definition.id, appName: APP_CATALOGUE[definition.id].label, apiVersion: definition.apiVersion };
  const library = definition.library as ArrLibrary | null;
  const app = defineApp<KnownAppKind, ArrClient>({
    id: definition.id,
    createClient: (target) => new ArrClient(flavor, { baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
    health: readArrHealth,
    // config.xml and the app's SQLite database (copied with SQLite's online backup); logs, the cover
    // cache and the app's own Backups folder stay out of the archive and as they are on a restore.
    configVolume: { mountPath: "/config", exclude: ["logs", "logs.db", "MediaCover", "Backups"], check: ["config.xml:xml"], runningMarkers: [] },
    checkCredentials: async (client, ctx) => {
      await client.getSystemStatus(ctx);
    },
    integrations: (apps) => [
      ...(library ? libraryLinks({ flavor: flavor as ArrFlavor & { id: LibraryAppKind }, library }, apps) : []),
      ...(definition.links?.(flavor, apps) ?? []),
    ],
  }) as AppModule<Id, ArrClient>;
  members.set(app, { flavor, prowlarrApplication: definition.prowlarrApplication });
  return app;
}
