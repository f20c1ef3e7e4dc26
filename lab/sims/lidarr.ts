/**
 * Lidarr simulator: Lidarr v2 serving API v1 (`../shared/specs/lidarr-v1.openapi.json`).
 * Shared *arr behaviour plus Lidarr's root folders (name and default profiles) and metadata
 * profiles.
 */
import type { JsonObject } from "./engine/spec";
import { defineSim } from "./engine/sim-app";
import { createArrDefinition, SPACE } from "./arr/arr-sim";
import { notEmpty, ruleFailure, type ValidationFailureJson } from "./arr/failures";

const QUALITIES: [number, string][] = [
  [1, "MP3-192"],
  [2, "MP3-VBR-V0"],
  [3, "MP3-256"],
  [4, "MP3-320"],
  [6, "FLAC"],
  [7, "ALAC"],
  [21, "FLAC 24bit"],
];

function profile(id: number, name: string, allowed: number[], cutoff: number): JsonObject {
  return {
    id,
    name,
    upgradeAllowed: false,
    cutoff,
    items: QUALITIES.map(([qid, qname]) => ({ quality: { id: qid, name: qname }, items: [], allowed: allowed.includes(qid) })),
    minFormatScore: 0,
    cutoffFormatScore: 0,
    formatItems: [],
  };
}

function typed(list: [number, string][], key: string, allowed: number[]): JsonObject[] {
  return list.map(([id, name]) => ({ id, [key]: { id, name }, allowed: allowed.includes(id) }));
}

/** Lidarr's default metadata profile. */
export function lidarrMetadataProfiles(): JsonObject[] {
  return [
    {
      id: 1,
      name: "Standard",
      primaryAlbumTypes: typed([[0, "Album"], [1, "EP"], [2, "Single"], [3, "Broadcast"], [4, "Other"]], "albumType", [0]),
      secondaryAlbumTypes: typed([[0, "Studio"], [1, "Compilation"], [2, "Soundtrack"], [3, "Spokenword"], [4, "Interview"]], "albumType", [0]),
      releaseStatuses: typed([[0, "Official"], [1, "Promotion"], [2, "Bootleg"], [3, "Pseudo-Release"]], "releaseStatus", [0]),
    },
  ];
}

export const lidarrSim = defineSim(
  createArrDefinition({
    kind: "lidarr",
    title: "Lidarr",
    specFile: "lidarr-v1.openapi.json",
    apiVersion: "v1",
    defaultVersion: "2.14.5.0",
    port: 8686,
    sslPort: 6868,
    migrationVersion: 81,
    names: {
      appName: "Lidarr",
      wiki: "lidarr",
      category: "musicCategory",
      importedCategory: "musicImportedCategory",
      priorities: ["recentMusicPriority", "olderMusicPriority"],
      qbittorrentCategory: "lidarr",
      sabnzbdCategory: "music",
    },
    media: true,
    qualityProfiles: () => [profile(1, "Any", [1, 2, 3, 4, 6, 7, 21], 1), profile(2, "Lossless", [6, 7, 21], 6), profile(3, "Standard", [1, 2, 3, 4], 4)],
    metadataProfiles: lidarrMetadataProfiles,
    rootFolderResource: (rf, state) => ({
      id: rf.id,
      name: rf.fields?.name ?? rf.path,
      path: rf.path,
      defaultMetadataProfileId: rf.fields?.defaultMetadataProfileId ?? 1,
      defaultQualityProfileId: rf.fields?.defaultQualityProfileId ?? 1,
      defaultMonitorOption: rf.fields?.defaultMonitorOption ?? "all",
      defaultNewItemMonitorOption: rf.fields?.defaultNewItemMonitorOption ?? "all",
      defaultTags: rf.fields?.defaultTags ?? [],
      accessible: state.directories.has(rf.path),
      freeSpace: SPACE.free,
      totalSpace: SPACE.total,
    }),
    rootFolderFields: (input) => ({
      name: input.name,
      defaultMetadataProfileId: input.defaultMetadataProfileId ?? 1,
      defaultQualityProfileId: input.defaultQualityProfileId ?? 1,
      defaultMonitorOption: input.defaultMonitorOption ?? "all",
      defaultNewItemMonitorOption: input.defaultNewItemMonitorOption ?? "all",
      defaultTags: Array.isArray(input.defaultTags) ? input.defaultTags : [],
    }),
    // Lidarr.Api.V1 RootFolderController: Name required, default profiles must exist.
    validateRootFolder: (body, state) => {
      const out: ValidationFailureJson[] = [];
      const name = notEmpty("Name", body.name);
      if (name !== undefined) out.push(name);
      const qp = body.defaultQualityProfileId;
      if (typeof qp !== "number" || !state.qualityProfiles.some((p) => p.id === qp)) {
        out.push(ruleFailure("DefaultQualityProfileId", "Quality Profile does not exist", qp ?? null, "QualityProfileExistsValidator"));
      }
      const mp = body.defaultMetadataProfileId;
      if (typeof mp !== "number" || !state.metadataProfiles.some((p) => p.id === mp)) {
        out.push(ruleFailure("DefaultMetadataProfileId", "Metadata Profile does not exist", mp ?? null, "MetadataProfileExistsValidator"));
      }
      return out;
    },
    extraOperations: (api) => [
      { method: "get", path: `${api}/metadataprofile`, handle: (ctx) => ({ status: 200, json: ctx.state.metadataProfiles }) },
    ],
  }),
);
