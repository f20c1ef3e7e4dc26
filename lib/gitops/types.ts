import type { FileChange } from "./diff";
import type { RepoView } from "./repo-view";

/** The kinds of change the panel proposes through Git. */
export const CHANGE_KINDS = ["health-probes", "unpackerr-wiring", "prometheus-scrape", "alert-rules", "https-only", "app-exporters", "exporter-scrape", "enable-backups", "resources"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Where the base branch of a change came from. */
export type BaseSource = "config" | "argocd" | "default";

/** What a planner knows besides the repository. */
export interface PlanContext {
  repo: RepoView;
  /** Folder of the apps (`gitops.appsPath`). */
  appsPath: string;
  /** Secrets with the apps' API keys, per app id (`default` for the rest): `apps.secretRefs`. */
  secretRefs: Record<string, { namespace: string; name: string }>;
  /** The panel's public URL, when configured. */
  publicUrl?: string;
}

/**
 * A change worked out against one commit of the repository: the files it edits and the words of its
 * commit and pull request. `files` is empty when the repository already has what the change adds.
 */
export interface ChangePlan {
  kind: ChangeKind;
  /** Identifies "the same change" (kind and target), so a second request finds the open pull request. */
  key: string;
  /** Commit subject and pull request title. */
  title: string;
  /** What changes, one line per item. */
  summary: string[];
  /** Why the change is worth making. */
  why: string;
  /** Services the change affects (`namespace/name`). */
  services: string[];
  files: FileChange[];
  /** Files the change is about (edited or examined): where Argo CD deploys them decides the base branch. */
  locations: string[];
  /** Facts a reviewer should know (where a path came from, what was left alone). */
  notes: string[];
  /** Labels for the pull request where the forge supports them. */
  labels: string[];
  /** Short slug for the branch name. */
  slug: string;
  /** When `files` is empty: why nothing needs to change. */
  alreadySo?: string;
  /** Checks the server runs before the change may be proposed (a rule file through promtool and Prometheus). */
  checks?: PlanCheck[];
}

/** A check of part of a change that needs more than the planner has (a program, a server). */
export interface PlanCheck {
  kind: "prometheus-rules";
  /** What is checked, for messages (the rule file's name). */
  name: string;
  content: string;
}
