import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { ForgeHttpError, forgeRequest, type ForgeHttp } from "./http";
import { pullSchema, toPullRequestInfo, type ForgePull } from "./pull";
import type { ForgeProvider, NewPullRequest, PullRequestInfo, TokenSource } from "./types";

const labelSchema = z.object({ id: z.number().int(), name: z.string() });

/** Gitea answers at most this many items per page (its default `[api] MAX_RESPONSE_ITEMS`). */
const PAGE = 50;

/** Colour of the labels the panel creates (Gitea needs one). */
const LABEL_COLOR = "#1d76db";

/**
 * Gitea and Forgejo (API v1): `repoGet`, `repoListPullRequests`, `repoCreatePullRequest`,
 * `repoGetPullRequest`; labels through `issueListLabels`, `issueCreateLabel` and `issueAddLabel`
 * (by id: Forgejo and older Gitea take ids only).
 *
 * Where Gitea differs from GitHub: a pull request that already exists is a 409 (GitHub: 422); a head
 * branch it cannot find is a 404; `mergeable` is false while Gitea is still checking the pull
 * request after a push to its base (no separate "unknown"); adding a label that does not exist is
 * refused instead of creating it; list endpoints answer at most 50 items a page.
 */
export class GiteaForge implements ForgeProvider {
  readonly kind = "gitea" as const;
  private readonly http: ForgeHttp;
  private readonly base: string;
  private readonly recheckMs: number;

  constructor(opts: { apiUrl: string; owner: string; repo: string; token: TokenSource; timeoutMs?: number; recheckMs?: number }) {
    this.http = {
      forge: "Gitea",
      apiUrl: opts.apiUrl,
      token: opts.token,
      authHeader: (t) => `token ${t}`,
      scope: "a token with the write:repository scope (and write:issue for labels)",
      repo: `${opts.owner}/${opts.repo}`,
      timeoutMs: opts.timeoutMs ?? 15_000,
    };
    this.base = `/repos/${encodeURIComponent(opts.owner)}/${encodeURIComponent(opts.repo)}`;
    this.recheckMs = opts.recheckMs ?? 1000;
  }

  /** `repoGet`. */
  async checkAccess(): Promise<void> {
    await forgeRequest(this.http, { method: "GET", path: this.base, schema: z.object({ full_name: z.string() }) });
  }

  /** `repoListPullRequests` (open), page by page: Gitea's list has no head filter. */
  async findOpenPull(head: string, base: string): Promise<PullRequestInfo | undefined> {
    for (let page = 1; page <= 20; page++) {
      const list = await forgeRequest(this.http, {
        method: "GET",
        path: `${this.base}/pulls?state=open&limit=${PAGE}&page=${page}`,
        schema: z.array(pullSchema),
      });
      const found = list.find((p) => p.head.ref === head && p.base.ref === base);
      if (found) return toPullRequestInfo(found);
      if (list.length < PAGE) break;
    }
    return undefined;
  }

  /** `repoCreatePullRequest`, then the labels (a failure there is a warning, not a failure). */
  async createPull(request: NewPullRequest): Promise<PullRequestInfo & { warnings: string[] }> {
    let pull: ForgePull;
    try {
      pull = await forgeRequest(this.http, {
        method: "POST",
        path: `${this.base}/pulls`,
        body: { title: request.title, head: request.head, base: request.base, body: request.body },
        schema: pullSchema,
      });
    } catch (error) {
      // Gitea answers 404 for a head or base branch it cannot find, not only for a missing repository.
      if (error instanceof ForgeHttpError && error.status === 404) {
        throw new AppError("not_found", `Gitea could not open the pull request from ${request.head} into ${request.base} on ${this.http.repo}: one of the branches (or the repository) is not there for the token in ${this.http.token.env}.`, {
          source: "forge",
          cause: error,
        });
      }
      throw error;
    }
    const warnings: string[] = [];
    if (request.labels.length > 0) {
      try {
        const ids = await this.labelIds(request.labels);
        await forgeRequest(this.http, { method: "POST", path: `${this.base}/issues/${pull.number}/labels`, body: { labels: ids }, schema: z.array(labelSchema) });
      } catch (error) {
        const why = error instanceof ForgeHttpError ? `HTTP ${error.status}${error.forgeMessage ? `: ${error.forgeMessage}` : ""}` : error instanceof Error ? error.message : "unknown error";
        warnings.push(`Labels were not added (${why}); the token needs the write:issue scope for them.`);
      }
    }
    return { ...toPullRequestInfo(pull), warnings };
  }

  /**
   * `repoGetPullRequest`. An open pull request reported as not mergeable is read once more after a
   * moment: Gitea reports `false` while its check after a push to the base is still running.
   */
  async getPull(number: number): Promise<PullRequestInfo> {
    const read = () => forgeRequest(this.http, { method: "GET", path: `${this.base}/pulls/${number}`, schema: pullSchema });
    let pull = await read();
    if (pull.state === "open" && pull.mergeable === false && this.recheckMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.recheckMs));
      pull = await read();
    }
    return toPullRequestInfo(pull);
  }

  /**
   * Ids of the repository labels called `names` (`issueListLabels`, every page), creating the
   * missing ones (`issueCreateLabel`). Gitea matches label names exactly.
   */
  private async labelIds(names: readonly string[]): Promise<number[]> {
    const existing: z.infer<typeof labelSchema>[] = [];
    for (let page = 1; page <= 20; page++) {
      const list = await forgeRequest(this.http, { method: "GET", path: `${this.base}/labels?limit=${PAGE}&page=${page}`, schema: z.array(labelSchema) });
      existing.push(...list);
      if (list.length < PAGE) break;
    }
    const ids: number[] = [];
    for (const name of names) {
      const found = existing.find((l) => l.name === name);
      if (found) {
        ids.push(found.id);
        continue;
      }
      const created = await forgeRequest(this.http, {
        method: "POST",
        path: `${this.base}/labels`,
        body: { name, color: LABEL_COLOR, description: "Added by k8s-nas-panel" },
        schema: labelSchema,
      });
      existing.push(created);
      ids.push(created.id);
    }
    return ids;
  }
}
