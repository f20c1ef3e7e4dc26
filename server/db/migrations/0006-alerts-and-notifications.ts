import "server-only";
import type { Migration } from "./types";

/**
 * The panel's own detector and its notifications: one row per service with an alert (so a restart
 * neither repeats a message nor forgets a recovery), and the notifications as an outbox (each waits
 * there until its target accepted it, retried with back-off; the rows are also the history).
 */
export const migration: Migration = {
  id: 6,
  name: "alerts and notifications",
  sql: `
    CREATE TABLE alert_states (
      service_id TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      app_kind TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'firing', 'resolved')),
      severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
      since INTEGER NOT NULL,
      fired_at INTEGER,
      resolved_at INTEGER,
      last_notified_at INTEGER,
      down_count INTEGER NOT NULL DEFAULT 0,
      bad_count INTEGER NOT NULL DEFAULT 0,
      good_count INTEGER NOT NULL DEFAULT 0,
      reason TEXT,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE notifications (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created_at INTEGER NOT NULL,
      target TEXT NOT NULL,
      event TEXT NOT NULL CHECK (event IN ('firing', 'repeat', 'resolved', 'test')),
      alert_name TEXT NOT NULL,
      severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
      service_id TEXT,
      title TEXT NOT NULL,
      message TEXT NOT NULL,
      click_url TEXT,
      runbook_url TEXT,
      alerts_url TEXT,
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'expired')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_attempt_at INTEGER,
      last_error TEXT,
      sent_at INTEGER,
      requested_by TEXT
    );
    CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
    CREATE INDEX notifications_created_at ON notifications (created_at);
    CREATE INDEX notifications_target ON notifications (target, id);
  `,
};
