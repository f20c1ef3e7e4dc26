import "server-only";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { lstat, mkdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "@/lib/errors";
import type { FileChange } from "@/lib/gitops/diff";
import { redactRepoUrl } from "@/lib/gitops/repo-url";
import type { RepoView } from "@/lib/gitops/repo-view";
import { gitFailureOf, networkError, runGit, runGitBuffer, type GitAuth } from "./git-cli";
import type { KeyedMutex } from "@/lib/keyed-mutex";
import { gitMutex } from "./mutex";

/** How to reach and write one GitOps repository. */
export interface GitRepoOptions {
  /** Folder of the bare clone (created on first sync). Work trees live next to it. */
  dir: string;
  /** Remote URL without credentials (it is stored in the clone's config). */
  url: string;
  auth: GitAuth;
  /** Where the credentials come from, for error messages (never the secret itself). */
  credentialHint: string;
  author: { name: string; email: string };
  networkTimeoutMs?: number;
  localTimeoutMs?: number;
  mutex?: KeyedMutex;
}

/** A file to write in a commit; `content: null` deletes it. */
/** The result of a revert: the commit and what it changes, or the conflict that stopped it. */
export type RevertResult = { ok: true; headSha: string; files: FileChange[] } | { ok: false; conflicts: string[]; conflictDiff: string };

export interface FileWrite {
  path: string;
  content: string | null;
}

const MAX_LOADED_FILE = 1024 * 1024;

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== "";
  } catch {
    return false;
  }
}
const LOADED = /\.(ya?ml|json|xml|conf|txt|md)$|(^|\/)Kustomization$/i;

/**
 * Refuses a path whose any component, as it exists in the work tree, is a symbolic link: a link
 * committed in the repository (`apps -> /data`) must never make the panel write outside the work
 * tree, nor replace what a link points at. Components that do not exist yet are fine.
 */
async function assertPlainPath(root: string, rel: string): Promise<void> {
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new AppError("invalid_input", `Refusing to write outside the repository: ${rel}`, { source: "git" });
  }
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (isLink) {
      throw new AppError("invalid_input", `Refusing to write ${rel}: ${path.relative(root, current)} is a symbolic link in the repository.`, { source: "git" });
    }
  }
}

/**
 * One GitOps repository, cloned bare into the data directory. The clone only ever receives fetches:
 * every change is written in its own detached work tree (`git worktree add`), committed and pushed
 * to a new branch, and the work tree is removed afterwards whatever happened, so a failed push or a
 * crash leaves nothing half-done in the clone. Operations on the clone's shared state (fetch, work
 * tree add/remove) hold the repository's lock; editing, committing and pushing run in parallel.
 */
/**
 * Why a server refused a push, from git's output: what its hooks said (`remote: error: Not allowed
 * to push to protected branch ...` from Gitea, `remote: error: GH006: Protected branch update
 * failed` from GitHub) and the reason on the `[remote rejected]` line (`pre-receive hook declined`).
 */
export function pushRefusalOf(stderr: string): string {
  const said = stderr
    .split("\n")
    .filter((l) => l.startsWith("remote:"))
    .map((l) => l.replace(/^remote:\s*/, "").replace(/^error:\s*/i, "").trim())
    .filter(Boolean);
  const reason = /\[remote rejected\][^(\n]*\(([^)\n]+)\)/.exec(stderr)?.[1];
  const text = [said.join(" "), reason ? `(${reason})` : ""].filter(Boolean).join(" ");
  return text || (stderr.trim().split("\n").slice(-1)[0] ?? "");
}

export class GitRepo {
  private readonly mutex: KeyedMutex;
  private readonly net: number;
  private readonly local: number;
  private defaultBranchName: string | undefined;
  private readonly snapshots = new Map<string, RepoView>();

  constructor(private readonly opts: GitRepoOptions) {
    if (hasPassword(opts.url)) {
      throw new AppError("invalid_input", "gitops.repoUrl contains a password; put credentials in the environment variables the config names instead.", { source: "git" });
    }
    this.mutex = opts.mutex ?? gitMutex();
    this.net = opts.networkTimeoutMs ?? 60_000;
    this.local = opts.localTimeoutMs ?? 30_000;
  }

  /** The repository URL without credentials, for messages. */
  get displayUrl(): string {
    return redactRepoUrl(this.opts.url);
  }

  private git(args: string[], extra: { cwd?: string; network?: boolean; input?: string; env?: Record<string, string> } = {}): Promise<string> {
    return runGit({
      args: extra.cwd ? args : ["--git-dir", this.opts.dir, ...args],
      cwd: extra.cwd,
      timeoutMs: extra.network ? this.net : this.local,
      auth: extra.network ? this.opts.auth : undefined,
      remoteUrl: extra.network ? this.opts.url : undefined,
      input: extra.input,
      env: extra.env,
    });
  }

  private async network<T>(what: Promise<T>): Promise<T> {
    try {
      return await what;
    } catch (error) {
      throw networkError(error, this.displayUrl, this.opts.credentialHint);
    }
  }

  private async ensureClone(): Promise<void> {
    const healthy = existsSync(path.join(this.opts.dir, "HEAD")) && (await this.git(["rev-parse", "--is-bare-repository"]).then((o) => o.trim() === "true", () => false));
    if (!healthy) {
      rmSync(this.opts.dir, { recursive: true, force: true });
      mkdirSync(this.opts.dir, { recursive: true });
      await runGit({ args: ["init", "--quiet", "--bare", this.opts.dir], timeoutMs: this.local });
      await this.git(["config", "remote.origin.url", this.opts.url]);
      await this.git(["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"]);
      await this.git(["config", "gc.auto", "0"]);
      await this.git(["config", "core.logAllRefUpdates", "false"]);
    } else if ((await this.git(["config", "remote.origin.url"]).catch(() => "")).trim() !== this.opts.url) {
      await this.git(["config", "remote.origin.url", this.opts.url]);
    }
  }

  /**
   * Clones (first time) or fetches the remote's branches, pruning deleted ones, and learns the
   * remote's default branch. Reports unreachable, refused or missing repositories as AppErrors.
   */
  async sync(): Promise<void> {
    await this.mutex.run(this.opts.dir, async () => {
      await this.ensureClone();
      await this.network(this.git(["fetch", "--quiet", "--prune", "--no-tags", "origin"], { network: true }));
      const head = await this.network(this.git(["ls-remote", "--symref", "origin", "HEAD"], { network: true }));
      const m = /^ref:\s+refs\/heads\/(\S+)\s+HEAD/m.exec(head);
      this.defaultBranchName = m?.[1] ?? this.defaultBranchName;
    });
  }

  /** The remote's default branch (after {@link sync}); `main` when the remote does not say. */
  defaultBranch(): string {
    return this.defaultBranchName ?? "main";
  }

  /** Tip of a remote branch as last fetched, or undefined when the branch does not exist. */
  async branchSha(branch: string): Promise<string | undefined> {
    const out = await this.git(["rev-parse", "--verify", "--quiet", `refs/remotes/origin/${branch}^{commit}`]).catch(() => "");
    return out.trim() || undefined;
  }

  /** Branch names on the remote as last fetched. */
  async branches(): Promise<string[]> {
    const out = await this.git(["for-each-ref", "--format=%(refname:lstrip=3)", "refs/remotes/origin/"]);
    return out.split("\n").filter((b) => b && b !== "HEAD");
  }

  /** True when the remote has `branch` now (asks the remote, not the last fetch). */
  async remoteBranchExists(branch: string): Promise<boolean> {
    const out = await this.network(this.git(["ls-remote", "--heads", "origin", `refs/heads/${branch}`], { network: true }));
    return out.trim() !== "";
  }

  /** True when commit `sha` is in the clone. */
  async hasCommit(sha: string): Promise<boolean> {
    return this.git(["cat-file", "-e", `${sha}^{commit}`]).then(
      () => true,
      () => false,
    );
  }

  /** Whether `ancestor` is `descendant` or one of its ancestors; null when either commit is unknown. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean | null> {
    if (!(await this.hasCommit(ancestor)) || !(await this.hasCommit(descendant))) return null;
    try {
      await this.git(["merge-base", "--is-ancestor", ancestor, descendant]);
      return true;
    } catch (error) {
      if (gitFailureOf(error)?.exitCode === 1) return false;
      throw error;
    }
  }

  /** The text files of commit `sha` (YAML, JSON, XML... up to 1 MiB each) and every path of its tree. */
  async snapshot(sha: string): Promise<RepoView> {
    const cached = this.snapshots.get(sha);
    if (cached) return cached;
    const listing = await this.git(["ls-tree", "-r", "-z", "-l", "--full-tree", sha]);
    const paths = new Set<string>();
    const wanted: Array<{ oid: string; path: string }> = [];
    for (const entry of listing.split("\0")) {
      const m = /^(\d+) (\w+) ([0-9a-f]+)\s+(\S+)\t(.+)$/.exec(entry);
      // Symbolic links (mode 120000) are not files the panel reads or edits.
      if (!m || m[2] !== "blob" || m[1] === "120000") continue;
      const file = m[5] as string;
      paths.add(file);
      const size = Number(m[4]);
      if (LOADED.test(file) && Number.isFinite(size) && size <= MAX_LOADED_FILE) wanted.push({ oid: m[3] as string, path: file });
    }
    const texts = new Map<string, string>();
    if (wanted.length > 0) {
      const out = await runGitBuffer({
        args: ["--git-dir", this.opts.dir, "cat-file", "--batch"],
        timeoutMs: this.local,
        input: `${wanted.map((w) => w.oid).join("\n")}\n`,
      });
      let at = 0;
      for (const w of wanted) {
        const nl = out.indexOf(10, at);
        const header = out.subarray(at, nl).toString("utf8");
        const size = Number(header.split(" ")[2]);
        const body = out.subarray(nl + 1, nl + 1 + size);
        texts.set(w.path, body.toString("utf8"));
        at = nl + 1 + size + 1;
      }
    }
    const view: RepoView = { paths, read: (p) => texts.get(p) };
    if (this.snapshots.size >= 8) this.snapshots.delete(this.snapshots.keys().next().value as string);
    this.snapshots.set(sha, view);
    return view;
  }

  /**
   * Writes `files` on top of `baseSha` in a fresh work tree, commits them with the configured author
   * and pushes the commit to the new branch `branch` (never forced: an existing branch is a
   * conflict). The work tree is removed afterwards in every case. Returns the new commit.
   */
  async commitAndPush(opts: { baseSha: string; branch: string; files: readonly FileWrite[]; message: string }): Promise<{ headSha: string }> {
    const workDir = path.join(path.dirname(this.opts.dir), "work", `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`);
    await mkdir(path.dirname(workDir), { recursive: true });
    await this.mutex.run(this.opts.dir, async () => {
      await this.git(["worktree", "prune"]);
      await this.git(["worktree", "add", "--quiet", "--detach", workDir, opts.baseSha]);
    });
    try {
      for (const f of opts.files) {
        const target = path.join(workDir, f.path);
        if (!target.startsWith(`${workDir}${path.sep}`)) throw new AppError("invalid_input", `Refusing to write outside the repository: ${f.path}`, { source: "git" });
        await assertPlainPath(workDir, f.path);
        if (f.content === null) await unlink(target).catch(() => undefined);
        else {
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, f.content);
        }
      }
      // Literal pathspecs: a file name with `*` or `:(glob)` in it is only that file.
      await this.git(["--literal-pathspecs", "add", "--all", "--", ...opts.files.map((f) => f.path)], { cwd: workDir });
      const staged = await this.git(["diff", "--cached", "--name-only"], { cwd: workDir });
      if (staged.trim() === "") throw new AppError("conflict", "The change is already in the base branch: there is nothing to commit.", { source: "git" });
      const who = this.opts.author;
      await this.git(["commit", "--quiet", "--no-verify", "--file", "-"], {
        cwd: workDir,
        input: opts.message,
        env: { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email },
      });
      const headSha = (await this.git(["rev-parse", "HEAD"], { cwd: workDir })).trim();
      await this.pushNewBranch(opts.branch, { workDir });
      return { headSha };
    } finally {
      await this.mutex.run(this.opts.dir, async () => {
        await this.git(["worktree", "remove", "--force", workDir]).catch(() => undefined);
        await rm(workDir, { recursive: true, force: true });
        await this.git(["worktree", "prune"]).catch(() => undefined);
      });
    }
  }

  /**
   * Pushes a commit of the clone (one {@link revert} made, which stays in the clone's objects after
   * its work tree is gone) to the new branch `branch`; never forced: an existing branch is a conflict.
   */
  async pushCommit(commit: string, branch: string): Promise<void> {
    await this.pushNewBranch(branch, { commit });
  }

  /** Pushes HEAD of a work tree, or a commit of the clone, to the new branch `branch` (never forced: an existing branch is a conflict). */
  private async pushNewBranch(branch: string, from: { workDir: string } | { commit: string }): Promise<void> {
    const fromWorkTree = "workDir" in from;
    try {
      await runGit({
        // An empty lease means "the branch must not exist yet": never a fast-forward onto someone's branch.
        args: [...(fromWorkTree ? [] : ["--git-dir", this.opts.dir]), "push", "--quiet", `--force-with-lease=refs/heads/${branch}:`, "origin", `${fromWorkTree ? "HEAD" : from.commit}:refs/heads/${branch}`],
        cwd: fromWorkTree ? from.workDir : undefined,
        timeoutMs: this.net,
        auth: this.opts.auth,
        remoteUrl: this.opts.url,
      });
    } catch (error) {
      const stderr = gitFailureOf(error)?.stderr ?? "";
      if (/\[rejected\]|already exists|fetch first|non-fast-forward|stale info|\[remote rejected\]/i.test(stderr)) {
        if (/\[remote rejected\]/.test(stderr) && !/already exists|stale info/.test(stderr)) {
          throw new AppError("forbidden", `The repository refused the push of ${branch}: ${pushRefusalOf(stderr)}`, { source: "git", cause: error });
        }
        throw new AppError("conflict", `The branch ${branch} already exists in ${this.displayUrl}; nothing was pushed.`, { source: "git", cause: error });
      }
      throw networkError(error, this.displayUrl, this.opts.credentialHint);
    }
  }

  /**
   * Reverts `commit` on top of `baseSha` in a fresh work tree, as `git revert` does (`-m 1` for a
   * merge commit: back to its first parent, the base branch before the merge), and commits it with
   * `message` (push it with {@link pushCommit}). When the revert does not apply
   * (the files changed again since), nothing is committed or pushed: the conflicting files and the
   * conflict (with git's markers) are returned instead. The work tree is removed in every case.
   */
  async revert(opts: { baseSha: string; commit: string; message: string }): Promise<RevertResult> {
    const workDir = path.join(path.dirname(this.opts.dir), "work", `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`);
    await mkdir(path.dirname(workDir), { recursive: true });
    await this.mutex.run(this.opts.dir, async () => {
      await this.git(["worktree", "prune"]);
      await this.git(["worktree", "add", "--quiet", "--detach", workDir, opts.baseSha]);
    });
    const who = this.opts.author;
    const identity = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
    try {
      const parents = (await this.git(["rev-list", "--parents", "-n", "1", opts.commit])).trim().split(/\s+/).slice(1);
      const mainline = parents.length > 1 ? ["-m", "1"] : [];
      try {
        await this.git(["revert", "--no-commit", ...mainline, opts.commit], { cwd: workDir, env: identity });
      } catch (error) {
        const unmerged = (await this.git(["diff", "--name-only", "--diff-filter=U"], { cwd: workDir }).catch(() => "")).split("\n").filter(Boolean);
        if (unmerged.length === 0) throw error;
        const conflict = await this.git(["diff"], { cwd: workDir }).catch(() => "");
        await this.git(["revert", "--abort"], { cwd: workDir }).catch(() => undefined);
        return { ok: false, conflicts: unmerged, conflictDiff: conflict };
      }
      const changed = (await this.git(["diff", "--cached", "--name-only", "-z", opts.baseSha], { cwd: workDir })).split("\0").filter(Boolean);
      if (changed.length === 0) throw new AppError("conflict", "Reverting it changes nothing: the base branch no longer has the change.", { source: "git" });
      const files: FileChange[] = [];
      for (const file of changed) {
        const before = await this.git(["show", `${opts.baseSha}:${file}`]).catch(() => null);
        const after = await readFile(path.join(workDir, file), "utf8").catch(() => null);
        files.push({ path: file, before, after });
      }
      await this.git(["commit", "--quiet", "--no-verify", "--file", "-"], { cwd: workDir, input: opts.message, env: identity });
      const headSha = (await this.git(["rev-parse", "HEAD"], { cwd: workDir })).trim();
      return { ok: true, headSha, files };
    } finally {
      await this.mutex.run(this.opts.dir, async () => {
        await this.git(["worktree", "remove", "--force", workDir]).catch(() => undefined);
        await rm(workDir, { recursive: true, force: true });
        await this.git(["worktree", "prune"]).catch(() => undefined);
      });
    }
  }

  /** Commits after `from` up to `to` that touch `files`, newest first, as `abc1234 subject` lines. */
  async commitsTouching(from: string, to: string, files: readonly string[]): Promise<string[]> {
    if (files.length === 0) return [];
    const out = await this.git(["log", "--format=%h %s", `${from}..${to}`, "--", ...files]);
    return out.split("\n").filter(Boolean);
  }

  /** Deletes a branch on the remote (used when the pull request could not be opened after a push). */
  async deleteRemoteBranch(branch: string): Promise<void> {
    await this.network(this.git(["push", "--quiet", "origin", `:refs/heads/${branch}`], { network: true }));
  }

  /** Number of work trees attached to the clone (0 when no change is being written). */
  async workTreeCount(): Promise<number> {
    const out = await this.git(["worktree", "list", "--porcelain"]);
    return out.split("\n").filter((l) => l.startsWith("worktree ")).length - 1;
  }
}

/**
 * Writes an SSH private key to a private file for `GIT_SSH_COMMAND` and returns its path. The key
 * comes from the environment; the file lives in the panel's data directory with mode 0600.
 */
export function writeSshKey(dir: string, key: string): { keyFile: string; knownHostsFile: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "id_gitops");
  writeFileSync(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
  return { keyFile, knownHostsFile: path.join(dir, "known_hosts") };
}
