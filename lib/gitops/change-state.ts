import type { ForgeKind } from "./repo-url";
import type { HealthStatus } from "../services";
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
  /** The change kind, or `revert` for a pull request that reverts an earlier change. */
  kind: ChangeKind | "revert";
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

/** A service a change touched, by the panel's own verdict now. */
export interface ServiceAfterSync {
  id: string;
  name: string;
  status: HealthStatus;
  /** The first reason of the verdict when it is not up. */
  reason?: string;
}

/** How a live change is doing: the services it touched, judged by the panel (not only Argo CD's badge). */
export interface AfterSync {
  /** `checking` until every service is up (or the grace after the sync is over); `healthy`; `down`. */
  state: "checking" | "healthy" | "down";
  text: string;
  services: ServiceAfterSync[];
}

/** How long after a change went live a service that is not up yet counts as still rolling out. */
export const AFTER_SYNC_GRACE_MS = 30_000;
/** How long after it went live a change is followed (the Changes page keeps refreshing while it is not healthy). */
export const FOLLOW_WINDOW_MS = 30 * 60_000;

/**
 * Follows a live change until the services it touched are healthy by the panel's own verdict:
 * "live and healthy" once every one is up; "live, but sonarr is down since the sync: <reason>"
 * when one is down or degraded after the grace; otherwise still checking. Null when the change is
 * not live. `services` holds the panel's verdicts (a service missing from it is not found).
 */
export function afterSync(change: Pick<ChangeView, "status" | "liveAt" | "services">, services: ReadonlyMap<string, ServiceAfterSync>, now: number): AfterSync | null {
  if (change.status !== "live") return null;
  const touched = change.services.map((id) => services.get(id) ?? { id, name: id.split("/").pop() ?? id, status: "unknown" as const, reason: "not found in the cluster" });
  if (touched.length === 0) return { state: "healthy", text: "live and healthy", services: [] };
  if (touched.every((s) => s.status === "up")) return { state: "healthy", text: "live and healthy", services: touched };
  const bad = touched.filter((s) => s.status === "down" || s.status === "degraded");
  const settled = change.liveAt === null || now - change.liveAt >= AFTER_SYNC_GRACE_MS;
  if (bad.length > 0 && settled) {
    const words = bad.map((s) => `${s.name} is ${s.status}${s.reason ? ` (${s.reason})` : ""}`);
    return { state: "down", text: `live, but ${words.join("; ")} since the sync`, services: touched };
  }
  const waiting = touched.filter((s) => s.status !== "up").map((s) => s.name);
  return { state: "checking", text: `live, checking ${waiting.join(", ")}…`, services: touched };
}

/** True while a change is still followed: not finished, or live and not yet healthy within the follow window. */
export function stillFollowed(change: Pick<ChangeView, "status" | "liveAt">, after: AfterSync | null, now: number): boolean {
  if (change.status === "open" || change.status === "pushed" || change.status === "merged") return true;
  return change.status === "live" && after !== null && after.state !== "healthy" && change.liveAt !== null && now - change.liveAt < FOLLOW_WINDOW_MS;
}

/** A change as the Changes page lists it: with how the services it touched are doing once it is live. */
export type FollowedChange = ChangeView & { afterSync: AfterSync | null };
