import "server-only";
import { compareUrl, type RepoId } from "@/lib/gitops/repo-url";
import type { ForgeProvider, NewPullRequest, PullRequestInfo } from "./types";

/**
 * No forge API: the branch is pushed and the panel shows the page where a person opens the pull
 * request. Whether it was merged is read from Git (the branch's commit reached the base branch).
 */
export class NoForge implements ForgeProvider {
  readonly kind = "none" as const;

  constructor(private readonly repo: RepoId) {}

  async checkAccess(): Promise<void> {}

  async findOpenPull(): Promise<PullRequestInfo | undefined> {
    return undefined;
  }

  async createPull(request: NewPullRequest): Promise<PullRequestInfo & { warnings: string[] }> {
    return {
      number: null,
      url: compareUrl(this.repo, request.base, request.head),
      state: "pushed",
      mergeCommitSha: null,
      mergedAt: null,
      mergeable: null,
      headRef: request.head,
      baseRef: request.base,
      warnings: ["No forge is configured (gitops.forge: none): open the pull request from the compare page."],
    };
  }

  async getPull(): Promise<PullRequestInfo> {
    throw new Error("forge none has no pull requests");
  }
}
