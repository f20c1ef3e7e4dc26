import "server-only";
import Database from "better-sqlite3";
import { accessSync, constants, mkdirSync } from "node:fs";
import path from "node:path";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { AppError } from "@/lib/errors";
import { MIGRATIONS } from "./migrations/index";
import * as schema from "./schema";

export type PanelDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * Opens (creating if needed) the panel's SQLite database in `dataDir`, in WAL mode with a busy
 * timeout, and applies pending migrations. A data directory that cannot be written is a clear error.
 */
export function openDatabase(dataDir: string): PanelDb {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new AppError(
      "internal",
      `The data directory ${dataDir} is not writable by this process (uid ${process.getuid?.() ?? "?"}). ` +
        "Mount a writable volume there or set PANEL_DATA_DIR / server.dataDir.",
      { source: "database", cause: error },
    );
  }
  const file = path.join(dataDir, "panel.sqlite");
  let client: Database.Database;
  try {
    client = new Database(file);
    client.pragma("journal_mode = WAL");
    client.pragma("busy_timeout = 5000");
    client.pragma("foreign_keys = ON");
    client.pragma("synchronous = NORMAL");
  } catch (error) {
    throw new AppError("internal", `Cannot open the database ${file}: ${(error as Error).message}`, {
      source: "database",
      cause: error,
    });
  }
  applyMigrations(client);
  return drizzle(client, { schema });
}

/** Applies every migration newer than the database's version. Returns the ids applied. */
export function applyMigrations(client: Database.Database): number[] {
  client.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const done = new Set(
    client
      .prepare("SELECT id FROM schema_migrations")
      .all()
      .map((row) => (row as { id: number }).id),
  );
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.id)) continue;
    client.transaction(() => {
      client.exec(migration.sql);
      client
        .prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)")
        .run(migration.id, migration.name, Date.now());
    })();
    applied.push(migration.id);
  }
  return applied;
}

/** Checks that the database answers and accepts a write (used by /api/healthz). */
export function checkWritable(db: PanelDb): void {
  db.$client.exec("CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
  db.$client.prepare("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?)").run(Date.now());
}
