import "server-only";
import { defineArrApp } from "./family";
import { rootFolderWithProfiles } from "./integration";

/**
 * Lidarr (music): API v1; its download clients' category field is `musicCategory`. A new root
 * folder needs a name and default quality and metadata profiles that exist.
 */
export const lidarr = defineArrApp({
  id: "lidarr",
  apiVersion: "v1",
  prowlarrApplication: "Lidarr",
  library: { categoryField: "musicCategory", rootFolder: rootFolderWithProfiles("Music") },
});
