import "server-only";
import { eq } from "drizzle-orm";
import type { PanelDb } from "./open";
import { settings } from "./schema";

/** Panel settings kept in SQLite, with their defaults. */
export interface PanelSettings {
  stackName: string;
  runbookBaseUrl: string;
}

export const DEFAULT_SETTINGS: PanelSettings = { stackName: "Home media server", runbookBaseUrl: "" };

export function readSettings(db: PanelDb): PanelSettings {
  const rows = db.select().from(settings).all();
  const out: PanelSettings = { ...DEFAULT_SETTINGS };
  for (const row of rows) {
    if (row.key in out) (out as unknown as Record<string, string>)[row.key] = row.value;
  }
  return out;
}

export function writeSettings(db: PanelDb, values: Partial<PanelSettings>, by: string, now = Date.now()): void {
  db.transaction((tx) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      tx.insert(settings)
        .values({ key, value, updatedAt: now, updatedBy: by })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now, updatedBy: by } })
        .run();
    }
  });
}

export function readSetting(db: PanelDb, key: keyof PanelSettings): string {
  return db.select().from(settings).where(eq(settings.key, key)).get()?.value ?? DEFAULT_SETTINGS[key];
}
