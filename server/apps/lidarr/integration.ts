import "server-only";
import { mediaArrLinks } from "../arr/integration";
import type { LinkDefinition } from "@/server/integrations/types";
import { LIDARR_FLAVOR } from "./client";

/** The links Lidarr holds: its root folder and its download clients (category field `musicCategory`). */
export const lidarrLinks: LinkDefinition[] = mediaArrLinks({ flavor: { ...LIDARR_FLAVOR, id: "lidarr" }, categoryField: "musicCategory" });
