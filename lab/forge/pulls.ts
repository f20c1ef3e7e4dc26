import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ForgeUrls } from "./shapes";
import { labelJson, nodeId, simpleUser } from "./shapes";

/** A pull request as the forge stores it (`<labDir>/forge/state.json`). */
export interface PullRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  /** Branch names in the one repository (no forks in the lab). */
  head: string;
  base: string;
  state: "open" | "closed";
  draft: boolean;
  maintainerCanModify: boolean;
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  /** Last known tips; frozen once the pull request is closed. */
  headSha: string;
  baseSha: string;
  /** Frozen once closed. */
  stats: { commits: number; additions: number; deletions: number; changedFiles: number };
  /** Names of the repository labels on the pull request (absent in state files of older labs). */
  labels?: string[];
}

/** A repository label (GitHub creates one when an unknown name is added to an issue). */
export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  /** Empty, not null: the subset's `pull-request-simple` label has a non-nullable description. */
  description: string;
  default: boolean;
}

interface ForgeData {
  createdAt: string;
  nextNumber: number;
  nextId: number;
  pulls: PullRecord[];
  labels?: LabelRecord[];
  nextLabelId?: number;
}

/** Pull requests kept in a JSON file, rewritten atomically after each change. */
export class PullStore {
  private data: ForgeData;

  constructor(private readonly file: string) {
    if (existsSync(file)) this.data = JSON.parse(readFileSync(file, "utf8")) as ForgeData;
    else this.data = { createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), nextNumber: 1, nextId: 2_000_000_001, pulls: [] };
  }

  get createdAt(): string {
    return this.data.createdAt;
  }

  all(): PullRecord[] {
    return this.data.pulls;
  }

  get(number: number): PullRecord | undefined {
    return this.data.pulls.find((p) => p.number === number);
  }

  /** Repository labels, oldest first. */
  labels(): LabelRecord[] {
    return (this.data.labels ??= []);
  }

  /** The label called `name` (GitHub matches names case-insensitively), created when missing. */
  ensureLabel(name: string): LabelRecord {
    const labels = this.labels();
    const found = labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
    if (found !== undefined) return found;
    this.data.nextLabelId ??= 3_000_000_001;
    const label: LabelRecord = { id: this.data.nextLabelId++, name, color: "ededed", description: "", default: false };
    labels.push(label);
    return label;
  }

  add(p: Omit<PullRecord, "number" | "id">): PullRecord {
    const rec: PullRecord = { ...p, number: this.data.nextNumber++, id: this.data.nextId++ };
    this.data.pulls.push(rec);
    this.save();
    return rec;
  }

  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}

/** Extra facts for rendering a pull request. */
export interface PullView {
  repo: Record<string, unknown>;
  /** Repository labels, to render the pull request's label names. */
  labels: LabelRecord[];
  ownerId: number;
  mergeable: boolean | null;
  mergeableState: string;
}

/** `pull-request-simple` (list) or `pull-request` (full) for a stored pull request. */
export function pullJson(u: ForgeUrls, p: PullRecord, v: PullView, full: boolean): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  const html = `${u.web}/${u.owner}/${u.repo}/pull/${p.number}`;
  const self = `${api}/pulls/${p.number}`;
  const user = simpleUser(u, p.user, p.user === u.owner ? v.ownerId : v.ownerId + 1);
  const side = (branch: string, sha: string): Record<string, unknown> => ({
    label: `${u.owner}:${branch}`,
    ref: branch,
    sha,
    user: simpleUser(u, u.owner, v.ownerId),
    repo: v.repo,
  });
  const simple: Record<string, unknown> = {
    url: self,
    id: p.id,
    node_id: nodeId("PullRequest", p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    commits_url: `${self}/commits`,
    review_comments_url: `${self}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user,
    body: p.body,
    labels: (p.labels ?? []).flatMap((name) => {
      const label = v.labels.find((l) => l.name === name);
      return label === undefined ? [] : [labelJson(u, label)];
    }),
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(p.head, p.headSha),
    base: side(p.base, p.baseSha),
    _links: {
      self: { href: self },
      html: { href: html },
      issue: { href: `${api}/issues/${p.number}` },
      comments: { href: `${api}/issues/${p.number}/comments` },
      review_comments: { href: `${self}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${self}/commits` },
      statuses: { href: `${api}/statuses/${p.headSha}` },
    },
    author_association: p.user === u.owner ? "OWNER" : "COLLABORATOR",
    auto_merge: null,
    draft: p.draft,
  };
  if (!full) return simple;
  return {
    ...simple,
    merged: p.mergedAt !== null,
    mergeable: v.mergeable,
    rebaseable: v.mergeable,
    mergeable_state: v.mergeableState,
    merged_by: p.mergedBy === null ? null : simpleUser(u, p.mergedBy, v.ownerId),
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: p.maintainerCanModify,
    commits: p.stats.commits,
    additions: p.stats.additions,
    deletions: p.stats.deletions,
    changed_files: p.stats.changedFiles,
  };
}

