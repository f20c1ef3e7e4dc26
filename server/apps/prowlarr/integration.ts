import "server-only";
import type { LinkDefinition } from "@/server/integrations/types";
import { applicationLink, flaresolverrProxyLink } from "./applications";

/** The links Prowlarr holds: an application per *arr app, and FlareSolverr as indexer proxy. */
export const prowlarrLinks: LinkDefinition[] = [applicationLink("sonarr"), applicationLink("radarr"), applicationLink("lidarr"), flaresolverrProxyLink];
