import "server-only";

/** Jellyseerr answers the shapes of the Jellyseerr/Seerr API. */
export { seerrPublicSettingsSchema, seerrStatusSchema, type SeerrPublicSettings, type SeerrStatus } from "../seerr-api/schemas";
