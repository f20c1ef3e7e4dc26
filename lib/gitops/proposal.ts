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
