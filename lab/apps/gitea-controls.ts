/**
 * What a reviewer (or a test) does on the lab's Gitea, through Gitea's own API: list, merge and
 * close pull requests, read branches, labels and files, and put the repository back to the
 * imported state.
 */
import { git } from "./git-repo";
import type { GiteaInfo } from "./gitea";
import { giteaApi, gitAuthEnv } from "./gitea";

/** A Gitea pull request, the fields the lab reads. */
export interface GiteaPull {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  mergeable: boolean;
  merge_commit_sha: string | null;
  html_url: string;
  title: string;
  body: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: { id: number; name: string }[];
}

/** Thrown for an answer that is not 2xx. */
export class GiteaControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Connection facts the controls need (a subset of `apps.gitea` plus the git server's bare repository). */
export type GiteaEndpoint = Pick<GiteaInfo, "apiUrl" | "url" | "token" | "username" | "password" | "owner" | "repo" | "branches" | "importCommit" | "defaultBranch">;

export class GiteaControls {
  private readonly repoPath: string;

  constructor(
    private readonly gitea: GiteaEndpoint,
    /** A repository holding the import commit (the lab git server's bare repository), for resets. */
    private readonly sourceBareDir?: string,
  ) {
    this.repoPath = `/repos/${gitea.owner}/${gitea.repo}`;
  }

  /** API call with the admin's basic credentials (site administrator: every scope). */
  async api<T>(method: string, path: string, body?: unknown, ok: number[] = [200, 201, 204]): Promise<T> {
    const auth = `Basic ${Buffer.from(`${this.gitea.username}:${this.gitea.password}`).toString("base64")}`;
    const res = await giteaApi(this.gitea.apiUrl, auth, method, path, body);
    if (!ok.includes(res.status)) {
      throw new GiteaControlError(res.status, `gitea ${method} ${path}: HTTP ${res.status} ${typeof res.body === "string" ? res.body : JSON.stringify(res.body)}`);
    }
    return res.body as T;
  }

  /** Every page of a list endpoint (Gitea answers at most 50 items a page). */
  private async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= 100; page++) {
      // Gitea answers `null` for an empty list in places (branches of a repository it is still indexing).
      const list = (await this.api<T[] | null>("GET", `${path}${path.includes("?") ? "&" : "?"}limit=50&page=${page}`)) ?? [];
      out.push(...list);
      if (list.length < 50) break;
    }
    return out;
  }

  /** Pull requests in every state, newest first. */
  listPulls(): Promise<GiteaPull[]> {
    return this.all<GiteaPull>(`${this.repoPath}/pulls?state=all`);
  }

  getPull(number: number): Promise<GiteaPull> {
    return this.api<GiteaPull>("GET", `${this.repoPath}/pulls/${number}`);
  }

  /**
   * Merges like the Merge button (`repoMergePullRequest`, default style `merge`: a merge commit)
   * and returns the merge commit. Retries while Gitea is still checking the pull request.
   */
  async mergePull(number: number, style: "merge" | "squash" | "rebase" = "merge"): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await this.api("POST", `${this.repoPath}/pulls/${number}/merge`, { Do: style });
        break;
      } catch (error) {
        // 405 "Please try again later" while the mergeability check runs.
        if (!(error instanceof GiteaControlError) || error.status !== 405 || !/try again later/i.test(error.message) || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    const merged = await this.getPull(number);
    if (!merged.merged || merged.merge_commit_sha === null) throw new Error(`gitea: pull request #${number} is not merged after the merge call`);
    return merged.merge_commit_sha;
  }

  /** Closes a pull request without merging (`repoEditPullRequest` with `state: closed`). */
  async closePull(number: number): Promise<GiteaPull> {
    return this.api<GiteaPull>("PATCH", `${this.repoPath}/pulls/${number}`, { state: "closed" });
  }

  /** Tip of a branch, or undefined when it does not exist. */
  async branchSha(branch: string): Promise<string | undefined> {
    const res = await this.api<{ commit: { id: string } } | undefined>("GET", `${this.repoPath}/branches/${encodeURIComponent(branch)}`, undefined, [200, 404]);
    return (res as { commit?: { id: string } } | undefined)?.commit?.id;
  }

  async branches(): Promise<string[]> {
    return (await this.all<{ name: string }>(`${this.repoPath}/branches`)).map((b) => b.name);
  }

  /** A file's text at `ref`. */
  async fileAt(path: string, ref: string): Promise<string> {
    const res = await this.api<{ content: string }>("GET", `${this.repoPath}/contents/${path.split("/").map(encodeURIComponent).join("/")}?ref=${encodeURIComponent(ref)}`);
    return Buffer.from(res.content, "base64").toString("utf8");
  }

  /** The repository's labels. */
  labels(): Promise<{ id: number; name: string; color: string }[]> {
    return this.all(`${this.repoPath}/labels`);
  }

  async createLabel(name: string, color = "#ededed"): Promise<{ id: number; name: string }> {
    return this.api("POST", `${this.repoPath}/labels`, { name, color });
  }

  /** A token of the admin user with the given scopes (`userCreateToken`); delete it with {@link deleteToken}. */
  async createToken(scopes: string[]): Promise<{ id: number; token: string }> {
    const name = `lab-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const res = await this.api<{ id: number; sha1: string }>("POST", `/users/${this.gitea.username}/tokens`, { name, scopes });
    return { id: res.id, token: res.sha1 };
  }

  async deleteToken(id: number): Promise<void> {
    await this.api("DELETE", `/users/${this.gitea.username}/tokens/${id}`, undefined, [204, 404]);
  }

  /**
   * Back to the imported repository: open pull requests closed, branches other than the imported
   * ones deleted, the imported ones force-pushed to the import commit, labels removed.
   */
  async reset(): Promise<void> {
    for (const p of await this.listPulls()) if (p.state === "open") await this.closePull(p.number);
    const keep = new Set(this.gitea.branches);
    for (const b of await this.branches()) {
      if (!keep.has(b)) await this.api("DELETE", `${this.repoPath}/branches/${encodeURIComponent(b)}`, undefined, [204, 404]);
    }
    const moved: string[] = [];
    for (const b of this.gitea.branches) if ((await this.branchSha(b)) !== this.gitea.importCommit) moved.push(b);
    if (moved.length > 0) {
      if (this.sourceBareDir === undefined) throw new Error("gitea reset: branches moved and no repository with the import commit was given");
      await git(
        ["--git-dir", this.sourceBareDir, "push", "--quiet", "--force", `${this.gitea.url}/${this.gitea.owner}/${this.gitea.repo}.git`, ...moved.map((b) => `${this.gitea.importCommit}:refs/heads/${b}`)],
        { env: gitAuthEnv(this.gitea.username, this.gitea.token) },
      );
      // Gitea updates its branch table from a queue after a push.
      const deadline = Date.now() + 20_000;
      for (const b of moved) {
        while ((await this.branchSha(b)) !== this.gitea.importCommit) {
          if (Date.now() > deadline) throw new Error(`gitea reset: ${b} does not show the import commit after the push`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    for (const l of await this.labels()) await this.api("DELETE", `${this.repoPath}/labels/${l.id}`, undefined, [204, 404]);
  }
}
