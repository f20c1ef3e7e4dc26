import "server-only";
import { AppError } from "@/lib/errors";
import { defaultApiUrl, type ForgeKind, type RepoId } from "@/lib/gitops/repo-url";
import { GiteaForge } from "./gitea";
import { GithubForge } from "./github";
import { NoForge } from "./none";
import type { ForgeProvider, TokenSource } from "./types";

/** Picks the provider for `kind` (config `gitops.forge`), with the API URL from the config or the repo URL. */
export function createForge(opts: { kind: ForgeKind; repo: RepoId; apiUrl?: string; token: TokenSource; timeoutMs?: number }): ForgeProvider {
  if (opts.kind === "none") return new NoForge(opts.repo);
  const apiUrl = opts.apiUrl ?? defaultApiUrl(opts.kind, opts.repo);
  if (!apiUrl) throw new AppError("invalid_input", "gitops.apiUrl is needed for this forge.", { source: "forge" });
  const common = { apiUrl, owner: opts.repo.owner, repo: opts.repo.repo, token: opts.token, timeoutMs: opts.timeoutMs };
  return opts.kind === "github" ? new GithubForge(common) : new GiteaForge(common);
}

export type { ForgeProvider, PullRequestInfo, NewPullRequest, TokenSource } from "./types";
