import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/kube-http';
import { useLabCluster } from '../cluster/test-cluster';
import { LAB_TEST_LABEL, failRendering, readApplication, restoreRendering, syncApplication, waitForApplication, withLabClient, type LabApplication } from '../controls';
import { labDir } from '../paths';
import { LAB_FIELD_MANAGER } from '../cluster/seed';

/**
 * The lab's Argo CD against its own small repository in the lab's Git server (so these tests change
 * nothing of the seeded Applications), plus self-heal on a seeded Deployment: commits reach the
 * cluster, prune follows the policy, broken commits change nothing, manual Applications wait.
 */

useLabCluster();
const id = `${Date.now().toString(36)}`;
const NS = `argo-sync-${id}`;
const REPO_URL = `https://git.lab.invalid/lab-tests/sync-${id}.git`;
const bare = path.join(labDir(), 'git', 'repos', 'lab-tests', `sync-${id}.git`);
const work = mkdtempSync(path.join(os.tmpdir(), 'lab-argocd-test-'));
const who = { GIT_AUTHOR_NAME: 'lab test', GIT_AUTHOR_EMAIL: 'test@lab.invalid', GIT_COMMITTER_NAME: 'lab test', GIT_COMMITTER_EMAIL: 'test@lab.invalid' };
const git = (args: string[]) => execFileSync('git', ['-C', work, ...args], { encoding: 'utf8', env: { ...process.env, ...who } }).trim();

/** Writes (or, with null, deletes) files, commits, pushes to main; returns the commit. */
function commit(files: Record<string, string | null>, message: string): string {
  for (const [f, text] of Object.entries(files)) {
    const p = path.join(work, f);
    if (text === null) rmSync(p, { force: true });
    else {
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
  }
  git(['add', '-A']);
  git(['commit', '--quiet', '--allow-empty', '-m', message]);
  git(['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  return git(['rev-parse', 'HEAD']);
}

const configMap = (name: string, ns: string, mode: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${ns} }\ndata: { mode: "${mode}" }\n`;
const web = (replicas: number | string, ns: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: ${typeof replicas === 'number' ? replicas : `"${replicas}"`}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
`;

function application(name: string, source: Record<string, unknown>, syncPolicy: Record<string, unknown> | undefined, ns = NS): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', labels: { [LAB_TEST_LABEL]: 'true' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: { project: 'default', source: { repoURL: REPO_URL, targetRevision: 'main', ...source }, destination: { server: 'https://kubernetes.default.svc', namespace: ns }, ...(syncPolicy ? { syncPolicy } : {}) },
  };
}

const create = (obj: KubeObject) => withLabClient((c) => c.apply(obj, 'lab-test'));
const get = (apiVersion: string, kind: string, name: string, ns?: string) => withLabClient((c) => c.get<KubeObject & Record<string, unknown>>(apiVersion, kind, name, ns));
const syncedAt = (sha: string) => (a: LabApplication) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha && a.status.operationState?.phase !== 'Running';
const APP = `sync-${id}`;
let c1 = '';

beforeAll(async () => {
  await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { [LAB_TEST_LABEL]: 'true' } } });
  mkdirSync(bare, { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  c1 = commit(
    {
      'app/settings.yaml': configMap('settings', NS, 'one'),
      'app/extra.yaml': configMap('extra', NS, 'x'),
      'app/web.yaml': web(2, NS),
      'keep/settings.yaml': configMap('keep-settings', NS, 'one'),
      'keep/extra.yaml': configMap('keep-extra', NS, 'x'),
      'manual/settings.yaml': configMap('manual-settings', NS, 'one'),
      'kust/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'kust/cm.yaml': configMap('kust', NS, 'one'),
      'svc/one/cm.yaml': configMap('gen-one', NS, 'one'),
    },
    'first',
  );
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
});

describe("the lab's Argo CD follows Git", () => {
  it('syncs a new Application, then a merged commit: changed objects applied, removed ones pruned (prune: true)', async () => {
    await create(application(APP, { path: 'app' }, { automated: { prune: true, selfHeal: true } }));
    // Progressing while the Deployment rolls out, then Healthy.
    const first = await waitForApplication('argocd', APP, (a) => syncedAt(c1)(a) && a.status?.health?.status === 'Healthy', `Synced at ${c1} and Healthy`);
    expect(first.status?.operationState).toMatchObject({ phase: 'Succeeded', message: 'successfully synced (all tasks run)', syncResult: { revision: c1 } });

    // What it applied carries Argo CD's tracking annotation and field manager.
    const settings = await get('v1', 'ConfigMap', 'settings', NS);
    expect(settings?.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toBe(`${APP}:/ConfigMap:${NS}/settings`);
    expect((settings?.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`)).toContain('argocd-controller/Apply');

    const t0 = Date.now();
    const c2 = commit({ 'app/settings.yaml': configMap('settings', NS, 'two'), 'app/web.yaml': web(1, NS), 'app/extra.yaml': null }, 'second');
    const app = await waitForApplication('argocd', APP, (a) => syncedAt(c2)(a) && a.status?.health?.status === 'Healthy', `Synced at ${c2} and Healthy`);
    console.log(`commit pushed -> Synced on the cluster in ${Date.now() - t0} ms`);
    expect((await get('v1', 'ConfigMap', 'settings', NS))?.data).toEqual({ mode: 'two' });
    expect(((await get('apps/v1', 'Deployment', 'web', NS))?.spec as { replicas: number }).replicas).toBe(1);
    await expect.poll(async () => (await get('v1', 'ConfigMap', 'extra', NS)) === undefined, { timeout: 30_000 }).toBe(true);

    // The status an Argo CD user reads.
    const st = app.status ?? {};
    expect(st.sync).toMatchObject({ status: 'Synced', revision: c2, comparedTo: { source: { repoURL: REPO_URL, path: 'app', targetRevision: 'main' }, destination: { namespace: NS } } });
    expect(st.health?.status).toBe('Healthy');
    expect(st.sourceType).toBe('Directory');
    expect(Date.parse(st.reconciledAt ?? '')).toBeGreaterThan(t0 - 1000);
    expect(st.summary).toEqual({ images: ['nginx:1.27'] });
    expect(st.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ group: 'apps', version: 'v1', kind: 'Deployment', namespace: NS, name: 'web', status: 'Synced', health: { status: 'Healthy' } }),
        expect.objectContaining({ kind: 'Service', name: 'web', status: 'Synced', health: { status: 'Healthy' } }),
        expect.objectContaining({ kind: 'ConfigMap', name: 'settings', status: 'Synced' }),
      ]),
    );
    expect(st.resources?.some((r) => r.name === 'extra')).toBe(false);
    expect(st.operationState).toMatchObject({ phase: 'Succeeded', operation: { initiatedBy: { automated: true }, sync: { revision: c2, prune: true } }, syncResult: { revision: c2 } });
    expect(st.operationState?.syncResult?.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'ConfigMap', name: 'extra', status: 'Pruned', message: 'pruned' }),
        expect.objectContaining({ kind: 'ConfigMap', name: 'settings', status: 'Synced', message: 'configmap/settings serverside-applied' }),
        expect.objectContaining({ kind: 'Deployment', name: 'web', status: 'Synced', message: 'deployment.apps/web serverside-applied' }),
      ]),
    );
    expect(Date.parse(st.operationState?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(st.operationState?.startedAt ?? ''));
    expect(st.history?.map((h) => h.revision)).toEqual([c1, c2]);
    expect(st.conditions ?? []).toEqual([]);
  });

  it('keeps what a commit removed when the Application does not prune, and says it needs pruning', async () => {
    const name = `keep-${id}`;
    await create(application(name, { path: 'keep' }, { automated: { prune: false, selfHeal: true } }));
    await waitForApplication('argocd', name, (a) => a.status?.sync?.status === 'Synced', 'Synced');
    const sha = commit({ 'keep/settings.yaml': configMap('keep-settings', NS, 'two'), 'keep/extra.yaml': null }, 'drop keep-extra');
    const app = await waitForApplication('argocd', name, (a) => a.status?.operationState?.syncResult?.revision === sha && !!a.status.operationState.finishedAt, 'synced the commit');
    expect((await get('v1', 'ConfigMap', 'keep-settings', NS))?.data).toEqual({ mode: 'two' });
    expect(await get('v1', 'ConfigMap', 'keep-extra', NS)).toBeDefined();
    expect(app.status?.sync?.status).toBe('OutOfSync');
    expect(app.status?.resources).toContainEqual(expect.objectContaining({ kind: 'ConfigMap', name: 'keep-extra', status: 'OutOfSync', requiresPruning: true }));
    expect(app.status?.operationState?.syncResult?.resources).toContainEqual(expect.objectContaining({ name: 'keep-extra', status: 'PruneSkipped', message: 'ignored (requires pruning)' }));
    // Not synced over and over: only pruning is left, which the policy forbids.
    const finished = app.status?.operationState?.finishedAt;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await readApplication('argocd', name)).status?.operationState?.finishedAt).toBe(finished);
  });

  it('a broken commit leaves the cluster as it was: invalid manifest and unknown kind -> OutOfSync, failed sync, SyncError', async () => {
    const before = commit({}, 'nothing yet');
    await waitForApplication('argocd', APP, syncedAt(before), 'Synced');
    const bad = commit({ 'app/settings.yaml': configMap('settings', NS, 'three'), 'app/web.yaml': web('two', NS) }, 'replicas is not a number');
    const failed = await waitForApplication('argocd', APP, (a) => a.status?.operationState?.syncResult?.revision === bad && a.status.operationState.phase === 'Failed', 'a failed sync');
    expect(failed.status?.sync).toMatchObject({ status: 'OutOfSync', revision: bad });
    expect(failed.status?.operationState?.message).toBe('one or more synchronization tasks are not valid');
    const invalid = failed.status?.operationState?.syncResult?.resources?.find((r) => r.kind === 'Deployment' && r.name === 'web');
    expect(invalid).toMatchObject({ status: 'SyncFailed' });
    expect(invalid?.message).toMatch(/replicas/);
    expect(failed.status?.conditions).toContainEqual(expect.objectContaining({ type: 'SyncError', message: `Failed last sync attempt to ${bad}: one or more synchronization tasks are not valid` }));
    // Nothing of the commit was applied, not even its valid parts.
    expect((await get('v1', 'ConfigMap', 'settings', NS))?.data).toEqual({ mode: 'two' });

    const widget = `apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: ${NS} }\n`;
    const unknown = commit({ 'app/web.yaml': web(1, NS), 'app/widget.yaml': widget }, 'a kind the cluster does not serve');
    const noCrd = await waitForApplication('argocd', APP, (a) => a.status?.operationState?.syncResult?.revision === unknown && a.status.operationState.phase === 'Failed', 'a failed sync');
    expect(noCrd.status?.operationState?.syncResult?.resources).toContainEqual(
      expect.objectContaining({
        kind: 'Widget',
        status: 'SyncFailed',
        message: `The Kubernetes API could not find example.com/Widget for requested resource ${NS}/w. Make sure the "Widget" CRD is installed on the destination cluster.`,
      }),
    );
    expect((await get('v1', 'ConfigMap', 'settings', NS))?.data).toEqual({ mode: 'two' });

    // Fixed in Git -> synced, with the commit's ConfigMap change.
    const fixed = commit({ 'app/widget.yaml': null }, 'fix');
    await waitForApplication('argocd', APP, syncedAt(fixed), 'Synced after the fix');
    expect((await get('v1', 'ConfigMap', 'settings', NS))?.data).toEqual({ mode: 'three' });
    expect((await readApplication('argocd', APP)).status?.conditions ?? []).toEqual([]);
  });

  it('a commit that does not render (kustomize error) or a rendering failure -> Unknown with a ComparisonError, nothing applied', async () => {
    const name = `kust-${id}`;
    await create(application(name, { path: 'kust' }, { automated: { prune: true, selfHeal: true } }));
    await waitForApplication('argocd', name, (a) => a.status?.sync?.status === 'Synced', 'Synced');
    const broken = commit({ 'kust/kustomization.yaml': 'resources:\n- cm.yaml\npatches:\n- target: { kind: ConfigMap }\n  patch: "not: [valid"\n', 'kust/cm.yaml': configMap('kust', NS, 'two') }, 'broken kustomization');
    const app = await waitForApplication('argocd', name, (a) => a.status?.sync?.revision === broken && a.status.sync.status === 'Unknown', 'Unknown');
    const condition = app.status?.conditions?.find((c) => c.type === 'ComparisonError');
    expect(condition?.message).toMatch(/^Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = kustomize build kust failed: /);
    expect(condition?.message).not.toContain(os.tmpdir());
    expect((await get('v1', 'ConfigMap', 'kust', NS))?.data).toEqual({ mode: 'one' });

    const ok = commit({ 'kust/kustomization.yaml': 'resources:\n- cm.yaml\n' }, 'fixed kustomization');
    await waitForApplication('argocd', name, syncedAt(ok), 'Synced');
    expect((await get('v1', 'ConfigMap', 'kust', NS))?.data).toEqual({ mode: 'two' });

    // The control that makes rendering fail (a repo server in trouble), and back.
    const failing = await failRendering('argocd', name, 'connection refused by the repo server');
    expect(failing.status?.sync?.status).toBe('Unknown');
    const next = commit({ 'kust/cm.yaml': configMap('kust', NS, 'three') }, 'while rendering fails');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await get('v1', 'ConfigMap', 'kust', NS))?.data).toEqual({ mode: 'two' });
    await restoreRendering('argocd', name);
    await waitForApplication('argocd', name, syncedAt(next), 'Synced');
    expect((await get('v1', 'ConfigMap', 'kust', NS))?.data).toEqual({ mode: 'three' });
  });

  it('a manual Application only reports OutOfSync with the diff; a sync operation applies it', async () => {
    const name = `manual-${id}`;
    await create(application(name, { path: 'manual' }, undefined));
    const missing = await waitForApplication('argocd', name, (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync');
    expect(missing.status?.resources).toContainEqual(expect.objectContaining({ kind: 'ConfigMap', name: 'manual-settings', status: 'OutOfSync', health: { status: 'Missing' } }));
    expect(missing.status?.health?.status).toBe('Missing');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await get('v1', 'ConfigMap', 'manual-settings', NS)).toBeUndefined();
    expect(missing.status?.operationState).toBeUndefined();

    const op = await syncApplication('argocd', name);
    expect(op).toMatchObject({ phase: 'Succeeded', operation: { initiatedBy: { username: 'lab' } } });
    expect((await get('v1', 'ConfigMap', 'manual-settings', NS))?.data).toEqual({ mode: 'one' });
    const sha = commit({ 'manual/settings.yaml': configMap('manual-settings', NS, 'two') }, 'manual change');
    const drift = await waitForApplication('argocd', name, (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'OutOfSync', 'OutOfSync at the new commit');
    expect(drift.status?.resources).toContainEqual(expect.objectContaining({ name: 'manual-settings', status: 'OutOfSync' }));
    expect((await get('v1', 'ConfigMap', 'manual-settings', NS))?.data).toEqual({ mode: 'one' });
    await syncApplication('argocd', name);
    expect((await get('v1', 'ConfigMap', 'manual-settings', NS))?.data).toEqual({ mode: 'two' });
    expect((await readApplication('argocd', name)).status?.sync?.status).toBe('Synced');
  });

  it('a Deployment applied by hand, then deployed from Git with an env var turned from value into valueFrom: synced, the old value gone', async () => {
    const name = `byhand-${id}`;
    const deployment = (env: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: byhand, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: byhand } }
  template:
    metadata: { labels: { app: byhand } }
    spec: { containers: [{ name: app, image: "busybox:1.37", env: [${env}] }] }
`;
    // Applied by hand, as the lab seeds files lying beside a kustomization.
    const byHand = (await import('yaml')).parse(deployment('{ name: API_KEY, value: "in-clear" }')) as KubeObject;
    await withLabClient((c) => c.apply(byHand, LAB_FIELD_MANAGER));
    const sha = commit({ 'byhand/deployment.yaml': deployment('{ name: API_KEY, valueFrom: { secretKeyRef: { name: keys, key: API_KEY } } }') }, 'deploy byhand from Git');
    await create(application(name, { path: 'byhand' }, { automated: { prune: false, selfHeal: true } }));
    await waitForApplication('argocd', name, syncedAt(sha), `Synced at ${sha}`);
    const live = await get('apps/v1', 'Deployment', 'byhand', NS);
    const env = (live?.spec as { template: { spec: { containers: Array<{ env: unknown[] }> } } }).template.spec.containers[0]?.env;
    expect(env).toEqual([{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'keys', key: 'API_KEY' } } }]);
  });

  it('an ApplicationSet with a git generator is generated again on a new commit', async () => {
    const name = `gen-${id}`;
    await create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name, namespace: 'argocd', labels: { [LAB_TEST_LABEL]: 'true' } },
      spec: {
        generators: [{ git: { repoURL: REPO_URL, revision: 'main', directories: [{ path: 'svc/*' }] } }],
        template: {
          metadata: { name: `${name}-{{path.basename}}`, labels: { [LAB_TEST_LABEL]: 'true' } },
          spec: {
            project: 'default',
            source: { repoURL: REPO_URL, targetRevision: 'main', path: '{{path}}' },
            destination: { server: 'https://kubernetes.default.svc', namespace: NS },
            syncPolicy: { automated: { prune: true } },
          },
        },
      },
    });
    await waitForApplication('argocd', `${name}-one`, (a) => a.status?.sync?.status === 'Synced', 'generated and Synced');
    const sha = commit({ 'svc/two/cm.yaml': configMap('gen-two', NS, 'two'), 'svc/one/cm.yaml': null }, 'svc two instead of one');
    await waitForApplication('argocd', `${name}-two`, (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha, 'generated and Synced');
    expect((await get('v1', 'ConfigMap', 'gen-two', NS))?.data).toEqual({ mode: 'two' });
    const two = await readApplication('argocd', `${name}-two`);
    expect(two.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ApplicationSet', name, controller: true })]);
    await expect.poll(async () => (await get('argoproj.io/v1alpha1', 'Application', `${name}-one`, 'argocd')) === undefined, { timeout: 30_000 }).toBe(true);
  });

  it('a folder whose ApplicationSet element is commented out is deployed by nothing: a changed ConfigMap stays as it was until a commit enables the element', async () => {
    // The owner's monitoring folder: in Git, and in the cluster (applied by hand or by the seeding), but
    // its ApplicationSet's list generator has no element, so no Application deploys it.
    const name = `mon-${id}`;
    const appset = (enabled: boolean) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: ${name}, namespace: argocd, labels: { ${LAB_TEST_LABEL}: "true" } }
spec:
  generators:
  - list:
      elements:
      ${enabled ? '' : '# '}- name: production-cluster
  template:
    metadata: { name: '${name}-{{name}}', labels: { ${LAB_TEST_LABEL}: "true" } }
    spec:
      project: default
      source: { repoURL: '${REPO_URL}', targetRevision: main, path: mon/monitoring }
      destination: { server: 'https://kubernetes.default.svc', namespace: ${NS} }
      syncPolicy: { automated: { prune: true, selfHeal: true } }
`;
    await create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prom-config', namespace: NS }, data: { mode: 'one' } });
    const disabled = commit({ [`mon/appsets/${name}.yaml`]: appset(false), 'mon/monitoring/cm.yaml': configMap('prom-config', NS, 'two') }, 'monitoring disabled, its ConfigMap changed');
    const root = `mon-root-${id}`;
    await create(application(root, { path: 'mon/appsets' }, { automated: { prune: true, selfHeal: true } }));
    await waitForApplication('argocd', root, syncedAt(disabled), `${root} Synced at the commit`);
    // The root Application synced the commit, yet the ConfigMap is the cluster's: nothing deploys its folder.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await get('v1', 'ConfigMap', 'prom-config', NS))?.data).toEqual({ mode: 'one' });
    expect(await get('argoproj.io/v1alpha1', 'Application', `${name}-production-cluster`, 'argocd')).toBeUndefined();

    const enabled = commit({ [`mon/appsets/${name}.yaml`]: appset(true) }, 'monitoring enabled');
    await waitForApplication('argocd', `${name}-production-cluster`, syncedAt(enabled), 'generated and Synced at the commit');
    expect((await get('v1', 'ConfigMap', 'prom-config', NS))?.data).toEqual({ mode: 'two' });
    const next = commit({ 'mon/monitoring/cm.yaml': configMap('prom-config', NS, 'three') }, 'a rule file added');
    await waitForApplication('argocd', `${name}-production-cluster`, syncedAt(next), 'Synced at the next commit');
    expect((await get('v1', 'ConfigMap', 'prom-config', NS))?.data).toEqual({ mode: 'three' });
    await withLabClient((c) => c.delete('argoproj.io/v1alpha1', 'Application', root, 'argocd'));
  });

  it('deleting an Application with the resources finalizer deletes what it manages', async () => {
    await withLabClient((c) => c.delete('argoproj.io/v1alpha1', 'Application', APP, 'argocd'));
    await expect.poll(async () => (await get('argoproj.io/v1alpha1', 'Application', APP, 'argocd')) === undefined, { timeout: 60_000 }).toBe(true);
    expect(await get('apps/v1', 'Deployment', 'web', NS)).toBeUndefined();
    expect(await get('v1', 'ConfigMap', 'settings', NS)).toBeUndefined();
  });
});

describe('self-heal', () => {
  it('puts back the replicas in Git within seconds when a seeded Deployment is scaled by hand', async () => {
    const app = await readApplication('argocd', 'media-services-production-cluster');
    expect(app.spec?.syncPolicy?.automated?.selfHeal).toBe(true);
    const t0 = Date.now();
    await withLabClient((c) => c.mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'sonarr', namespace: 'media' }, { spec: { replicas: 3 } }));
    await expect
      .poll(async () => ((await get('apps/v1', 'Deployment', 'sonarr', 'media'))?.spec as { replicas: number }).replicas, { timeout: 15_000, interval: 100 })
      .toBe(1);
    console.log(`scaled by hand -> back to the replicas in Git in ${Date.now() - t0} ms`);
    const healed = await waitForApplication('argocd', 'media-services-production-cluster', (a) => a.status?.sync?.status === 'Synced' && a.status.operationState?.phase === 'Succeeded', 'Synced');
    expect(healed.status?.operationState?.operation?.initiatedBy).toEqual({ automated: true });
  });
});
