import "server-only";
import { mediaArrLinks } from "../arr/integration";
import type { LinkDefinition } from "@/server/integrations/types";
import { RADARR_FLAVOR } from "./client";

/** The links Radarr holds: its root folder and its download clients (category field `movieCategory`). */
export const radarrLinks: LinkDefinition[] = mediaArrLinks({ flavor: { ...RADARR_FLAVOR, id: "radarr" }, categoryField: "movieCategory" });
