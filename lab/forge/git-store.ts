import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Name, e-mail and ISO date of a commit author or committer. */
export interface GitIdentity {
  name: string;
  email: string;
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size?: number;
}

/** One entry of a GitHub "create a tree" request. */
export interface NewTreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha?: string | null;
  content?: string;
}

/** A failed git command, with its exit code and stderr. */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} exited ${code}: ${stderr.trim()}`);
  }
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Plumbing-level access to one bare repository: everything the forge simulator needs, done with
 * real git commands so the result is exactly what a clone sees.
 */
export class GitStore {
  constructor(readonly bareDir: string) {}

  private run(args: string[], opts: { input?: Buffer | string; env?: Record<string, string>; okCodes?: number[] } = {}): Promise<RunResult> {
    return new Promise((resolveRun, reject) => {
      const child = spawn("git", ["--git-dir", this.bareDir, ...args], {
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...opts.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", reject);
      child.on("close", (code) => {
        const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") };
        if ((opts.okCodes ?? [0]).includes(result.code)) resolveRun(result);
        else reject(new GitCommandError(args, result.code, result.stderr));
      });
      // git may exit before reading stdin (e.g. rev-parse); that is not an error here.
      child.stdin.on("error", () => undefined);
      if (opts.input !== undefined) child.stdin.end(opts.input);
      else child.stdin.end();
    });
  }

  private async text(args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<string> {
    return (await this.run(args, opts)).stdout.toString("utf8").trim();
  }

  /** The object a revision names, or undefined (`rev-parse --verify`). */
  async resolve(rev: string): Promise<string | undefined> {
    const r = await this.run(["rev-parse", "--verify", "--quiet", "--end-of-options", rev], { okCodes: [0, 1, 128] });
    const sha = r.stdout.toString("utf8").trim();
    return r.code === 0 && sha !== "" ? sha : undefined;
  }

  /** The commit a branch, tag or sha names, or undefined. */
  resolveCommit(rev: string): Promise<string | undefined> {
    return this.resolve(`${rev}^{commit}`);
  }

  async objectType(sha: string): Promise<string | undefined> {
    const r = await this.run(["cat-file", "-t", sha], { okCodes: [0, 1, 128] });
    return r.code === 0 ? r.stdout.toString("utf8").trim() : undefined;
  }

  /** All refs whose full name starts with `prefix` (a plain prefix, as GitHub's matching-refs). */
  async listRefs(prefix = "refs/"): Promise<{ ref: string; sha: string; type: string }[]> {
    const out = await this.text(["for-each-ref", "--format=%(refname) %(objectname) %(objecttype)"]);
    return out
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [ref = "", sha = "", type = ""] = l.split(" ");
        return { ref, sha, type };
      })
      .filter((r) => r.ref.startsWith(prefix));
  }

  /** Creates or moves a ref; with `oldSha`, only if it still points there (compare-and-swap). */
  async updateRef(ref: string, newSha: string, oldSha?: string): Promise<void> {
    await this.run(["update-ref", ref, newSha, ...(oldSha !== undefined ? [oldSha] : [])]);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.run(["update-ref", "-d", ref]);
  }

  async branches(): Promise<string[]> {
    return (await this.listRefs("refs/heads/")).map((r) => r.ref.slice("refs/heads/".length));
  }

  async defaultBranch(): Promise<string> {
    const r = await this.run(["symbolic-ref", "--short", "HEAD"], { okCodes: [0, 1, 128] });
    return r.code === 0 ? r.stdout.toString("utf8").trim() : "main";
  }

  /** True when `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.run(["merge-base", "--is-ancestor", ancestor, descendant], { okCodes: [0, 1] });
    return r.code === 0;
  }

  async readCommit(sha: string): Promise<CommitInfo | undefined> {
    if ((await this.objectType(sha)) !== "commit") return undefined;
    const full = await this.text(["rev-parse", sha]);
    const raw = (await this.run(["cat-file", "commit", full])).stdout.toString("utf8");
    const split = raw.indexOf("\n\n");
    const header = split >= 0 ? raw.slice(0, split) : raw;
    const message = split >= 0 ? raw.slice(split + 2) : "";
    let tree = "";
    const parents: string[] = [];
    const ident = (v: string): GitIdentity => {
      const m = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(v);
      if (m === null) return { name: v, email: "", date: new Date(0).toISOString() };
      const [, name = "", email = "", secs = "0", tz = "+0000"] = m;
      return { name, email, date: isoWithZone(Number(secs), tz) };
    };
    let author: GitIdentity = ident("");
    let committer: GitIdentity = ident("");
    for (const line of header.split("\n")) {
      const sp = line.indexOf(" ");
      const key = line.slice(0, sp);
      const value = line.slice(sp + 1);
      if (key === "tree") tree = value;
      else if (key === "parent") parents.push(value);
      else if (key === "author") author = ident(value);
      else if (key === "committer") committer = ident(value);
    }
    return { sha: full, tree, parents, author, committer, message: message.replace(/\n$/, "") };
  }

  /** `git commit-tree` with explicit identities and dates. */
  async createCommit(c: { tree: string; parents: string[]; message: string; author: GitIdentity; committer: GitIdentity }): Promise<string> {
    return this.text(["commit-tree", c.tree, ...c.parents.flatMap((p) => ["-p", p]), "-F", "-"], {
      input: c.message,
      env: {
        GIT_AUTHOR_NAME: c.author.name,
        GIT_AUTHOR_EMAIL: c.author.email,
        GIT_AUTHOR_DATE: c.author.date,
        GIT_COMMITTER_NAME: c.committer.name,
        GIT_COMMITTER_EMAIL: c.committer.email,
        GIT_COMMITTER_DATE: c.committer.date,
      },
    });
  }

  /** Entries of a tree (`ls-tree -l`, recursive with `-r -t`). */
  async readTree(treeish: string, recursive: boolean): Promise<{ sha: string; entries: TreeEntry[] } | undefined> {
    const sha = await this.resolve(`${treeish}^{tree}`);
    if (sha === undefined) return undefined;
    const out = (await this.run(["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), sha])).stdout.toString("utf8");
    return { sha, entries: parseLsTree(out) };
  }

  /** The tree entry at `path` in `commit`, or undefined. */
  async entryAt(commit: string, path: string): Promise<TreeEntry | undefined> {
    const clean = path.replace(/^\/+|\/+$/g, "");
    if (clean === "") {
      const t = await this.resolve(`${commit}^{tree}`);
      return t === undefined ? undefined : { path: "", mode: "040000", type: "tree", sha: t };
    }
    const out = (await this.run(["ls-tree", "-l", "-z", commit, "--", clean])).stdout.toString("utf8");
    return parseLsTree(out).find((e) => e.path === clean);
  }

  async readBlob(sha: string): Promise<Buffer | undefined> {
    if ((await this.objectType(sha)) !== "blob") return undefined;
    return (await this.run(["cat-file", "blob", sha])).stdout;
  }

  async createBlob(content: Buffer): Promise<string> {
    return this.text(["hash-object", "-w", "--stdin"], { input: content });
  }

  /** Runs `fn` with a private index file, removed afterwards. */
  private async withIndex<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(tmpdir(), "forge-index-"));
    try {
      return await fn({ GIT_INDEX_FILE: join(dir, "index") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Builds a tree like GitHub's "create a tree": start from `baseTree` (or empty), then for each
   * entry add a blob (from `sha` or `content`), graft a tree, add a submodule commit, or delete
   * the path (`sha: null`).
   */
  async createTree(baseTree: string | undefined, entries: NewTreeEntry[]): Promise<string> {
    return this.withIndex(async (env) => {
      if (baseTree !== undefined) await this.run(["read-tree", baseTree], { env });
      else await this.run(["read-tree", "--empty"], { env });
      for (const e of entries) {
        const path = e.path.replace(/^\/+|\/+$/g, "");
        const remove = (): Promise<RunResult> => this.run(["rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", path], { env });
        if (e.sha === null) {
          await remove();
          continue;
        }
        let sha = e.sha;
        if (sha === undefined && e.content !== undefined) sha = await this.createBlob(Buffer.from(e.content, "utf8"));
        if (sha === undefined) throw new TreeEntryError(`tree.sha or tree.content is required for ${path}`);
        await remove();
        if (e.type === "tree") {
          await this.run(["read-tree", `--prefix=${path}/`, sha], { env });
        } else {
          await this.run(["update-index", "--add", "--cacheinfo", `${e.mode},${sha},${path}`], { env });
        }
      }
      return this.text(["write-tree"], { env });
    });
  }

  /** A new tree equal to `commit`'s tree with `path` set to `blob` (or removed when null). */
  async treeWithFile(commit: string, path: string, blob: string | null, mode = "100644"): Promise<string> {
    const base = await this.resolve(`${commit}^{tree}`);
    return this.createTree(base, [{ path, mode, type: "blob", sha: blob }]);
  }

  /**
   * Three-way merge of `theirs` into `ours` without a work tree (`git merge-tree --write-tree`).
   * Returns the merged tree, or `conflicts: true`.
   */
  async mergeTree(ours: string, theirs: string): Promise<{ tree: string; conflicts: boolean }> {
    const r = await this.run(["merge-tree", "--write-tree", "--no-messages", ours, theirs], { okCodes: [0, 1] });
    const tree = r.stdout.toString("utf8").split("\n")[0]?.trim() ?? "";
    return { tree, conflicts: r.code === 1 };
  }

  /** Commits in `head` not in `base`, and the line/file counts of `base...head`. */
  async compare(base: string, head: string): Promise<{ commits: number; additions: number; deletions: number; changedFiles: number }> {
    const commits = Number(await this.text(["rev-list", "--count", `${base}..${head}`]));
    const numstat = await this.text(["diff", "--numstat", `${base}...${head}`]);
    let additions = 0;
    let deletions = 0;
    let changedFiles = 0;
    for (const line of numstat.split("\n").filter(Boolean)) {
      const [a = "0", d = "0"] = line.split("\t");
      additions += a === "-" ? 0 : Number(a);
      deletions += d === "-" ? 0 : Number(d);
      changedFiles += 1;
    }
    return { commits, additions, deletions, changedFiles };
  }

  /** Unified diff of `base...head` (for the pull request page). */
  async diff(base: string, head: string): Promise<string> {
    return (await this.run(["diff", `${base}...${head}`])).stdout.toString("utf8");
  }
}

/** A create-tree entry git cannot use. */
export class TreeEntryError extends Error {}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split("\0")
    .filter(Boolean)
    .map((rec) => {
      const tab = rec.indexOf("\t");
      const [mode = "", type = "", sha = "", size = "-"] = rec.slice(0, tab).split(/\s+/);
      const entry: TreeEntry = { path: rec.slice(tab + 1), mode, type: type as TreeEntry["type"], sha };
      if (size !== "-") entry.size = Number(size);
      return entry;
    });
}

/** `2025-11-09T23:06:17-07:00` from epoch seconds and a `-0700` zone. */
function isoWithZone(secs: number, tz: string): string {
  const sign = tz.startsWith("-") ? -1 : 1;
  const offsetMin = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
  const local = new Date(secs * 1000 + offsetMin * 60_000).toISOString().replace(/\.\d{3}Z$/, "");
  return offsetMin === 0 ? `${local}Z` : `${local}${tz.slice(0, 3)}:${tz.slice(3)}`;
}
