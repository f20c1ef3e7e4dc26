import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixWorkingCopy } from '../cluster/gitops';

const exec = promisify(execFile);

/**
 * The Git side of the lab's Argo CD: which bare repository of the lab answers for an Application's
 * `repoURL`, what its `targetRevision` resolves to, when a branch moves, and checkouts of commits to
 * render from.
 */

/**
 * `<labDir>/argocd/repositories.json`: which bare repository answers for which repoURLs. The GitOps
 * repository's entry (name `gitops`) is the lab's Git server's import (`importedBareDir`) unless a
 * test made Argo CD follow another copy of it (the lab's Gitea).
 */
export interface RepositoryRegistry {
  repositories: { name: string; bareDir: string; importedBareDir?: string; urls: string[] }[];
}

export function registryFile(labDir: string): string {
  return path.join(labDir, 'argocd', 'repositories.json');
}

/** Writes the registry (lab up does, after importing the GitOps repository). */
export function writeRegistry(labDir: string, registry: RepositoryRegistry): void {
  mkdirSync(path.dirname(registryFile(labDir)), { recursive: true });
  writeFileSync(registryFile(labDir), `${JSON.stringify(registry, null, 2)}\n`);
}

/**
 * Makes the repoURLs of a registry entry answered by another bare repository (`undefined`: back to
 * the one imported). Returns the URLs of the entry.
 */
export function followRepository(labDir: string, name: string, bareDir: string | undefined): string[] {
  const registry = readRegistry(labDir);
  const entry = registry.repositories.find((r) => r.name === name);
  if (!entry) throw new Error(`the lab's Argo CD knows no repository "${name}" (${registryFile(labDir)})`);
  const target = bareDir ?? entry.importedBareDir ?? entry.bareDir;
  if (!existsSync(path.join(target, 'HEAD'))) throw new Error(`${target} is not a bare Git repository`);
  entry.importedBareDir ??= entry.bareDir;
  entry.bareDir = target;
  writeRegistry(labDir, registry);
  return entry.urls;
}

export function readRegistry(labDir: string): RepositoryRegistry {
  try {
    return JSON.parse(readFileSync(registryFile(labDir), 'utf8')) as RepositoryRegistry;
  } catch {
    return { repositories: [] };
  }
}

/**
 * A repository URL reduced to what identifies it: host and path, without scheme, user, `.git` or a
 * trailing slash (`git@github.com:o/r.git` and `https://github.com/o/r` are the same repository).
 */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase();
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  u = u.replace(/^([^/:]+):(?!\d+\/)/, '$1/');
  return u.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** owner and repository of a URL's path (its last two segments). */
export function ownerRepo(url: string): { owner: string; repo: string } | undefined {
  const parts = normalizeRepoUrl(url).split('/').filter(Boolean);
  if (parts.length < 3) return undefined;
  const [owner, repo] = parts.slice(-2) as [string, string];
  return { owner, repo };
}

/**
 * The bare repository for a repoURL: a URL the registry lists (the lab's GitOps repository answers
 * for every repoURL its own Applications name), else `<labDir>/git/repos/<owner>/<repo>.git` when the
 * lab has it. Undefined: the repository does not exist in the lab.
 */
export function resolveRepository(labDir: string, repoURL: string): string | undefined {
  const norm = normalizeRepoUrl(repoURL);
  for (const r of readRegistry(labDir).repositories) {
    if (r.urls.some((u) => normalizeRepoUrl(u) === norm) && existsSync(path.join(r.bareDir, 'HEAD'))) return r.bareDir;
  }
  const id = ownerRepo(repoURL);
  if (!id) return undefined;
  const bare = path.join(labDir, 'git', 'repos', id.owner, `${id.repo}.git`);
  return existsSync(path.join(bare, 'HEAD')) ? bare : undefined;
}

async function git(bareDir: string, args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['--git-dir', bareDir, ...args], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  return stdout.trim();
}

/**
 * The commit a targetRevision names in a repository: a branch, a tag, `HEAD` or a commit SHA, as Argo
 * CD's repo server resolves it. Throws "Unable to resolve '<rev>' to a commit SHA".
 */
export async function resolveRevision(bareDir: string, targetRevision: string): Promise<string> {
  const rev = targetRevision.trim() === '' ? 'HEAD' : targetRevision.trim();
  const candidates = rev === 'HEAD' ? ['HEAD'] : [`refs/heads/${rev}`, `refs/tags/${rev}`, ...(/^[0-9a-f]{7,40}$/i.test(rev) ? [rev] : [])];
  for (const c of candidates) {
    const sha = await git(bareDir, ['rev-parse', '--verify', '--quiet', `${c}^{commit}`]).catch(() => '');
    if (/^[0-9a-f]{40}$/.test(sha)) return sha;
  }
  throw new Error(`Unable to resolve '${rev}' to a commit SHA`);
}

/**
 * A fingerprint of every ref of a bare repository (loose refs, packed-refs and HEAD), read from the
 * files directly: cheap enough to take every second, and it changes whenever a branch moves.
 */
export function refsFingerprint(bareDir: string): string {
  const parts: string[] = [];
  const read = (f: string) => {
    try {
      parts.push(`${path.relative(bareDir, f)}=${readFileSync(f, 'utf8').trim()}`);
    } catch {
      /* moved while reading: the next poll sees it */
    }
  };
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.endsWith('.lock')) continue;
      const p = path.join(d, e);
      try {
        if (statSync(p).isDirectory()) walk(p);
        else read(p);
      } catch {
        /* gone */
      }
    }
  };
  read(path.join(bareDir, 'HEAD'));
  read(path.join(bareDir, 'packed-refs'));
  walk(path.join(bareDir, 'refs', 'heads'));
  walk(path.join(bareDir, 'refs', 'tags'));
  return parts.join('\n');
}

/**
 * Checkouts of commits, made buildable the way the seeding makes its working copy, kept in
 * `dir` and reused (a few at a time) while several Applications render the same commit.
 */
export class Checkouts {
  private readonly order: string[] = [];
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly keep = 6,
  ) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** The directory holding `sha` of `bareDir`. */
  get(bareDir: string, sha: string): Promise<string> {
    const id = `${path.basename(path.dirname(bareDir))}-${path.basename(bareDir, '.git')}-${sha}`;
    const known = this.pending.get(id);
    if (known) return known;
    const p = this.extract(bareDir, sha, path.join(this.dir, id));
    this.pending.set(id, p);
    p.catch(() => this.pending.delete(id));
    this.order.push(id);
    while (this.order.length > this.keep) {
      const old = this.order.shift() as string;
      this.pending.delete(old);
      rmSync(path.join(this.dir, old), { recursive: true, force: true });
    }
    return p;
  }

  private async extract(bareDir: string, sha: string, dest: string): Promise<string> {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const tar = `${dest}.tar`;
    try {
      await git(bareDir, ['archive', '--format=tar', '-o', tar, sha]);
      await exec('tar', ['-xf', tar, '-C', dest]);
    } finally {
      rmSync(tar, { force: true });
    }
    fixWorkingCopy(dest);
    return dest;
  }

  /** Removes every checkout. */
  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
