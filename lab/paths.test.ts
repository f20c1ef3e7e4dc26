import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDir, crdModules, defaultGitopsRepo, defaultGitopsRepoChoice, EXAMPLE_GITOPS_REPO, REPO_ROOT, requireTestLabMaterial } from './paths';
import { defaultCrdDirs } from './cluster/seed';

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

  it("the tests' lab refuses to start without the fixture or the API descriptions, naming the folder", () => {
    process.env.K8S_NAS_SHARED_DIR = tmp;
    expect(() => requireTestLabMaterial()).toThrow(`needs the owner's fixture: ${path.join(tmp, 'fixtures', 'k8s_nas')} is missing`);
    mkdirSync(path.join(tmp, 'fixtures', 'k8s_nas'), { recursive: true });
    expect(() => requireTestLabMaterial()).toThrow(`needs the owner's fixture: ${path.join(tmp, 'specs')} is missing`);
    mkdirSync(path.join(tmp, 'specs'));
    expect(() => requireTestLabMaterial()).not.toThrow();
  });
});

describe('the CRD table (lab/cluster/crd-modules.txt)', () => {
  it('names every project whose CRDs the lab serves, the optional files column read as a list', () => {
    const byName = new Map(crdModules().map((m) => [m.name, m]));
    expect([...byName.keys()].sort()).toEqual(['argocd', 'cert-manager', 'gateway-api', 'traefik', 'velero']);
    expect(byName.get('argocd')).toMatchObject({ module: 'github.com/argoproj/argo-cd/v3', version: 'v3.5.1', path: 'manifests/crds', files: ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'] });
    expect(byName.get('velero')?.files).toHaveLength(4);
    expect(byName.get('gateway-api')?.files).toEqual([]);
    expect(byName.get('cert-manager')?.dir).toBe(path.join(cacheDir(), 'crds', 'cert-manager-v1.21.1'));
  });

  it('is where the lab takes all its CRDs from, nothing beside the repository', () => {
    expect(defaultCrdDirs()).toEqual(crdModules().map((m) => m.dir));
    for (const dir of defaultCrdDirs()) expect(dir.startsWith(path.join(cacheDir(), 'crds'))).toBe(true);
  });
});
