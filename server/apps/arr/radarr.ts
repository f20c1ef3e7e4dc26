import "server-only";
import { defineArrApp } from "./family";

/** Radarr (movies): API v3; its download clients' category field is `movieCategory`. */
export const radarr = defineArrApp({ id: "radarr", apiVersion: "v3", prowlarrApplication: "Radarr", library: { categoryField: "movieCategory" } });
