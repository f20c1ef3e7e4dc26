import type { ForgeKind } from "./repo-url";
import type { BaseSource, ChangeKind } from "./types";

/** State of a change's pull request on the forge (`pushed`: a branch without a pull request, forge `none`). */
export type PullState = "open" | "closed" | "merged" | "pushed";

/** Argo CD's view of one Application the change affects. */
export interface AppSyncState {
  namespace: string;
  name: string;
  /** `Synced`, `OutOfSync`, `Unknown`. */
  syncStatus: string;
  /** The commit Argo CD last synced. */
  revision?: string;
  /** `Healthy`, `Progressing`, `Degraded`, `Missing`, `Suspended`, `Unknown`. */
  health?: string;
  healthMessage?: string;
  /** Whether `revision` is the change's merge commit or comes after it; null when not known yet. */
  includesChange: boolean | null;
}

/** Where a change stands, as the Changes page shows it. */
export type ChangeStatus = "open" | "pushed" | "closed" | "merged" | "live";

/**
 * open -> merged -> live: live once every affected Argo CD Application is Synced at the merge commit
 * or a later one. A merged change without a known Application stays "merged".
 */
export function changeStatus(pull: PullState, apps: readonly AppSyncState[]): ChangeStatus {
  if (pull !== "merged") return pull;
  if (apps.length === 0) return "merged";
  return apps.every((a) => a.syncStatus === "Synced" && a.includesChange === true) ? "live" : "merged";
}

/** True when every affected Application reports Healthy. */
export function allHealthy(apps: readonly AppSyncState[]): boolean {
  return apps.length > 0 && apps.every((a) => a.health === "Healthy");
}

/** A change the panel proposed, as stored and shown. */
export interface ChangeView {
  id: number;
  createdAt: number;
  author: string;
  kind: ChangeKind;
  key: string;
  title: string;
  summary: string[];
  services: string[];
  branch: string;
  baseBranch: string;
  baseSource: BaseSource;
  baseSha: string;
  headSha: string;
  files: string[];
  diff: string;
  forge: ForgeKind;
  prUrl: string;
  prNumber: number | null;
  pullState: PullState;
  /** False when the forge reports a conflict with the base branch. */
  mergeable: boolean | null;
  mergeSha: string | null;
  mergedAt: number | null;
  apps: AppSyncState[];
  status: ChangeStatus;
  liveAt: number | null;
  checkedAt: number | null;
  /** The last problem met while following the change (forge or cluster unreachable...). */
  lastError: string | null;
}

/** Words for each status. */
export const STATUS_TEXT: Record<ChangeStatus, string> = {
  open: "pull request open",
  pushed: "branch pushed",
  closed: "closed without merging",
  merged: "merged, waiting for Argo CD",
  live: "live",
};
