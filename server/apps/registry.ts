import "server-only";
import type { AppKind } from "@/lib/apps/catalogue";
import { bazarr } from "./bazarr";
import type { AppModule } from "./define";
import { flaresolverr } from "./flaresolverr";
import { gluetun } from "./gluetun";
import { jellyfin } from "./jellyfin";
import { jellyseerr } from "./jellyseerr";
import { lidarr } from "./lidarr";
import { prowlarr } from "./prowlarr";
import { qbittorrent } from "./qbittorrent";
import { radarr } from "./radarr";
import { sabnzbd } from "./sabnzbd";
import { seerr } from "./seerr";
import { sonarr } from "./sonarr";

/**
 * The one list of app modules, keyed by the app kind each implements. Adding an app: one folder
 * under `server/apps/<id>/` and one line here. Kinds without a module (unpackerr, prometheus, ...)
 * get Kubernetes-level health only.
 */
export const APP_MODULES = {
  sonarr,
  radarr,
  lidarr,
  prowlarr,
  bazarr,
  sabnzbd,
  qbittorrent,
  jellyfin,
  jellyseerr,
  seerr,
  flaresolverr,
  gluetun,
} satisfies { [K in AppKind]?: AppModule<K, unknown> };

/** Ids of the apps that have a module. */
export type AppId = keyof typeof APP_MODULES;

/** Every app id with a module, in registry order. */
export const APP_IDS = Object.keys(APP_MODULES) as AppId[];

/** The module of an app kind, or undefined when the panel knows only its Kubernetes health. */
export function getAppModule(kind: AppKind): AppModule<AppKind, unknown> | undefined {
  return (APP_MODULES as Partial<Record<AppKind, AppModule<AppKind, unknown>>>)[kind];
}

/** Narrows an app kind to one with a module. */
export function hasAppModule(kind: AppKind): kind is AppId {
  return Object.hasOwn(APP_MODULES, kind);
}
