import "server-only";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Probe history. Raw results are kept for `health.rawRetentionHours` (48 h); per-minute and per-hour
 * counters are maintained on write (one upsert each per result), so an uptime query over 30 days sums
 * at most 720 rows of one service through the primary key, and the current hour is always complete.
 * Per-minute rows live as long as raw results; per-hour rows for `health.rollupRetentionDays` (90 d).
 * Times are epoch milliseconds; bucket columns hold the bucket's start.
 */

/** One probe of one service: the verdict at that moment and what the app said. */
export const probeResults = sqliteTable(
  "probe_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    serviceId: text("service_id").notNull(),
    at: integer("at").notNull(),
    /** Verdict (Kubernetes and app folded): what uptime counts. */
    status: text("status", { enum: ["up", "degraded", "down", "unknown"] }).notNull(),
    /** The app's own status; null for a service without app module. */
    appStatus: text("app_status", { enum: ["up", "degraded", "down", "unknown"] }),
    latencyMs: real("latency_ms"),
    version: text("version"),
    errorCode: text("error_code"),
    /** First reason of the verdict. */
    detail: text("detail"),
    /** The app's checks, JSON. */
    checks: text("checks"),
  },
  (t) => [index("probe_results_service_at").on(t.serviceId, t.at), index("probe_results_at").on(t.at)],
);

const counters = {
  up: integer("up").notNull().default(0),
  degraded: integer("degraded").notNull().default(0),
  down: integer("down").notNull().default(0),
  unknown: integer("unknown").notNull().default(0),
  latencyCount: integer("latency_count").notNull().default(0),
  latencySum: real("latency_sum").notNull().default(0),
  latencyMax: real("latency_max"),
};

/** Counts per service and minute. */
export const probeMinutes = sqliteTable(
  "probe_minutes",
  { serviceId: text("service_id").notNull(), minute: integer("minute").notNull(), ...counters },
  (t) => [primaryKey({ columns: [t.serviceId, t.minute] }), index("probe_minutes_minute").on(t.minute)],
);

/** Counts per service and hour. */
export const probeHours = sqliteTable(
  "probe_hours",
  { serviceId: text("service_id").notNull(), hour: integer("hour").notNull(), ...counters },
  (t) => [primaryKey({ columns: [t.serviceId, t.hour] }), index("probe_hours_hour").on(t.hour)],
);
