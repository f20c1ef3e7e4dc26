import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parse } from "yaml";
import { argoSources, loadManifests, parseRepoUrl, sourceBranch } from "../lib/manifests";

/** Where the lab keeps the user's GitOps repository and which branches it has. */
export interface LabRepo {
  owner: string;
  repo: string;
  /** `<labDir>/git/repos/<owner>/<repo>.git` */
  bareDir: string;
  /** Root that `git http-backend` serves (`GIT_PROJECT_ROOT`). */
  projectRoot: string;
  defaultBranch: string;
  branches: string[];
  /** The commit the import created. */
  importCommit: string;
}

/** Runs git with `args`, returns trimmed stdout. */
export async function git(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<string> {
  return new Promise((resolveOut, reject) => {
    const child = execFile(
      "git",
      args,
      { env: { ...process.env, ...opts.env }, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(" ")}: ${stderr || err.message}`));
        else resolveOut(stdout.trim());
      },
    );
    child.stdin?.on("error", () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Facts about the GitOps source tree that decide the lab repo's name and branches. */
export interface RepoPlan {
  owner: string;
  repo: string;
  defaultBranch: string;
  branches: string[];
}

const looksLikeBranch = (rev: string): boolean =>
  rev !== "HEAD" && !/^[0-9a-f]{7,40}$/.test(rev) && !/^v?\d+(\.\d+)*$/.test(rev) && !rev.includes("*");

/**
 * Reads the repository identity and branch names from the tree itself: `owner/repo` from the
 * Argo CD `repoURL`s, branches from their `targetRevision`s plus the branch named in SOURCE.md,
 * the default branch being the most used `targetRevision` (or `$LAB_GIT_DEFAULT_BRANCH`).
 */
export function planRepo(gitopsDir: string): RepoPlan {
  const sources = argoSources(loadManifests(gitopsDir));
  const idCount = new Map<string, number>();
  for (const s of sources) {
    const id = parseRepoUrl(s.repoURL);
    if (id !== undefined) idCount.set(`${id.owner}/${id.repo}`, (idCount.get(`${id.owner}/${id.repo}`) ?? 0) + 1);
  }
  const topId = [...idCount.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "lab/gitops";
  const [owner = "lab", repo = "gitops"] = topId.split("/");
  const revCount = new Map<string, number>();
  for (const s of sources) if (looksLikeBranch(s.targetRevision)) revCount.set(s.targetRevision, (revCount.get(s.targetRevision) ?? 0) + 1);
  const fromSource = sourceBranch(gitopsDir);
  const defaultBranch =
    process.env.LAB_GIT_DEFAULT_BRANCH ?? [...revCount.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? fromSource ?? "main";
  const branches = [...new Set([defaultBranch, "main", ...(fromSource !== undefined ? [fromSource] : []), ...revCount.keys()])];
  return { owner, repo, defaultBranch, branches };
}

/** Files a kustomization's generators reference that the tree lacks (the fixture omits some). */
function missingGeneratorFiles(gitopsDir: string): string[] {
  const missing: string[] = [];
  const walk = (d: string): void => {
    for (const name of ["kustomization.yaml", "kustomization.yml"]) {
      const k = join(d, name);
      if (!existsSync(k)) continue;
      try {
        const doc = parse(readFileSync(k, "utf8")) as Record<string, unknown> | null;
        for (const gen of ["configMapGenerator", "secretGenerator"]) {
          const list = doc?.[gen];
          if (!Array.isArray(list)) continue;
          for (const g of list) {
            const files = (g as { files?: unknown }).files;
            if (!Array.isArray(files)) continue;
            for (const f of files) {
              if (typeof f !== "string") continue;
              const path = join(d, f.includes("=") ? f.slice(f.indexOf("=") + 1) : f);
              if (!existsSync(path)) missing.push(relative(gitopsDir, path));
            }
          }
        }
      } catch {
        // Not parseable: nothing to add.
      }
    }
    for (const entry of readdirSafe(d)) {
      if (entry.startsWith(".")) continue;
      const p = join(d, entry);
      if (isDir(p)) walk(p);
    }
  };
  walk(gitopsDir);
  return missing;
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Commit date from SOURCE.md ("Commit date: 2025-11-09 23:06:17 -0700"), so the import sha is stable. */
function sourceCommitDate(gitopsDir: string): string | undefined {
  const file = join(gitopsDir, "SOURCE.md");
  if (!existsSync(file)) return undefined;
  const m = /Commit date:\s*`?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})/.exec(readFileSync(file, "utf8"));
  return m?.[1];
}

/**
 * Creates the bare repository from the GitOps tree once (one import commit on every planned
 * branch; `SOURCE.md` left out, empty stand-ins for generator files the tree lacks) and makes
 * sure every planned branch exists. An existing repository keeps its history and pushes.
 */
export async function ensureLabRepo(opts: { labDir: string; gitopsDir: string; log: (m: string) => void }): Promise<LabRepo> {
  const plan = planRepo(opts.gitopsDir);
  const projectRoot = join(opts.labDir, "git", "repos");
  const bareDir = join(projectRoot, plan.owner, `${plan.repo}.git`);
  const gd = ["--git-dir", bareDir];
  if (!existsSync(join(bareDir, "HEAD"))) {
    opts.log(`git: importing ${opts.gitopsDir} into ${bareDir}`);
    mkdirSync(dirname(bareDir), { recursive: true });
    await git(["init", "--quiet", "--bare", `--initial-branch=${plan.defaultBranch}`, bareDir]);
    const tmp = mkdtempSync(join(tmpdir(), "lab-git-import-"));
    try {
      const env = { GIT_INDEX_FILE: join(tmp, "index") };
      await git([...gd, "--work-tree", opts.gitopsDir, "add", "--all", "--force", "."], { env });
      await git([...gd, "rm", "--cached", "--quiet", "--ignore-unmatch", "SOURCE.md"], { env });
      const empty = await git([...gd, "hash-object", "-w", "--stdin"], { input: "" });
      for (const f of missingGeneratorFiles(opts.gitopsDir)) {
        await git([...gd, "update-index", "--add", "--cacheinfo", `100644,${empty},${f}`], { env });
      }
      const tree = await git([...gd, "write-tree"], { env });
      const date = sourceCommitDate(opts.gitopsDir);
      const who = {
        GIT_AUTHOR_NAME: "k8s-nas lab",
        GIT_AUTHOR_EMAIL: "lab@k8s-nas.invalid",
        GIT_COMMITTER_NAME: "k8s-nas lab",
        GIT_COMMITTER_EMAIL: "lab@k8s-nas.invalid",
        ...(date !== undefined ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
      };
      const commit = await git([...gd, "commit-tree", tree, "-m", `Import ${plan.owner}/${plan.repo} into the lab`], { env: who });
      for (const b of plan.branches) await git([...gd, "update-ref", `refs/heads/${b}`, commit]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    await git([...gd, "config", "http.receivepack", "true"]);
    await git([...gd, "config", "uploadpack.allowReachableSHA1InWant", "true"]);
  }
  await git([...gd, "symbolic-ref", "HEAD", `refs/heads/${plan.defaultBranch}`]).catch(() => undefined);
  const head = await git([...gd, "rev-parse", "--verify", "--quiet", `refs/heads/${plan.defaultBranch}`]).catch(() => "");
  const existing = new Set((await git([...gd, "for-each-ref", "--format=%(refname:short)", "refs/heads/"])).split("\n").filter(Boolean));
  for (const b of plan.branches) {
    if (!existing.has(b) && head !== "") await git([...gd, "update-ref", `refs/heads/${b}`, head]);
  }
  const importCommit = await git([...gd, "rev-list", "--max-parents=0", "-n", "1", head || "HEAD"]).catch(() => "");
  const branches = (await git([...gd, "for-each-ref", "--format=%(refname:short)", "refs/heads/"])).split("\n").filter(Boolean);
  return { owner: plan.owner, repo: plan.repo, bareDir, projectRoot, defaultBranch: plan.defaultBranch, branches, importCommit };
}
