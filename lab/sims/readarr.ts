/**
 * Readarr simulator: Readarr 0.3 serving API v1, held to the subset of Readarr's published
 * description in `specs/readarr.ts`. Shared *arr behaviour plus Readarr's root folders (a name,
 * default quality and metadata profiles that exist, and the Calibre settings it stores with them,
 * off here) and metadata profiles, with the defaults a fresh Readarr creates
 * (`QualityProfileService`: eBook and Spoken; `MetadataProfileService`: Standard and None).
 * Its download clients name their category field `musicCategory` (Readarr's settings classes
 * kept Lidarr's names).
 */
import type { JsonObject } from "./engine/spec";
import { defineSim } from "./engine/sim-app";
import { createArrDefinition, SPACE } from "./arr/arr-sim";
import { notEmpty, ruleFailure, type ValidationFailureJson } from "./arr/failures";
import { readarrSpec } from "./specs/readarr";

/** Readarr's qualities (`NzbDrone.Core/Qualities/Quality.cs`). */
const QUALITIES: [number, string][] = [
  [0, "Unknown Text"],
  [1, "PDF"],
  [2, "MOBI"],
  [3, "EPUB"],
  [4, "AZW3"],
  [13, "Unknown Audio"],
  [10, "MP3"],
  [12, "M4B"],
  [11, "FLAC"],
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

/** The metadata profiles a fresh Readarr has. */
function readarrMetadataProfiles(): JsonObject[] {
  const base = { skipMissingDate: false, skipMissingIsbn: false, skipPartsAndSets: false, skipSeriesSecondary: false, allowedLanguages: null, minPages: 0, ignored: [] };
  return [
    { ...base, id: 1, name: "Standard", minPopularity: 350, skipMissingDate: true, skipPartsAndSets: true, allowedLanguages: "eng, null" },
    { ...base, id: 2, name: "None", minPopularity: 1e10 },
  ];
}

export const readarrSim = defineSim(
  createArrDefinition({
    kind: "readarr",
    title: "Readarr",
    specDocument: readarrSpec,
    specExtensions: {
      "/ping": {
        head: {
          "x-sim-extension": 'Readarr.Http/Ping/PingController.cs: [HttpHead("/ping")] beside [HttpGet("/ping")]; the published description lists only GET',
          tags: ["Ping"],
          responses: { "200": { description: "Success", content: { "application/json": { schema: { $ref: "#/components/schemas/PingResource" } } } } },
        },
      },
    },
    // Described as objects; Readarr's serializer (NzbDrone.Common/Serializer/System.Text.Json/STJson.cs)
    // writes a `Version` and a `TimeSpan` as strings (STJVersionConverter, STJTimeSpanConverter).
    errata: [
      { pointer: "#/components/schemas/Version", value: { type: "string", nullable: true }, reason: "NzbDrone.Common/Serializer/System.Text.Json/STJVersionConverter.cs" },
      { pointer: "#/components/schemas/TimeSpan", value: { type: "string", nullable: true }, reason: "NzbDrone.Common/Serializer/System.Text.Json/STJTimeSpanConverter.cs" },
    ],
    // Readarr.Http/ClientSchema/Field.cs has no Privacy: fields say nothing about it and secrets come back in clear.
    fieldPrivacy: false,
    // ConfigFileProvider's defaults; the newest migration of this source (Datastore/Migration/040).
    port: 8787,
    sslPort: 6868,
    migrationVersion: 40,
    // Readarr.Api.V1/Config/HostConfigResource.cs and ConfigFileProvider: no AuthenticationRequired,
    // LogSizeLimit, TrustCgnatIpAddresses or PasswordConfirmation; branch `develop`; no
    // authentication on a fresh install.
    hostConfig: {
      without: ["authenticationRequired", "logSizeLimit", "trustCgnatIpAddresses", "passwordConfirmation"],
      branch: "develop",
      authenticationMethod: "None",
    },
    apiVersion: "v1",
    defaultVersion: "0.3.22.0",
    names: {
      appName: "Readarr",
      wiki: "readarr",
      category: "musicCategory",
      importedCategory: "musicImportedCategory",
      priorities: ["recentTvPriority", "olderTvPriority"],
      qbittorrentCategory: "readarr",
      sabnzbdCategory: "Readarr",
    },
    media: true,
    directories: ["/data/media/books"],
    qualityProfiles: () => [profile(1, "eBook", [2, 3, 4], 2), profile(2, "Spoken", [13, 10, 12, 11], 10)],
    metadataProfiles: readarrMetadataProfiles,
    rootFolderFields: (input) => ({
      name: input.name,
      defaultMetadataProfileId: input.defaultMetadataProfileId ?? 1,
      defaultQualityProfileId: input.defaultQualityProfileId ?? 1,
      defaultMonitorOption: input.defaultMonitorOption ?? "all",
      defaultNewItemMonitorOption: input.defaultNewItemMonitorOption ?? "all",
      defaultTags: Array.isArray(input.defaultTags) ? input.defaultTags : [],
    }),
    // RootFolderResourceMapper.ToResource for a root folder that is not a Calibre library.
    rootFolderResource: (rf, state) => ({
      id: rf.id,
      name: rf.fields?.name ?? rf.path,
      path: rf.path,
      defaultMetadataProfileId: rf.fields?.defaultMetadataProfileId ?? 1,
      defaultQualityProfileId: rf.fields?.defaultQualityProfileId ?? 1,
      defaultMonitorOption: rf.fields?.defaultMonitorOption ?? "all",
      defaultNewItemMonitorOption: rf.fields?.defaultNewItemMonitorOption ?? "all",
      defaultTags: rf.fields?.defaultTags ?? [],
      isCalibreLibrary: false,
      host: null,
      port: 0,
      urlBase: null,
      username: null,
      password: null,
      library: null,
      outputFormat: null,
      outputProfile: "default",
      useSsl: false,
      accessible: state.directories.has(rf.path),
      freeSpace: SPACE.free,
      totalSpace: SPACE.total,
    }),
    // Readarr.Api.V1 RootFolderController: Name required, default profiles must exist.
    validateRootFolder: (body, state) => {
      const out: ValidationFailureJson[] = [];
      const name = notEmpty("Name", body.name);
      if (name !== undefined) out.push(name);
      const mp = body.defaultMetadataProfileId;
      if (typeof mp !== "number" || !state.metadataProfiles.some((p) => p.id === mp)) {
        out.push(ruleFailure("DefaultMetadataProfileId", "Metadata Profile does not exist", mp ?? null, "MetadataProfileExistsValidator"));
      }
      const qp = body.defaultQualityProfileId;
      if (typeof qp !== "number" || !state.qualityProfiles.some((p) => p.id === qp)) {
        out.push(ruleFailure("DefaultQualityProfileId", "Quality Profile does not exist", qp ?? null, "QualityProfileExistsValidator"));
      }
      return out;
    },
    extraOperations: (api) => [{ method: "get", path: `${api}/metadataprofile`, handle: (ctx) => ({ status: 200, json: ctx.state.metadataProfiles }) }],
  }),
);
