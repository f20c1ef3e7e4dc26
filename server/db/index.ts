import "server-only";
import { getConfig } from "@/server/config/load";
import { openDatabase, type PanelDb } from "./open";

const holder = globalThis as typeof globalThis & { __panelDb?: PanelDb };

/** The process-wide database, opened on first use. */
export function getDb(): PanelDb {
  holder.__panelDb ??= openDatabase(getConfig().server.dataDir);
  return holder.__panelDb;
}

export type { PanelDb } from "./open";
