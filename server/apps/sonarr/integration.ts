import "server-only";
import { mediaArrLinks } from "../arr/integration";
import type { LinkDefinition } from "@/server/integrations/types";
import { SONARR_FLAVOR } from "./client";

/** The links Sonarr holds: its root folder and its download clients (category field `tvCategory`). */
export const sonarrLinks: LinkDefinition[] = mediaArrLinks({ flavor: { ...SONARR_FLAVOR, id: "sonarr" }, categoryField: "tvCategory" });
