/**
 * Sonarr simulator: Sonarr v4 serving API v3 (`../shared/specs/sonarr-v3.openapi.json`).
 * Everything it implements is the shared *arr behaviour in `./arr/arr-sim.ts`.
 */
import type { JsonObject } from "./engine/spec";
import { defineSim } from "./engine/sim-app";
import { createArrDefinition, SPACE } from "./arr/arr-sim";

/** Sonarr's qualities as `Quality` resources: id, name, source, resolution. */
const QUALITIES: [number, string, string, number][] = [
  [1, "SDTV", "television", 480],
  [2, "DVD", "dvd", 480],
  [8, "WEBDL-480p", "web", 480],
  [4, "HDTV-720p", "television", 720],
  [5, "WEBDL-720p", "web", 720],
  [6, "Bluray-720p", "bluray", 720],
  [9, "HDTV-1080p", "television", 1080],
  [3, "WEBDL-1080p", "web", 1080],
  [7, "Bluray-1080p", "bluray", 1080],
  [16, "HDTV-2160p", "television", 2160],
  [18, "WEBDL-2160p", "web", 2160],
  [19, "Bluray-2160p", "bluray", 2160],
];

function profile(id: number, name: string, allowed: number[], cutoff: number): JsonObject {
  return {
    id,
    name,
    upgradeAllowed: false,
    cutoff,
    items: QUALITIES.map(([qid, qname, source, resolution]) => ({
      quality: { id: qid, name: qname, source, resolution },
      items: [],
      allowed: allowed.includes(qid),
    })),
    minFormatScore: 0,
    cutoffFormatScore: 0,
    minUpgradeFormatScore: 1,
    formatItems: [],
  };
}

/** Sonarr's default quality profiles. */
export function sonarrQualityProfiles(): JsonObject[] {
  return [
    profile(1, "Any", [1, 2, 8, 4, 5, 6, 9, 3, 7, 16, 18, 19], 1),
    profile(2, "SD", [1, 2, 8], 1),
    profile(3, "HD-720p", [4, 5, 6], 4),
    profile(4, "HD-1080p", [9, 3, 7], 9),
    profile(5, "Ultra-HD", [16, 18, 19], 16),
    profile(6, "HD - 720p/1080p", [4, 5, 6, 9, 3, 7], 4),
  ];
}

export const sonarrSim = defineSim(
  createArrDefinition({
    kind: "sonarr",
    title: "Sonarr",
    specFile: "sonarr-v3.openapi.json",
    apiVersion: "v3",
    defaultVersion: "4.0.19.0",
    port: 8989,
    sslPort: 9898,
    migrationVersion: 219,
    names: {
      appName: "Sonarr",
      wiki: "sonarr",
      category: "tvCategory",
      importedCategory: "tvImportedCategory",
      priorities: ["recentTvPriority", "olderTvPriority"],
      qbittorrentCategory: "tv-sonarr",
      sabnzbdCategory: "tv",
    },
    systemExtras: { sqliteVersion: "3.49.2" },
    media: true,
    qualityProfiles: sonarrQualityProfiles,
    rootFolderResource: (rf, state) => ({
      id: rf.id,
      path: rf.path,
      accessible: state.directories.has(rf.path),
      freeSpace: SPACE.free,
      unmappedFolders: [],
    }),
  }),
);
