import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkouts, followRepository, normalizeRepoUrl, ownerRepo, refsFingerprint, resolveRepository, resolveRevision, writeRegistry } from './repos';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-argocd-repos-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const git = (dir: string, args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

function makeRepo(labDir: string, owner: string, repo: string): { bare: string; work: string; commit: (files: Record<string, string>, msg: string) => string } {
  const bare = path.join(labDir, 'git', 'repos', owner, `${repo}.git`);
  mkdirSync(bare, { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const work = mkdtempSync(path.join(tmp, 'work-'));
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  const commit = (files: Record<string, string>, msg: string) => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
      writeFileSync(path.join(work, f), text);
    }
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', msg]);
    git(work, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
    return git(work, ['rev-parse', 'HEAD']);
  };
  return { bare, work, commit };
}

describe('repository URLs', () => {
  it('normalises SSH and HTTPS forms of one repository to the same identity', () => {
    expect(normalizeRepoUrl('git@github.com:brettswift/k8s_nas.git')).toBe('github.com/brettswift/k8s_nas');
    expect(normalizeRepoUrl('https://github.com/brettswift/k8s_nas.git')).toBe('github.com/brettswift/k8s_nas');
    expect(normalizeRepoUrl('https://GitHub.com/brettswift/k8s_nas/')).toBe('github.com/brettswift/k8s_nas');
    expect(normalizeRepoUrl('http://127.0.0.1:8080/brettswift/k8s_nas.git')).toBe('127.0.0.1:8080/brettswift/k8s_nas');
    expect(normalizeRepoUrl('ssh://git@host:22/o/r.git')).toBe('host:22/o/r');
    expect(ownerRepo('http://127.0.0.1:8080/brettswift/k8s_nas.git')).toEqual({ owner: 'brettswift', repo: 'k8s_nas' });
    expect(ownerRepo('https://git.example/home.git')).toBeUndefined();
  });

  it('resolves a repoURL to a lab repository: the registry first, then owner/repo, else not found', () => {
    const labDir = mkdtempSync(path.join(tmp, 'lab-'));
    const main = makeRepo(labDir, 'lab', 'gitops');
    const other = makeRepo(labDir, 'someone', 'apps');
    writeRegistry(labDir, { repositories: [{ name: 'gitops', bareDir: main.bare, urls: ['https://git.example/home.git', 'git@github.com:brettswift/k8s_nas.git'] }] });
    expect(resolveRepository(labDir, 'https://git.example/home')).toBe(main.bare);
    expect(resolveRepository(labDir, 'https://github.com/brettswift/k8s_nas.git')).toBe(main.bare);
    expect(resolveRepository(labDir, 'http://127.0.0.1:9/someone/apps.git')).toBe(other.bare);
    expect(resolveRepository(labDir, 'https://github.com/nobody/missing.git')).toBeUndefined();
    // Following another copy of the GitOps repository (the lab's Gitea), then back.
    expect(followRepository(labDir, 'gitops', other.bare)).toEqual(['https://git.example/home.git', 'git@github.com:brettswift/k8s_nas.git']);
    expect(resolveRepository(labDir, 'git@github.com:brettswift/k8s_nas.git')).toBe(other.bare);
    followRepository(labDir, 'gitops', undefined);
    expect(resolveRepository(labDir, 'git@github.com:brettswift/k8s_nas.git')).toBe(main.bare);
    expect(() => followRepository(labDir, 'gitops', path.join(labDir, 'nowhere'))).toThrow('is not a bare Git repository');
  });
});

describe('revisions and refs', () => {
  it('resolves branches, tags, HEAD and SHAs, and says when it cannot', async () => {
    const labDir = mkdtempSync(path.join(tmp, 'lab-'));
    const r = makeRepo(labDir, 'o', 'r');
    const first = r.commit({ 'a.yaml': 'a: 1\n' }, 'first');
    git(r.work, ['push', '--quiet', r.bare, `${first}:refs/heads/dev`]);
    git(r.work, ['tag', 'v1']);
    git(r.work, ['push', '--quiet', r.bare, 'refs/tags/v1']);
    const before = refsFingerprint(r.bare);
    const second = r.commit({ 'a.yaml': 'a: 2\n' }, 'second');
    expect(refsFingerprint(r.bare)).not.toBe(before);
    expect(await resolveRevision(r.bare, 'main')).toBe(second);
    expect(await resolveRevision(r.bare, 'HEAD')).toBe(second);
    expect(await resolveRevision(r.bare, '')).toBe(second);
    expect(await resolveRevision(r.bare, 'dev')).toBe(first);
    expect(await resolveRevision(r.bare, 'v1')).toBe(first);
    expect(await resolveRevision(r.bare, first)).toBe(first);
    await expect(resolveRevision(r.bare, 'release-9')).rejects.toThrow("Unable to resolve 'release-9' to a commit SHA");
  });

  it('checks out commits, made buildable like the seeding working copy', async () => {
    const labDir = mkdtempSync(path.join(tmp, 'lab-'));
    const r = makeRepo(labDir, 'o', 'r');
    const sha = r.commit({ 'app/kustomization.yaml': 'resources:\n- cm.yaml\n- missing.yaml\n', 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' }, 'app');
    const checkouts = new Checkouts(path.join(labDir, 'checkouts'), 1);
    const dir = await checkouts.get(r.bare, sha);
    expect(execFileSync('cat', [path.join(dir, 'app', 'kustomization.yaml')], { encoding: 'utf8' })).not.toContain('missing.yaml');
    expect(await checkouts.get(r.bare, sha)).toBe(dir);
    checkouts.clear();
  });
});
