/**
 * The one list of simulator kinds. Adding a simulator: one file defining it, one line here.
 */
import { bazarrSim } from "./bazarr";
import type { SimKind } from "./engine/sim-app";
import { flaresolverrSim } from "./flaresolverr";
import { gluetunSim } from "./gluetun";
import { grafanaSim } from "./grafana";
import { homepageSim } from "./homepage";
import { jellyfinSim } from "./jellyfin";
import { jellyseerrSim, seerrSim } from "./jellyseerr";
import { lidarrSim } from "./lidarr";
import { prowlarrSim } from "./prowlarr";
import { radarrSim } from "./radarr";
import { readarrSim } from "./readarr";
import { sabnzbdSim } from "./sabnzbd";
import { sonarrSim } from "./sonarr";

export const SIM_KINDS = {
  sonarr: sonarrSim,
  radarr: radarrSim,
  lidarr: lidarrSim,
  readarr: readarrSim,
  prowlarr: prowlarrSim,
  bazarr: bazarrSim,
  sabnzbd: sabnzbdSim,
  jellyfin: jellyfinSim,
  jellyseerr: jellyseerrSim,
  seerr: seerrSim,
  gluetun: gluetunSim,
  flaresolverr: flaresolverrSim,
  grafana: grafanaSim,
  homepage: homepageSim,
} satisfies Record<string, SimKind>;

/** Simulator kind ids. */
export type SimKindId = keyof typeof SIM_KINDS;
