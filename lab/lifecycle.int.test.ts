import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabJson } from './lab';
import { REPO_ROOT } from './paths';

/**
 * A second, independent lab (own LAB_DIR, own ports) seeded from a small GitOps repository that is
 * shaped like k8s_nas but shares none of its names: proves the seeding is generic, that `up` is
 * idempotent, that `down` leaves no process behind (volumes stay) and `down --purge` removes the volumes.
 */

const files: Record<string, string> = {
  'bootstrap/root.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source: { repoURL: 'https://git.example/home.git', path: gitops/sets, targetRevision: main, directory: { recurse: true } }
  destination: { server: https://kubernetes.default.svc, namespace: argocd }
`,
  'gitops/sets/services.yaml': `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: services
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: https://git.example/home.git
      revision: main
      directories:
      - path: services/*
  template:
    metadata:
      name: 'svc-{{ .path.basename }}'
    spec:
      project: default
      source: { repoURL: 'https://git.example/home.git', path: '{{ .path.path }}', targetRevision: main }
      destination: { server: https://kubernetes.default.svc, namespace: '{{ .path.basename }}' }
      syncPolicy: { syncOptions: [CreateNamespace=true] }
`,
  'services/whoami/kustomization.yaml': 'resources:\n- app.yaml\n- secret.yaml\n',
  'services/whoami/app.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: whoami }
spec:
  replicas: 2
  selector: { matchLabels: { app: whoami } }
  template:
    metadata: { labels: { app: whoami } }
    spec:
      nodeSelector: { disk: ssd }
      containers: [{ name: whoami, image: traefik/whoami:v1.10, volumeMounts: [{ name: data, mountPath: /data }] }]
      volumes: [{ name: data, persistentVolumeClaim: { claimName: whoami-data } }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: whoami-data }
spec: { accessModes: [ReadWriteOnce], storageClassName: fast-ssd, resources: { requests: { storage: 2Gi } } }
`,
  'services/whoami/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: { name: whoami-keys }\nstringData:\n  TOKEN: ""\n  MODE: demo\n',
  'services/notes/kustomization.yaml': 'resources:\n- sts.yaml\nconfigMapGenerator:\n- name: notes-theme\n  files:\n  - theme.css\n',
  'services/notes/sts.yaml': `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: notes }
spec:
  serviceName: notes
  replicas: 1
  selector: { matchLabels: { app: notes } }
  template:
    metadata: { labels: { app: notes } }
    spec: { containers: [{ name: notes, image: example/notes:1 }] }
  volumeClaimTemplates:
  - metadata: { name: db }
    spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`,
  'infra/tls/kustomization.yaml': 'resources:\n- certs.yaml\n',
  'infra/tls/certs.yaml': `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: { name: home-ca }
spec: { selfSigned: {} }
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: wiki, namespace: whoami }
spec: { secretName: wiki-tls, dnsNames: [wiki.home.example], issuerRef: { name: home-ca, kind: ClusterIssuer } }
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: photos, namespace: whoami }
spec: { secretName: photos-tls, dnsNames: [photos.home.example], issuerRef: { name: home-ca, kind: ClusterIssuer } }
`,
};

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(REPO_ROOT, 'lab/cli.ts'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

function pidsOf(labDir: string): number[] {
  const dir = path.join(labDir, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => Number(readFileSync(path.join(dir, f), 'utf8').trim()));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line mentions the directory. */
function processesMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('a second lab from another k8s_nas-like repository', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-lifecycle-'));
  const repo = path.join(tmp, 'repo');
  const labDir = path.join(tmp, 'lab');
  // Only this repository's objects: the lab's own extra manifests (lab/cluster/extras) are k8s_nas'.
  const env = { LAB_DIR: labDir, LAB_GITOPS_REPO: repo, LAB_EXTRA_MANIFESTS: '' };
  let lab: LabJson;
  let kc: KubeConfig;

  beforeAll(async () => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), text);
    }
    const up = await runCli(['up', '--cluster-only'], env);
    expect(up.code, up.out).toBe(0);
    lab = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8')) as LabJson;
    kc = new KubeConfig();
    kc.loadFromFile(lab.kubeconfig);
  }, 300_000);

  afterAll(async () => {
    if (pidsOf(labDir).some(alive)) await runCli(['down'], env);
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('deploys what the generated Applications point at, with volumes, secrets and node labels', async () => {
    expect(lab.gitopsRepo).toBe(repo);
    expect(lab.namespaces).toEqual(expect.arrayContaining(['argocd', 'whoami', 'notes']));
    expect(lab.namespaces).not.toContain('media');
    const apps = kc.makeApiClient(AppsV1Api);
    expect((await apps.readNamespacedDeployment({ namespace: 'whoami', name: 'whoami' })).status?.readyReplicas).toBe(2);
    expect((await apps.readNamespacedStatefulSet({ namespace: 'notes', name: 'notes' })).status?.readyReplicas).toBe(1);
    const core = kc.makeApiClient(CoreV1Api);
    const pvcs = await core.listPersistentVolumeClaimForAllNamespaces();
    expect(pvcs.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}=${c.status?.phase}`).sort()).toEqual(['notes/db-notes-0=Bound', 'whoami/whoami-data=Bound']);
    const token = lab.secrets['whoami/whoami-keys'];
    expect(token?.TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(token?.MODE).toBe('demo');
    const node = (await core.listNode()).items[0];
    expect(node?.metadata?.labels?.disk).toBe('ssd');
  });

  it('has Argo CD and cert-manager status for this repository too, from its own Git repository', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = (await custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' })) as {
      items: { metadata: { name: string }; status?: { sync?: { status?: string; revision?: string }; health?: { status?: string } } }[];
    };
    expect(apps.items.map((a) => a.metadata.name).sort()).toEqual(['root', 'svc-notes', 'svc-whoami']);
    // The repository was imported into the lab's Git server; its URL (not a GitHub one) maps to it.
    const registry = JSON.parse(readFileSync(path.join(labDir, 'argocd', 'repositories.json'), 'utf8')) as { repositories: { bareDir: string; urls: string[] }[] };
    expect(registry.repositories[0]?.urls).toEqual(['https://git.example/home.git']);
    const bare = registry.repositories[0]?.bareDir ?? '';
    expect(bare.startsWith(path.join(labDir, 'git', 'repos'))).toBe(true);
    const main = execFileSync('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).trim();
    for (const a of apps.items) expect(a.status, a.metadata.name).toMatchObject({ sync: { status: 'Synced', revision: main }, health: { status: 'Healthy' } });
    const certs = (await custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as {
      items: { status?: { notAfter?: string; conditions?: { type: string; status: string }[] } }[];
    };
    expect(certs.items).toHaveLength(2);
    expect(certs.items.filter((c) => Date.parse(c.status?.notAfter ?? '') - Date.now() < 14 * 86_400_000)).toHaveLength(1);
  });

  it('is idempotent: a second `up` keeps the same processes', async () => {
    const before = pidsOf(labDir).sort();
    const again = await runCli(['up', '--cluster-only'], env);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('already up');
    expect(pidsOf(labDir).sort()).toEqual(before);
  }, 60_000);

  it('`down` stops every process it started and leaves none behind', async () => {
    const pids = pidsOf(labDir);
    expect(pids.length).toBeGreaterThanOrEqual(5);
    expect(pids.every(alive)).toBe(true);
    const down = await runCli(['down'], env);
    expect(down.code, down.out).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(readdirSync(path.join(labDir, 'pids'))).toEqual([]);
    expect(processesMentioning(labDir)).toEqual([]);
    expect(existsSync(path.join(labDir, 'lab.json'))).toBe(false);
  }, 60_000);

  it('keeps the volume directories across `down`; `down --purge` removes them', async () => {
    const volumes = path.join(labDir, 'volumes');
    expect(readdirSync(volumes).sort()).toEqual(['notes', 'whoami']);
    expect(existsSync(path.join(volumes, 'whoami', 'whoami-data'))).toBe(true);
    expect(existsSync(path.join(volumes, 'notes', 'db-notes-0'))).toBe(true);
    const purge = await runCli(['down', '--purge'], env);
    expect(purge.code, purge.out).toBe(0);
    expect(existsSync(volumes)).toBe(false);
  }, 60_000);
});
