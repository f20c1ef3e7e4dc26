import "server-only";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The detector's alert per service (migration 0005). */
export const alertStates = sqliteTable("alert_states", {
  serviceId: text("service_id").primaryKey(),
  displayName: text("display_name").notNull(),
  appKind: text("app_kind").notNull(),
  status: text("status", { enum: ["pending", "firing", "resolved"] }).notNull(),
  severity: text("severity", { enum: ["critical", "warning", "info"] }).notNull(),
  since: integer("since").notNull(),
  firedAt: integer("fired_at"),
  resolvedAt: integer("resolved_at"),
  lastNotifiedAt: integer("last_notified_at"),
  downCount: integer("down_count").notNull().default(0),
  badCount: integer("bad_count").notNull().default(0),
  goodCount: integer("good_count").notNull().default(0),
  reason: text("reason"),
  updatedAt: integer("updated_at").notNull(),
});

/** The notification outbox and history (migration 0005). */
export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    createdAt: integer("created_at").notNull(),
    target: text("target").notNull(),
    event: text("event", { enum: ["firing", "repeat", "resolved", "test"] }).notNull(),
    alertName: text("alert_name").notNull(),
    severity: text("severity", { enum: ["critical", "warning", "info"] }).notNull(),
    serviceId: text("service_id"),
    title: text("title").notNull(),
    message: text("message").notNull(),
    clickUrl: text("click_url"),
    runbookUrl: text("runbook_url"),
    alertsUrl: text("alerts_url"),
    status: text("status", { enum: ["pending", "sent", "expired"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastAttemptAt: integer("last_attempt_at"),
    lastError: text("last_error"),
    sentAt: integer("sent_at"),
    requestedBy: text("requested_by"),
  },
  (t) => [index("notifications_due").on(t.status, t.nextAttemptAt), index("notifications_created_at").on(t.createdAt), index("notifications_target").on(t.target, t.id)],
);
