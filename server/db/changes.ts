import "server-only";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { AppSyncState, ChangeStatus, ChangeView, PullState } from "@/lib/gitops/change-state";
import type { ForgeKind } from "@/lib/gitops/repo-url";
import type { BaseSource, ChangeKind } from "@/lib/gitops/types";
import type { PanelDb } from "./open";
import { gitopsChanges } from "./schema-changes";

type Row = typeof gitopsChanges.$inferSelect;

function parseList<T>(text: string): T[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as T[]) : [];
  } catch {
    return [];
  }
}

function toView(r: Row): ChangeView {
  return {
    id: r.id,
    createdAt: r.createdAt,
    author: r.author,
    kind: r.kind as ChangeKind,
    key: r.changeKey,
    title: r.title,
    summary: parseList<string>(r.summary),
    services: parseList<string>(r.services),
    branch: r.branch,
    baseBranch: r.baseBranch,
    baseSource: r.baseSource as BaseSource,
    baseSha: r.baseSha,
    headSha: r.headSha,
    files: parseList<string>(r.files),
    diff: r.diff,
    forge: r.forge as ForgeKind,
    prUrl: r.prUrl,
    prNumber: r.prNumber,
    pullState: r.pullState as PullState,
    mergeable: r.mergeable,
    mergeSha: r.mergeSha,
    mergedAt: r.mergedAt,
    apps: parseList<AppSyncState>(r.apps),
    status: r.status as ChangeStatus,
    liveAt: r.liveAt,
    checkedAt: r.checkedAt,
    lastError: r.lastError,
  };
}

/** A change as first recorded, right after its pull request was opened. */
export type NewChange = Omit<ChangeView, "id">;

/** Records a proposed change; returns it with its id. */
export function insertChange(db: PanelDb, change: NewChange): ChangeView {
  const row = db
    .insert(gitopsChanges)
    .values({
      createdAt: change.createdAt,
      author: change.author,
      kind: change.kind,
      changeKey: change.key,
      title: change.title,
      summary: JSON.stringify(change.summary),
      services: JSON.stringify(change.services),
      branch: change.branch,
      baseBranch: change.baseBranch,
      baseSource: change.baseSource,
      baseSha: change.baseSha,
      headSha: change.headSha,
      files: JSON.stringify(change.files),
      diff: change.diff,
      forge: change.forge,
      prUrl: change.prUrl,
      prNumber: change.prNumber,
      pullState: change.pullState,
      mergeable: change.mergeable,
      mergeSha: change.mergeSha,
      mergedAt: change.mergedAt,
      apps: JSON.stringify(change.apps),
      status: change.status,
      liveAt: change.liveAt,
      checkedAt: change.checkedAt,
      lastError: change.lastError,
    })
    .returning()
    .get();
  return toView(row);
}

/** What following a change updates. */
export type ChangeProgress = Partial<Pick<ChangeView, "pullState" | "mergeable" | "mergeSha" | "mergedAt" | "apps" | "status" | "liveAt" | "checkedAt" | "lastError" | "prUrl">>;

/** Updates the followed state of change `id`. */
export function updateChange(db: PanelDb, id: number, progress: ChangeProgress): void {
  const { apps, ...rest } = progress;
  db.update(gitopsChanges)
    .set({ ...rest, ...(apps !== undefined ? { apps: JSON.stringify(apps) } : {}) })
    .where(eq(gitopsChanges.id, id))
    .run();
}

/** Newest first. */
export function listChanges(db: PanelDb, limit = 100): ChangeView[] {
  return db.select().from(gitopsChanges).orderBy(desc(gitopsChanges.createdAt), desc(gitopsChanges.id)).limit(limit).all().map(toView);
}

export function getChange(db: PanelDb, id: number): ChangeView | undefined {
  const row = db.select().from(gitopsChanges).where(eq(gitopsChanges.id, id)).get();
  return row ? toView(row) : undefined;
}

/** Changes with `key` whose pull request is still open (or branch pushed without a forge). */
export function openChangesWithKey(db: PanelDb, key: string): ChangeView[] {
  return db
    .select()
    .from(gitopsChanges)
    .where(and(eq(gitopsChanges.changeKey, key), inArray(gitopsChanges.pullState, ["open", "pushed"])))
    .orderBy(desc(gitopsChanges.createdAt))
    .all()
    .map(toView);
}

/** Changes still to follow: pull request open, or merged but not live yet. */
export function changesToFollow(db: PanelDb): ChangeView[] {
  return db
    .select()
    .from(gitopsChanges)
    .where(inArray(gitopsChanges.status, ["open", "pushed", "merged"]))
    .orderBy(desc(gitopsChanges.createdAt))
    .all()
    .map(toView);
}
