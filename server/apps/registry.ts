import "server-only";
import type { AppKind, KnownAppKind } from "@/lib/apps/catalogue";
import { lidarr } from "./arr/lidarr";
import { prowlarr } from "./arr/prowlarr";
import { radarr } from "./arr/radarr";
import { readarr } from "./arr/readarr";
import { sonarr } from "./arr/sonarr";
import { bazarr } from "./bazarr";
import type { AppModule } from "./define";
import { flaresolverr } from "./flaresolverr";
import { gluetun } from "./gluetun";
import { jellyfin } from "./jellyfin";
import { qbittorrent } from "./qbittorrent";
import { sabnzbd } from "./sabnzbd";
import { jellyseerr, seerr } from "./seerr";
import { statusModuleOf } from "./status";

/**
 * The one list of app modules, keyed by the app kind each implements. Adding an app the panel talks
 * to: its entry in the app catalogue (`lib/apps/catalogue.ts`), its folder under `server/apps/`
 * (or a file in its family's folder) and one line here. Kinds without a module get their health
 * from the catalogue's public endpoints when it lists some (`getHealthModule`: Prometheus, Grafana,
 * Loki, ...), Kubernetes-level health only otherwise (Unpackerr).
 */
export const APP_MODULES = {
  sonarr,
  radarr,
  lidarr,
  readarr,
  prowlarr,
  bazarr,
  qbittorrent,
  sabnzbd,
  jellyfin,
  jellyseerr,
  seerr,
  flaresolverr,
  gluetun,
} satisfies { [K in KnownAppKind]?: AppModule<K, unknown> };

/** Ids of the apps that have a module. */
export type AppId = keyof typeof APP_MODULES;

/** Every app id with a module, in registry order. */
export const APP_IDS = Object.keys(APP_MODULES) as AppId[];

/** Every module, in registry order (what the engine, the key check and the VPN check loop over). */
export const APP_MODULE_LIST: readonly AppModule[] = Object.values(APP_MODULES) as AppModule[];

/** The module of an app kind, or undefined when the panel knows only its Kubernetes health. */
export function getAppModule(kind: AppKind): AppModule | undefined {
  return (APP_MODULES as Partial<Record<AppKind, AppModule>>)[kind];
}

/** Narrows an app kind to one with a module. */
export function hasAppModule(kind: AppKind): kind is AppId {
  return Object.hasOwn(APP_MODULES, kind);
}

/**
 * The module that reads a kind's health: its own module, else the catalogue-only one built from its
 * public endpoints (`status/`); undefined when the panel knows only its Kubernetes health.
 */
export function getHealthModule(kind: AppKind): AppModule | undefined {
  if (kind === "other") return undefined;
  return getAppModule(kind) ?? statusModuleOf(kind);
}
