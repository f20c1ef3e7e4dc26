import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applicationSource,
  generateApplications,
  indexRepo,
  kustomizationRoots,
  looseFiles,
  parseManifests,
  parseManifestsStrict,
  prepareWorkingCopy,
  renderAppSource,
  renderTemplateString,
} from './gitops';
import type { KubeObject } from './kube-http';
import { fillSecret, secretReferences } from './seed';
import { certificateStatus, certificateWindow, parseGoDuration } from './status-writers';

const dirs: string[] = [];
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lab-gitops-test-'));
  dirs.push(root);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const deployment = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec: {}\n`;

describe('repository index', () => {
  const files = {
    'apps/kustomization.yaml': 'resources:\n- web/\n- missing/\n',
    'apps/web/kustomization.yaml': 'resources:\n- deploy.yaml\n# - old.yaml\n',
    'apps/web/deploy.yaml': deployment('web'),
    'apps/web/old.yaml': deployment('old'),
    'apps/web/extra.yaml': deployment('extra'),
    'apps/web/notes.yaml': 'just: data\n',
    'other/kustomization.yaml': 'resources:\n- a.yaml\n',
    'other/a.yaml': deployment('a'),
  };

  it('finds the kustomizations nobody includes (trailing slashes ignored)', () => {
    expect(kustomizationRoots(indexRepo(repo(files)))).toEqual(['apps', 'other']);
  });

  it('separates loose manifests from entries commented out in the kustomization', () => {
    const idx = indexRepo(repo(files));
    expect(looseFiles(idx, 'apps/web')).toEqual({ loose: ['apps/web/extra.yaml'], disabled: ['apps/web/old.yaml'] });
  });

  it('ignores YAML documents that are not Kubernetes objects', () => {
    const idx = indexRepo(repo(files));
    expect(idx.docs.map((d) => d.obj.metadata.name).sort()).toEqual(['a', 'extra', 'old', 'web']);
  });

  it('prepares a working copy: drops missing resources and creates generator stand-ins', () => {
    const src = repo({
      ...files,
      'apps/web/kustomization.yaml': 'resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: cfg\n  files:\n  - conf/site.css\n  - key=conf/other.js\n',
    });
    const dest = path.join(mkdtempSync(path.join(os.tmpdir(), 'lab-gitops-copy-')), 'copy');
    dirs.push(path.dirname(dest));
    const notes = prepareWorkingCopy(src, dest);
    expect(notes.join('\n')).toMatch(/"missing\/" does not exist/);
    expect(notes.join('\n')).toMatch(/conf\/site.css/);
    expect(existsSync(path.join(dest, 'apps/web/conf/site.css'))).toBe(true);
    expect(existsSync(path.join(dest, 'apps/web/conf/other.js'))).toBe(true);
    expect(readFileSync(path.join(dest, 'apps/kustomization.yaml'), 'utf8')).not.toContain('missing');
    expect(readFileSync(path.join(src, 'apps/kustomization.yaml'), 'utf8')).toContain('missing');
  });
});

describe('rendering an Application source as Argo CD does', () => {
  const src = (p: string, recurse = false) => ({ repoURL: 'https://example/r.git', path: p, targetRevision: 'main', recurse });

  it('reads a plain directory (recursively when asked) and refuses what Argo CD cannot parse', async () => {
    const root = repo({ 'plain/a.yaml': deployment('a'), 'plain/sub/b.yaml': deployment('b'), 'broken/x.yaml': 'kind: [unclosed\n', 'nokind/x.yaml': 'apiVersion: v1\nmetadata: {name: x}\n' });
    const index = indexRepo(root);
    expect((await renderAppSource(root, index, src('plain'), 'kustomize')).objects.map((o) => o.metadata.name)).toEqual(['a']);
    const deep = await renderAppSource(root, index, src('plain', true), 'kustomize');
    expect(deep).toMatchObject({ sourceType: 'Directory' });
    expect(deep.objects.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    await expect(renderAppSource(root, index, src('broken'), 'kustomize')).rejects.toThrow(/^failed to unmarshal broken\/x\.yaml: /);
    await expect(renderAppSource(root, index, src('nokind'), 'kustomize')).rejects.toThrow("nokind/x.yaml: Object 'kind' is missing");
    await expect(renderAppSource(root, index, src('nowhere'), 'kustomize')).rejects.toThrow('nowhere: app path does not exist');
  });

  it('parses strictly: empty documents are fine, lists are flattened', () => {
    expect(parseManifestsStrict('---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n', 'f.yaml').map((o) => o.kind)).toEqual(['ConfigMap']);
    expect(() => parseManifestsStrict('a: [', 'f.yaml')).toThrow(/^failed to unmarshal f\.yaml/);
  });
});

describe('ApplicationSet generation', () => {
  const appset = (generators: unknown, goTemplate = false, name = '{{name}}-app', p = 'apps/{{name}}'): KubeObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'set', namespace: 'argocd' },
    spec: {
      goTemplate,
      generators,
      template: {
        metadata: { name, labels: { env: '{{env}}' } },
        spec: { project: 'apps', source: { repoURL: 'git@x:y.git', path: p, targetRevision: 'main' }, destination: { namespace: '{{name}}' } },
      },
    },
  });

  it('evaluates list generators with fasttemplate placeholders', () => {
    const apps = generateApplications(appset([{ list: { elements: [{ name: 'a', env: 'prod' }, { name: 'b', env: 'dev' }] } }]), '/nonexistent', () => {});
    expect(apps.map((a) => a.metadata.name)).toEqual(['a-app', 'b-app']);
    expect(apps[0]?.metadata.namespace).toBe('argocd');
    expect(apps[1]?.metadata.labels).toEqual({ env: 'dev' });
    expect(applicationSource(apps[0] as KubeObject)?.path).toBe('apps/a');
  });

  it('generates nothing for an empty list', () => {
    expect(generateApplications(appset([{ list: { elements: [] } }]), '/nonexistent', () => {})).toEqual([]);
  });

  it('evaluates git directory generators against the checkout, with excludes', () => {
    const root = repo({ 'apps/one/x.yaml': deployment('one'), 'apps/two/x.yaml': deployment('two'), 'apps/skip/x.yaml': deployment('s') });
    const gen = [{ git: { repoURL: 'x', revision: 'main', directories: [{ path: 'apps/*' }, { path: 'apps/skip', exclude: true }] } }];
    const apps = generateApplications(appset(gen, true, '{{ .path.basename }}', '{{ .path.path }}'), root, () => {});
    expect(apps.map((a) => [a.metadata.name, applicationSource(a)?.path])).toEqual([
      ['one', 'apps/one'],
      ['two', 'apps/two'],
    ]);
  });

  it('reports generators it cannot evaluate', () => {
    const warnings: string[] = [];
    generateApplications(appset([{ scmProvider: {} }]), '/nonexistent', (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/scmProvider/);
  });

  it('leaves unknown placeholders untouched', () => {
    expect(renderTemplateString('{{a}}-{{b}}', { a: 'x' }, false)).toBe('x-{{b}}');
    expect(renderTemplateString('{{ .p.q }}', { p: { q: 1 } }, true)).toBe('1');
  });
});

describe('secrets and certificate status', () => {
  it('fills empty and placeholder values with 32-hex keys and keeps the rest', () => {
    const [secret] = parseManifests(
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  A_KEY: ""\n  KEEP: aGVsbG8=\nstringData:\n  T: ${TOKEN}\n',
    );
    const filled = fillSecret(secret as KubeObject);
    expect(filled?.A_KEY).toMatch(/^[0-9a-f]{32}$/);
    expect(filled?.T).toMatch(/^[0-9a-f]{32}$/);
    expect(filled?.KEEP).toBe('hello');
    expect(Buffer.from(String((secret?.data as Record<string, string>).A_KEY), 'base64').toString()).toBe(filled?.A_KEY);
  });

  it('returns undefined when nothing was empty', () => {
    const [secret] = parseManifests('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  A: b\n');
    expect(fillSecret(secret as KubeObject)).toBeUndefined();
  });

  it('finds every Secret the workloads reference, with the keys they read', () => {
    const objects = parseManifests(`apiVersion: apps/v1
kind: Deployment
metadata: { name: sonarr, namespace: media }
spec:
  template:
    spec:
      initContainers: [{ name: init, image: busybox, env: [{ name: TOKEN, valueFrom: { secretKeyRef: { name: init-token, key: token } } }] }]
      containers:
      - name: sonarr
        image: lscr.io/linuxserver/sonarr:4
        envFrom: [{ prefix: SONARR__, secretRef: { name: sonarr-env } }, { configMapRef: { name: cm } }]
      volumes:
      - { name: certs, secret: { secretName: client-cert, items: [{ key: tls.crt, path: c }] } }
      - { name: all, projected: { sources: [{ secret: { name: extra } }] } }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: backup, namespace: media }
spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: b, image: x, envFrom: [{ secretRef: { name: backup-env } }] }] } } } } }
---
apiVersion: v1
kind: Service
metadata: { name: s, namespace: media }
`);
    const refs = secretReferences(objects);
    expect(refs.map((r) => [`${r.namespace}/${r.name}`, r.keys])).toEqual([
      ['media/backup-env', []],
      ['media/client-cert', ['tls.crt']],
      ['media/extra', []],
      ['media/init-token', ['token']],
      // The app reads SONARR__AUTH__APIKEY: with the prefix, the Secret must hold AUTH__APIKEY.
      ['media/sonarr-env', ['AUTH__APIKEY']],
    ]);
    expect(refs.find((r) => r.name === 'init-token')?.by).toEqual(['Deployment media/sonarr (env TOKEN)']);
    expect(refs.find((r) => r.name === 'backup-env')?.by).toEqual(['CronJob media/backup (envFrom)']);
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('2592000s')).toBe(2_592_000_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('bogus')).toBeUndefined();
  });

  it('places an expiring certificate 10 days before notAfter with an overdue renewal', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const cert: KubeObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c' }, spec: { renewBefore: '720h' } };
    const w = certificateWindow(cert, true, now);
    expect((w.notAfter.getTime() - now.getTime()) / 86_400_000).toBeCloseTo(10, 0);
    expect(w.renewalTime.getTime()).toBeLessThan(now.getTime());
    const healthy = certificateWindow(cert, false, now);
    expect(healthy.renewalTime.getTime()).toBeGreaterThan(now.getTime());
    const status = certificateStatus(w, true, undefined, now) as { conditions: { type: string; status: string }[] };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.conditions.find((c) => c.type === 'Issuing')?.status).toBe('False');
  });
});
