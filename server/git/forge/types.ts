import "server-only";
import type { PullState } from "@/lib/gitops/change-state";
import type { ForgeKind } from "@/lib/gitops/repo-url";

/** A pull request as the panel follows it. */
export interface PullRequestInfo {
  /** Null for forge `none` (a pushed branch and a compare link). */
  number: number | null;
  /** Web page of the pull request (or the compare page). */
  url: string;
  state: PullState;
  /** The merge (or squash) commit once merged. */
  mergeCommitSha: string | null;
  mergedAt: string | null;
  /** False when the forge reports a conflict with the base; null when unknown. */
  mergeable: boolean | null;
  headRef: string;
  baseRef: string;
}

/** What a new pull request says. */
export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  labels: readonly string[];
}

/**
 * One forge API (GitHub, Gitea/Forgejo) or none. Instances are scoped to one repository and one
 * token; every method throws an AppError with a message a person can act on.
 */
export interface ForgeProvider {
  readonly kind: ForgeKind;
  /** Checks that the token is set and accepted and that it can see the repository. */
  checkAccess(): Promise<void>;
  /** The open pull request from `head` into `base`, if any. */
  findOpenPull(head: string, base: string): Promise<PullRequestInfo | undefined>;
  /** Opens a pull request; labels are added where the forge supports them (a failure there is a warning). */
  createPull(request: NewPullRequest): Promise<PullRequestInfo & { warnings: string[] }>;
  /** Current state of pull request `number`. */
  getPull(number: number): Promise<PullRequestInfo>;
}

/** Where a provider's token comes from, for messages: the variable and (in the cluster) the Secret. */
export interface TokenSource {
  env: string;
  value: string | undefined;
}

/** "GITOPS_TOKEN (in the cluster: key GITOPS_TOKEN of the Secret k8s-nas-panel-secrets)". */
export function describeTokenSource(source: TokenSource): string {
  return `${source.env} (in the cluster: the key ${source.env} of the Secret k8s-nas-panel-secrets)`;
}
