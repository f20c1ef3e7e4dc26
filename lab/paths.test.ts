import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultGitopsRepo, defaultGitopsRepoChoice, EXAMPLE_GITOPS_REPO, REPO_ROOT } from './paths';

describe('the GitOps repository the lab seeds from', () => {
  const saved = { repo: process.env.LAB_GITOPS_REPO, shared: process.env.K8S_NAS_SHARED_DIR };
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-paths-'));
    delete process.env.LAB_GITOPS_REPO;
  });
  afterEach(() => {
    for (const [k, v] of [['LAB_GITOPS_REPO', saved.repo], ['K8S_NAS_SHARED_DIR', saved.shared]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is the example stack of this repository when the shared folder has no fixture (a bare clone)', () => {
    process.env.K8S_NAS_SHARED_DIR = path.join(tmp, 'empty');
    expect(defaultGitopsRepoChoice()).toEqual({ dir: EXAMPLE_GITOPS_REPO, origin: 'example' });
    expect(EXAMPLE_GITOPS_REPO).toBe(path.join(REPO_ROOT, 'examples', 'media-stack'));
  });

  it("is the owner's fixture when it exists", () => {
    mkdirSync(path.join(tmp, 'fixtures', 'k8s_nas'), { recursive: true });
    process.env.K8S_NAS_SHARED_DIR = tmp;
    expect(defaultGitopsRepoChoice()).toEqual({ dir: path.join(tmp, 'fixtures', 'k8s_nas'), origin: 'fixture' });
  });

  it('is LAB_GITOPS_REPO when set, whatever exists', () => {
    mkdirSync(path.join(tmp, 'fixtures', 'k8s_nas'), { recursive: true });
    process.env.K8S_NAS_SHARED_DIR = tmp;
    process.env.LAB_GITOPS_REPO = 'some/repo';
    expect(defaultGitopsRepoChoice()).toEqual({ dir: path.resolve('some/repo'), origin: 'LAB_GITOPS_REPO' });
    expect(defaultGitopsRepo()).toBe(path.resolve('some/repo'));
  });
});
