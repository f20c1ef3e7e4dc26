import "server-only";
import { getDb } from "@/server/db";
import { readSettings, writeSettings, type PanelSettings } from "@/server/db/settings";

/** The panel's own settings (stack name, runbook base URL), as the pages and the settings action use them. */
export function getPanelSettings(): PanelSettings {
  return readSettings(getDb());
}

/** Saves the settings given, recording who changed them; returns the settings now in force. */
export function savePanelSettings(values: Partial<PanelSettings>, by: string): PanelSettings {
  const db = getDb();
  writeSettings(db, values, by);
  return readSettings(db);
}
