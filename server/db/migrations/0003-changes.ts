import "server-only";
import type { Migration } from "./types";

/** Changes proposed through Git (branches, pull requests) and how far each got. */
export const migration: Migration = {
  id: 3,
  name: "gitops_changes",
  sql: `
    CREATE TABLE gitops_changes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created_at INTEGER NOT NULL,
      author TEXT NOT NULL,
      kind TEXT NOT NULL,
      change_key TEXT NOT NULL,
      title TEXT NOT NULL,
      summary TEXT NOT NULL,
      services TEXT NOT NULL,
      branch TEXT NOT NULL UNIQUE,
      base_branch TEXT NOT NULL,
      base_source TEXT NOT NULL,
      base_sha TEXT NOT NULL,
      head_sha TEXT NOT NULL,
      files TEXT NOT NULL,
      diff TEXT NOT NULL,
      forge TEXT NOT NULL,
      pr_url TEXT NOT NULL,
      pr_number INTEGER,
      pull_state TEXT NOT NULL CHECK (pull_state IN ('open', 'closed', 'merged', 'pushed')),
      mergeable INTEGER,
      merge_sha TEXT,
      merged_at INTEGER,
      apps TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'pushed', 'closed', 'merged', 'live')),
      live_at INTEGER,
      checked_at INTEGER,
      last_error TEXT
    );
    CREATE INDEX gitops_changes_key ON gitops_changes (change_key);
    CREATE INDEX gitops_changes_created ON gitops_changes (created_at);
  `,
};
