import "server-only";
import { z } from "zod";
import type { PullRequestInfo } from "./types";

/**
 * A pull request as GitHub (`pulls/get`, `pulls/list`) and Gitea/Forgejo (`GET /repos/{owner}/{repo}/pulls/{index}`)
 * answer it, reduced to the fields the panel uses: both forges name them alike.
 */
export const pullSchema = z.object({
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

export type ForgePull = z.infer<typeof pullSchema>;

/**
 * The pull request as the panel sees it. Merged when the forge says so, or when it has a merge time
 * (GitHub's list answers carry `merged_at` but no `merged`).
 */
export function toPullRequestInfo(p: ForgePull): PullRequestInfo {
  const merged = p.merged === true || (p.merged_at !== null && p.merged_at !== undefined);
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
