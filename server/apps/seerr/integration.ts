import "server-only";
import { seerrApiLinks } from "../seerr-api/integration";
import type { LinkDefinition } from "@/server/integrations/types";

/** The links Seerr holds: its Jellyfin server and the Sonarr and Radarr servers requests go to. */
export const seerrLinks: LinkDefinition[] = seerrApiLinks("seerr");
