import "server-only";
import { integer, sqliteTable, text, index } from "drizzle-orm/sqlite-core";

/** Who did what, when, with which result. Inputs are summaries with secrets removed. */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    role: text("role").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    inputSummary: text("input_summary"),
    result: text("result", { enum: ["ok", "error", "refused"] }).notNull(),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    links: text("links"),
    /** How many identical events this row stands for (failed sign-ins are folded per client and window). */
    repeatCount: integer("repeat_count").notNull().default(1),
    /** Time of the first of them when `repeatCount` > 1; `at` is the last. */
    firstAt: integer("first_at"),
  },
  (t) => [index("audit_events_at").on(t.at), index("audit_events_action").on(t.action)],
);

/** Panel-wide settings changed from the Settings page (not configuration: that lives in Git and the config file). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});
