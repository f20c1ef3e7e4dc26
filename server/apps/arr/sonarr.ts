import "server-only";
import { defineArrApp } from "./family";

/** Sonarr (series): API v3; its download clients' category field is `tvCategory`. */
export const sonarr = defineArrApp({ id: "sonarr", apiVersion: "v3", prowlarrApplication: "Sonarr", library: { categoryField: "tvCategory" } });
