import "server-only";
import { APP_CATALOGUE, type KnownAppKind, type LibraryAppKind } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import { defineApp, type AppBackup, type AppModule, type CallContext } from "../define";
import type { LinkDefinition } from "../links";
import { ArrClient, type ArrFlavor } from "./client";
import type { ArrBackup } from "./schemas";
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
    backup: { list: listArrBackups, create: createArrBackup },
    restore: { restore: restoreArrBackup },
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

const toAppBackup = (b: ArrBackup): AppBackup => ({ id: String(b.id), name: b.name, createdAt: b.time, ...(typeof b.size === "number" ? { sizeBytes: b.size } : {}), ...(b.type ? { kind: b.type } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The app's own backups (`GET system/backup`), newest first. */
async function listArrBackups(client: ArrClient, ctx: CallContext): Promise<AppBackup[]> {
  const { data } = await client.listBackups(ctx);
  return data.map(toAppBackup).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * A manual backup through the app (the `Backup` command), followed until the command completes;
 * resolves with the backup the app then lists that it did not list before. The app names a backup
 * by the second it was made and writes over one of the same name: waiting a second first keeps a
 * backup made just before (the one about to be restored) from being replaced.
 */
async function createArrBackup(client: ArrClient, ctx: CallContext): Promise<AppBackup> {
  const before = new Set((await client.listBackups(ctx)).data.map((b) => b.id));
  await sleep(1100);
  const started = (await client.startBackup(ctx)).data;
  const deadline = Date.now() + 120_000;
  let command = started;
  while (command.status !== "completed") {
    if (command.status === "failed" || command.status === "aborted" || command.status === "cancelled") {
      throw new AppError("conflict", `${client.flavor.appName} could not make a backup: ${command.message ?? command.status}.`, { source: client.flavor.id });
    }
    if (Date.now() > deadline) throw new AppError("timeout", `${client.flavor.appName}'s backup command did not complete within 120 s.`, { source: client.flavor.id });
    await sleep(500);
    command = (await client.getCommand(started.id, ctx)).data;
  }
  const made = (await client.listBackups(ctx)).data.filter((b) => !before.has(b.id)).sort((a, b) => b.time.localeCompare(a.time))[0];
  if (!made) throw new AppError("invalid_response", `${client.flavor.appName} completed its backup command but lists no new backup.`, { source: client.flavor.id });
  return toAppBackup(made);
}

/** Restores one of the app's backups (`POST system/backup/restore/{id}`), then restarts it (`POST system/restart`) so the files apply. */
async function restoreArrBackup(client: ArrClient, backupId: string, ctx: CallContext): Promise<void> {
  const id = Number(backupId);
  if (!Number.isInteger(id)) throw new AppError("invalid_input", `${backupId} is not a backup id of ${client.flavor.appName}.`, { source: client.flavor.id });
  await client.restoreBackup(id, ctx);
  await client.restart(ctx);
}
