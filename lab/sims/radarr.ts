/**
 * Radarr simulator: Radarr v6 serving API v3 (`../shared/specs/radarr-v3.openapi.json`).
 * Everything it implements is the shared *arr behaviour in `./arr/arr-sim.ts`.
 */
import type { JsonObject } from "./engine/spec";
import { defineSim } from "./engine/sim-app";
import { createArrDefinition, SPACE } from "./arr/arr-sim";

/** Radarr's qualities: id, name, source, resolution, modifier. */
const QUALITIES: [number, string, string, number, string][] = [
  [1, "SDTV", "tv", 480, "none"],
  [2, "DVD", "dvd", 480, "none"],
  [8, "WEBDL-480p", "webdl", 480, "none"],
  [4, "HDTV-720p", "tv", 720, "none"],
  [5, "WEBDL-720p", "webdl", 720, "none"],
  [6, "Bluray-720p", "bluray", 720, "none"],
  [9, "HDTV-1080p", "tv", 1080, "none"],
  [3, "WEBDL-1080p", "webdl", 1080, "none"],
  [7, "Bluray-1080p", "bluray", 1080, "none"],
  [30, "Remux-1080p", "bluray", 1080, "remux"],
  [16, "HDTV-2160p", "tv", 2160, "none"],
  [18, "WEBDL-2160p", "webdl", 2160, "none"],
  [19, "Bluray-2160p", "bluray", 2160, "none"],
  [31, "Remux-2160p", "bluray", 2160, "remux"],
];

function profile(id: number, name: string, allowed: number[], cutoff: number): JsonObject {
  return {
    id,
    name,
    upgradeAllowed: false,
    cutoff,
    items: QUALITIES.map(([qid, qname, source, resolution, modifier]) => ({
      quality: { id: qid, name: qname, source, resolution, modifier },
      items: [],
      allowed: allowed.includes(qid),
    })),
    minFormatScore: 0,
    cutoffFormatScore: 0,
    minUpgradeFormatScore: 1,
    formatItems: [],
    language: { id: 1, name: "English" },
  };
}

/** Radarr's default quality profiles. */
export function radarrQualityProfiles(): JsonObject[] {
  return [
    profile(1, "Any", [1, 2, 8, 4, 5, 6, 9, 3, 7, 30, 16, 18, 19, 31], 1),
    profile(2, "SD", [1, 2, 8], 1),
    profile(3, "HD-720p", [4, 5, 6], 4),
    profile(4, "HD-1080p", [9, 3, 7, 30], 9),
    profile(5, "Ultra-HD", [16, 18, 19, 31], 16),
    profile(6, "HD - 720p/1080p", [4, 5, 6, 9, 3, 7, 30], 4),
  ];
}

export const radarrSim = defineSim(
  createArrDefinition({
    kind: "radarr",
    title: "Radarr",
    specFile: "radarr-v3.openapi.json",
    apiVersion: "v3",
    defaultVersion: "6.0.4.0",
    port: 7878,
    sslPort: 9898,
    migrationVersion: 242,
    names: {
      appName: "Radarr",
      wiki: "radarr",
      category: "movieCategory",
      importedCategory: "movieImportedCategory",
      priorities: ["recentMoviePriority", "olderMoviePriority"],
      qbittorrentCategory: "radarr",
      sabnzbdCategory: "movies",
    },
    media: true,
    qualityProfiles: radarrQualityProfiles,
    rootFolderResource: (rf, state) => ({
      id: rf.id,
      path: rf.path,
      accessible: state.directories.has(rf.path),
      freeSpace: SPACE.free,
      unmappedFolders: [],
    }),
  }),
);
