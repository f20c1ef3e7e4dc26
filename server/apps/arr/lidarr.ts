import "server-only";
import { defineArrApp } from "./family";

/**
 * Lidarr (music): API v1; its download clients' category field is `musicCategory`. A new root
 * folder needs a name and default quality and metadata profiles that exist (Lidarr.Api.V1
 * `RootFolderController`), taken from the first ones Lidarr offers.
 */
export const lidarr = defineArrApp({
  id: "lidarr",
  apiVersion: "v1",
  prowlarrApplication: "Lidarr",
  library: {
    categoryField: "musicCategory",
    rootFolder: async (client, ctx) => {
      const [quality, metadata] = await Promise.all([client.listQualityProfiles(ctx), client.listMetadataProfiles(ctx)]);
      return {
        name: "Music",
        ...(quality[0] ? { defaultQualityProfileId: quality[0].id } : {}),
        ...(metadata[0] ? { defaultMetadataProfileId: metadata[0].id } : {}),
      };
    },
  },
});
