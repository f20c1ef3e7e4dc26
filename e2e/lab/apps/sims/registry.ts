/**
 * The one list of simulator kinds. Adding a simulator: one file defining it, one line here.
 */
import type { SimKind } from "./engine/sim-app";
import { lidarrSim } from "./lidarr";
import { prowlarrSim } from "./prowlarr";
import { radarrSim } from "./radarr";
import { sonarrSim } from "./sonarr";

export const SIM_KINDS = {
  sonarr: sonarrSim,
  radarr: radarrSim,
  lidarr: lidarrSim,
  prowlarr: prowlarrSim,
} satisfies Record<string, SimKind>;

/** Simulator kind ids. */
export type SimKindId = keyof typeof SIM_KINDS;
