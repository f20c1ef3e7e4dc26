import "server-only";

/** Lidarr answers the shared *arr shapes for the operations the panel reads. */
export { arrHealthSchema, arrSystemStatusSchema, type ArrHealthItem, type ArrSystemStatus } from "../arr/schemas";
