import "server-only";
import { bazarrLinks } from "@/server/apps/bazarr/integration";
import { jellyseerrLinks } from "@/server/apps/jellyseerr/integration";
import { lidarrLinks } from "@/server/apps/lidarr/integration";
import { prowlarrLinks } from "@/server/apps/prowlarr/integration";
import { radarrLinks } from "@/server/apps/radarr/integration";
import { seerrLinks } from "@/server/apps/seerr/integration";
import { sonarrLinks } from "@/server/apps/sonarr/integration";
import type { LinkDefinition } from "./types";
import { unpackerrLinks } from "./unpackerr";

/**
 * The catalogue of links the stack needs: the definitions each app module exports from its
 * `integration.ts`, one line per app. A link whose apps are not both deployed is left out at read
 * time, so SABnzbd, FlareSolverr or Seerr links appear only where those apps run.
 */
export function linkCatalogue(options: { changesHref: () => string | undefined }): LinkDefinition[] {
  return [
    ...sonarrLinks,
    ...radarrLinks,
    ...lidarrLinks,
    ...prowlarrLinks,
    ...bazarrLinks,
    ...jellyseerrLinks,
    ...seerrLinks,
    ...unpackerrLinks(options.changesHref),
  ];
}
