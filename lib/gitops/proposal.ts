import type { ChangeRequest } from "./change-kinds";
import type { ChangeView } from "./change-state";
import type { BaseSource } from "./types";

/** A planned change shown before it is proposed. */
export interface ChangePreview {
  outcome: "preview" | "already_so" | "already_open";
  label: string;
  title: string;
  summary: string[];
  why: string;
  notes: string[];
  services: string[];
  files: string[];
  diff: string;
  baseBranch: string;
  baseSource: BaseSource;
  baseSha: string;
  /** Argo CD Applications that deploy the edited files (`namespace/name`). */
  applications: string[];
  /** Identifies this exact diff on this exact base; confirming checks it is unchanged. */
  fingerprint: string;
  /** Why nothing would change, or where the open pull request is. */
  message?: string;
  existing?: Pick<ChangeView, "id" | "prUrl" | "branch" | "title">;
}

/** The result of proposing a change. */
export interface ProposeOutcome {
  outcome: "opened" | "pushed" | "already_so" | "already_open";
  message: string;
  change?: ChangeView;
  prUrl?: string;
  warnings: string[];
}

/** A change the panel can propose now, for the Changes page's buttons. */
export interface ChangeSuggestion {
  request: ChangeRequest;
  label: string;
  detail: string;
}

/** A revert of a merged change, shown before it is proposed. */
export interface RevertPreview {
  /** `preview`: the revert applies; `conflict`: the files changed again since and it does not; `already_open`. */
  outcome: "preview" | "conflict" | "already_open";
  changeId: number;
  title: string;
  baseBranch: string;
  baseSha: string;
  /** The commit reverted (the merge commit, reverted against its first parent). */
  commit: string;
  files: string[];
  /** The revert's diff: the exact inverse of the change when nothing touched its files since. */
  diff: string;
  /** Commits on the base branch since the merge that touch the change's files. */
  changedSince: string[];
  /** Files git could not revert, and the conflict with git's markers. */
  conflicts: string[];
  conflictDiff: string;
  fingerprint: string;
  message?: string;
  existing?: Pick<ChangeView, "id" | "prUrl" | "branch" | "title">;
}
