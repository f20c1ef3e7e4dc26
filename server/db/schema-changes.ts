import "server-only";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Every configuration change the panel proposed through Git: where it lives (branch, pull request),
 * what it changed (files, diff), and how far it got (pull request state, Argo CD sync). JSON columns
 * hold lists (summary, services, files, apps).
 */
export const gitopsChanges = sqliteTable(
  "gitops_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    createdAt: integer("created_at").notNull(),
    author: text("author").notNull(),
    kind: text("kind").notNull(),
    changeKey: text("change_key").notNull(),
    title: text("title").notNull(),
    summary: text("summary").notNull(),
    services: text("services").notNull(),
    branch: text("branch").notNull().unique(),
    baseBranch: text("base_branch").notNull(),
    baseSource: text("base_source").notNull(),
    baseSha: text("base_sha").notNull(),
    headSha: text("head_sha").notNull(),
    files: text("files").notNull(),
    diff: text("diff").notNull(),
    forge: text("forge").notNull(),
    prUrl: text("pr_url").notNull(),
    prNumber: integer("pr_number"),
    pullState: text("pull_state").notNull(),
    mergeable: integer("mergeable", { mode: "boolean" }),
    mergeSha: text("merge_sha"),
    mergedAt: integer("merged_at"),
    apps: text("apps").notNull(),
    status: text("status").notNull(),
    liveAt: integer("live_at"),
    checkedAt: integer("checked_at"),
    lastError: text("last_error"),
  },
  (t) => [index("gitops_changes_key").on(t.changeKey), index("gitops_changes_created").on(t.createdAt)],
);
