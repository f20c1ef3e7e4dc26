import "server-only";
import { z } from "zod";
import { forgeRequest, type ForgeHttp } from "./http";
import type { ForgeProvider, NewPullRequest, PullRequestInfo, TokenSource } from "./types";

const pullSchema = z.object({
  number: z.number().int(),
  html_url: z.string(),
  state: z.enum(["open", "closed"]),
  merged: z.boolean().optional(),
  merged_at: z.string().nullable().optional(),
  merge_commit_sha: z.string().nullable().optional(),
  mergeable: z.boolean().nullable().optional(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
});

type GiteaPull = z.infer<typeof pullSchema>;

function toInfo(p: GiteaPull): PullRequestInfo {
  const merged = p.merged === true;
  return {
    number: p.number,
    url: p.html_url,
    state: merged ? "merged" : p.state,
    mergeCommitSha: merged ? (p.merge_commit_sha ?? null) : null,
    mergedAt: p.merged_at ?? null,
    mergeable: p.mergeable ?? null,
    headRef: p.head.ref,
    baseRef: p.base.ref,
  };
}

/**
 * Gitea and Forgejo (API v1): `GET /repos/{owner}/{repo}`, `GET|POST /repos/{owner}/{repo}/pulls`,
 * `GET /repos/{owner}/{repo}/pulls/{index}`, labels by id through `/issues/{index}/labels`.
 */
export class GiteaForge implements ForgeProvider {
  readonly kind = "gitea" as const;
  private readonly http: ForgeHttp;
  private readonly base: string;

  constructor(opts: { apiUrl: string; owner: string; repo: string; token: TokenSource; timeoutMs?: number }) {
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
  }

  async checkAccess(): Promise<void> {
    await forgeRequest(this.http, { method: "GET", path: this.base, schema: z.object({ full_name: z.string() }) });
  }

  async findOpenPull(head: string, base: string): Promise<PullRequestInfo | undefined> {
    for (let page = 1; page <= 10; page++) {
      const list = await forgeRequest(this.http, {
        method: "GET",
        path: `${this.base}/pulls?state=open&limit=50&page=${page}`,
        schema: z.array(pullSchema),
      });
      const found = list.find((p) => p.head.ref === head && p.base.ref === base);
      if (found) return toInfo(found);
      if (list.length < 50) break;
    }
    return undefined;
  }

  async createPull(request: NewPullRequest): Promise<PullRequestInfo & { warnings: string[] }> {
    const pull = await forgeRequest(this.http, {
      method: "POST",
      path: `${this.base}/pulls`,
      body: { title: request.title, head: request.head, base: request.base, body: request.body },
      schema: pullSchema,
    });
    const warnings: string[] = [];
    if (request.labels.length > 0) {
      try {
        const labels = await forgeRequest(this.http, {
          method: "GET",
          path: `${this.base}/labels?limit=100`,
          schema: z.array(z.object({ id: z.number().int(), name: z.string() })),
        });
        const ids = labels.filter((l) => request.labels.includes(l.name)).map((l) => l.id);
        const missing = request.labels.filter((n) => !labels.some((l) => l.name === n));
        if (ids.length > 0) {
          await forgeRequest(this.http, { method: "POST", path: `${this.base}/issues/${pull.number}/labels`, body: { labels: ids }, schema: z.unknown() });
        }
        if (missing.length > 0) warnings.push(`Labels not defined in the repository were skipped: ${missing.join(", ")}.`);
      } catch {
        warnings.push("Labels were not added (the token may lack write:issue).");
      }
    }
    return { ...toInfo(pull), warnings };
  }

  async getPull(number: number): Promise<PullRequestInfo> {
    return toInfo(await forgeRequest(this.http, { method: "GET", path: `${this.base}/pulls/${number}`, schema: pullSchema }));
  }
}
