import "server-only";
import { defineArrApp } from "./family";
import { rootFolderWithProfiles } from "./integration";

/**
 * Readarr (books and audiobooks): API v1. Its download clients keep Lidarr's field names (category
 * field `musicCategory`); a new root folder needs a name and default quality and metadata profiles
 * that exist (Readarr.Api.V1 `RootFolderController`); Prowlarr syncs to it as the `Readarr`
 * application.
 */
export const readarr = defineArrApp({
  id: "readarr",
  apiVersion: "v1",
  prowlarrApplication: "Readarr",
  library: { categoryField: "musicCategory", rootFolder: rootFolderWithProfiles("Books") },
});
