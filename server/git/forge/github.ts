import "server-only";
import { z } from "zod";
import { ForgeHttpError, forgeRequest, type ForgeHttp } from "./http";
import { pullSchema, toPullRequestInfo } from "./pull";
import type { ForgeProvider, NewPullRequest, PullRequestInfo, TokenSource } from "./types";

/**
 * GitHub REST (and GitHub Enterprise, and the lab's forge simulator): `repos/get`, `pulls/list`,
 * `pulls/create`, `pulls/get`, `issues/add-labels`.
 */
export class GithubForge implements ForgeProvider {
  readonly kind = "github" as const;
  private readonly http: ForgeHttp;

  constructor(opts: { apiUrl: string; owner: string; repo: string; token: TokenSource; timeoutMs?: number }) {
    this.http = {
      forge: "GitHub",
      apiUrl: opts.apiUrl,
      token: opts.token,
      authHeader: (t) => `Bearer ${t}`,
      scope: "a fine-grained token with Contents and Pull requests: read and write (a classic token: the repo scope)",
      repo: `${opts.owner}/${opts.repo}`,
      headers: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" },
      timeoutMs: opts.timeoutMs ?? 15_000,
    };
    this.base = `/repos/${encodeURIComponent(opts.owner)}/${encodeURIComponent(opts.repo)}`;
    this.owner = opts.owner;
  }

  private readonly base: string;
  private readonly owner: string;

  /** `repos/get`: the token works and sees the repository. */
  async checkAccess(): Promise<void> {
    await forgeRequest(this.http, { method: "GET", path: this.base, schema: z.object({ full_name: z.string() }) });
  }

  /** `pulls/list` with `head=owner:branch`. */
  async findOpenPull(head: string, base: string): Promise<PullRequestInfo | undefined> {
    const q = new URLSearchParams({ state: "open", head: `${this.owner}:${head}`, base, per_page: "10" });
    const list = await forgeRequest(this.http, { method: "GET", path: `${this.base}/pulls?${q.toString()}`, schema: z.array(pullSchema) });
    const found = list.find((p) => p.head.ref === head && p.base.ref === base);
    return found ? toPullRequestInfo(found) : undefined;
  }

  /** `pulls/create`, then `issues/add-labels` (a forge without labels gives a warning, not a failure). */
  async createPull(request: NewPullRequest): Promise<PullRequestInfo & { warnings: string[] }> {
    const pull = await forgeRequest(this.http, {
      method: "POST",
      path: `${this.base}/pulls`,
      body: { title: request.title, head: request.head, base: request.base, body: request.body, maintainer_can_modify: true },
      schema: pullSchema,
    });
    const warnings: string[] = [];
    if (request.labels.length > 0) {
      try {
        await forgeRequest(this.http, {
          method: "POST",
          path: `${this.base}/issues/${pull.number}/labels`,
          body: { labels: request.labels },
          schema: z.unknown(),
        });
      } catch (error) {
        warnings.push(`Labels were not added (${error instanceof ForgeHttpError ? `HTTP ${error.status}` : "the forge did not accept them"}).`);
      }
    }
    return { ...toPullRequestInfo(pull), warnings };
  }

  /** `pulls/get`. */
  async getPull(number: number): Promise<PullRequestInfo> {
    return toPullRequestInfo(await forgeRequest(this.http, { method: "GET", path: `${this.base}/pulls/${number}`, schema: pullSchema }));
  }
}
