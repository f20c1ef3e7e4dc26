import { describe, expect, it } from 'vitest';
import { containerArgv, containerMounts, expandVars, parseQuantity, planVolumes, PlanError, projectKeys, refusal, resolveEnv, resourceFieldValue, type Lookups } from './pod-plan';
import type { Pod } from './types';

function pod(over: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'backup-1', namespace: 'media', uid: 'uid-1', labels: { app: 'backup', tier: 'ops' }, annotations: { note: 'x' } },
    spec: { nodeName: 'lab-node-1', serviceAccountName: 'panel', containers: [{ name: 'main', image: 'alpine:3.20' }], ...over },
    status: { podIP: '10.245.0.3', hostIP: '127.0.0.1' },
  };
}

const lookups = (cms: Record<string, Record<string, string>> = {}, secrets: Record<string, Record<string, string>> = {}): Lookups => ({
  configMap: async (_ns, name) => (cms[name] ? new Map(Object.entries(cms[name]).map(([k, v]) => [k, Buffer.from(v)])) : undefined),
  secret: async (_ns, name) => (secrets[name] ? new Map(Object.entries(secrets[name]).map(([k, v]) => [k, Buffer.from(v)])) : undefined),
  serviceAccountToken: async (p, aud) => `token-for-${p.metadata.name}-${aud ?? 'api'}`,
});

describe('$(VAR) expansion', () => {
  it.each([
    ['$(A)/x', { A: '1' }, '1/x'],
    ['$(MISSING)', {}, '$(MISSING)'],
    ['$$(A)', { A: '1' }, '$(A)'],
    ['cost: $$5', {}, 'cost: $5'],
    ['$(A', { A: '1' }, '$(A'],
    ['a$', {}, 'a$'],
    ['$(A)$(B)', { A: 'x', B: 'y' }, 'xy'],
  ])('%s', (input, env, want) => {
    expect(expandVars(input, env)).toBe(want);
  });
});

describe('environment', () => {
  it('applies envFrom, then env in order with expansion, fieldRef and resourceFieldRef', async () => {
    const p = pod({
      containers: [
        {
          name: 'main',
          image: 'alpine',
          resources: { limits: { memory: '128Mi', cpu: '500m' } },
          envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'sec' } }],
          env: [
            { name: 'DEST', value: '/backup/$(APP)' },
            { name: 'APP', value: 'sonarr' },
            { name: 'DEST2', value: '/backup/$(APP)' },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
            { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
            { name: 'KEY', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
            { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
          ],
        },
      ],
    });
    const env = await resolveEnv(p, p.spec.containers[0]!, lookups({ cfg: { LEVEL: 'debug', 'bad name': 'skipped' } }, { sec: { token: 's3cr3t' } }));
    expect(env).toMatchObject({
      LEVEL: 'debug',
      S_token: 's3cr3t',
      DEST: '/backup/$(APP)',
      APP: 'sonarr',
      DEST2: '/backup/sonarr',
      POD: 'backup-1',
      TIER: 'ops',
      MEM_MI: '128',
      CPU: '1',
      KEY: 's3cr3t',
      HOSTNAME: 'backup-1',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
    });
    expect(env).not.toHaveProperty('bad name');
    expect(env).not.toHaveProperty('OPT');
  });

  it('fails like a kubelet when a referenced object or key is missing', async () => {
    const p = pod({ containers: [{ name: 'main', image: 'alpine', env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'sec', key: 'missing' } } }] }] });
    await expect(resolveEnv(p, p.spec.containers[0]!, lookups({}, { sec: { other: 'x' } }))).rejects.toThrow(/couldn't find key missing in Secret media\/sec/);
    const q = pod({ containers: [{ name: 'main', image: 'alpine', envFrom: [{ configMapRef: { name: 'absent' } }] }] });
    await expect(resolveEnv(q, q.spec.containers[0]!, lookups())).rejects.toBeInstanceOf(PlanError);
  });

  it('computes quantities and defaults to the node when no limit is set', () => {
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(resourceFieldValue({ name: 'c', image: 'x' }, { resource: 'limits.cpu' })).toBe('16');
    expect(resourceFieldValue({ name: 'c', image: 'x' }, { resource: 'requests.memory' })).toBe('0');
  });
});

describe('command line', () => {
  it('joins command and args with expansion and falls back to the image default', () => {
    expect(containerArgv({ name: 'c', image: 'alpine', command: ['sh', '-c'], args: ['echo $(A)'] }, { A: 'hi' })).toEqual(['sh', '-c', 'echo hi']);
    expect(containerArgv({ name: 'c', image: 'alpine', args: ['echo', 'x'] }, {})).toEqual(['echo', 'x']);
    expect(containerArgv({ name: 'c', image: 'debian:12' }, {})).toEqual(['bash']);
    expect(containerArgv({ name: 'c', image: 'busybox' }, {})).toEqual(['sh']);
  });

  it('refuses privileged containers', () => {
    expect(refusal({ name: 'c', image: 'alpine', securityContext: { privileged: true } })).toMatch(/privileged/);
    expect(refusal({ name: 'c', image: 'alpine', securityContext: { privileged: false } })).toBeUndefined();
  });
});

describe('volumes', () => {
  const claimDir = async (claim: string) => {
    if (claim === 'missing') throw new Error('persistentvolumeclaim "missing" not found');
    return `/lab/volumes/media/${claim}`;
  };

  it('resolves claims, emptyDir, ConfigMap items, Secrets, downward API, projected tokens and refuses foreign hostPaths', async () => {
    const p = pod({
      volumes: [
        { name: 'config', persistentVolumeClaim: { claimName: 'sonarr-config' } },
        { name: 'ro', persistentVolumeClaim: { claimName: 'backups', readOnly: true } },
        { name: 'gone', persistentVolumeClaim: { claimName: 'missing' } },
        { name: 'scratch', emptyDir: {} },
        { name: 'labhost', hostPath: { path: '/lab/host/shared' } },
        { name: 'host', hostPath: { path: '/mnt/data' } },
        { name: 'escape', hostPath: { path: '/lab/../etc' } },
        { name: 'certs', hostPath: { path: '/lab/certs' } },
        { name: 'labjson', hostPath: { path: '/lab/lab.json' } },
        { name: 'cm', configMap: { name: 'cfg', items: [{ key: 'a', path: 'dir/a.txt', mode: 0o600 }] } },
        { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
        { name: 'down', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
        { name: 'nfs', nfs: { server: 'x', path: '/' } },
      ],
    });
    const v = await planVolumes(p, { labDir: '/lab', lookups: lookups({ cfg: { a: 'A', b: 'B' }, 'kube-root-ca.crt': { 'ca.crt': 'CA' } }, { sec: { k: 'v' } }), claimDir });
    expect(v.get('config')).toEqual({ kind: 'dir', path: '/lab/volumes/media/sonarr-config', readOnly: false, claim: 'sonarr-config' });
    expect(v.get('ro')).toMatchObject({ kind: 'dir', readOnly: true });
    expect(v.get('gone')).toEqual({ kind: 'refused', message: 'persistentvolumeclaim "missing" not found' });
    expect(v.get('scratch')).toEqual({ kind: 'emptyDir' });
    expect(v.get('labhost')).toEqual({ kind: 'dir', path: '/lab/host/shared', readOnly: false });
    expect(v.get('host')).toMatchObject({ kind: 'refused', message: expect.stringContaining('hostPath /mnt/data refused') });
    expect(v.get('escape')?.kind).toBe('refused');
    expect(v.get('certs')).toMatchObject({ kind: 'refused', message: expect.stringContaining('only from /lab/volumes/ or /lab/host/') });
    expect(v.get('labjson')?.kind).toBe('refused');
    expect(v.get('cm')).toEqual({ kind: 'files', files: [{ path: 'dir/a.txt', content: Buffer.from('A'), mode: 0o600 }] });
    expect(v.get('sec')).toEqual({ kind: 'files', files: [{ path: 'k', content: Buffer.from('v'), mode: 0o400 }] });
    expect(v.get('down')).toEqual({ kind: 'files', files: [{ path: 'labels', content: Buffer.from('app="backup"\ntier="ops"'), mode: 0o644 }] });
    const projected = v.get('kube-api-access');
    expect(projected?.kind === 'files' && projected.files.map((f) => [f.path, f.content.toString()])).toEqual([
      ['token', 'token-for-backup-1-api'],
      ['ca.crt', 'CA'],
      ['namespace', 'media'],
    ]);
    expect(v.get('nfs')).toMatchObject({ kind: 'refused', message: expect.stringContaining('type nfs is not supported') });
  });

  it('binds an app configuration hostPath to the app volume directory', async () => {
    const p = pod({ volumes: [{ name: 'config', hostPath: { path: '/mnt/data/configs/sonarr' } }] });
    const v = await planVolumes(p, { labDir: '/lab', lookups: lookups(), claimDir, appConfig: { volume: 'config', dir: '/lab/volumes/media/sonarr-config' } });
    expect(v.get('config')).toEqual({ kind: 'dir', path: '/lab/volumes/media/sonarr-config', readOnly: false });
  });

  it('projects ConfigMap keys and fails on a missing item', () => {
    const data = new Map([['a', Buffer.from('1')]]);
    expect(projectKeys(data, undefined, 0o644, 'x', false)).toHaveLength(1);
    expect(() => projectKeys(data, [{ key: 'zz', path: 'z' }], 0o644, 'ConfigMap m/x', false)).toThrow(/"zz" not found in ConfigMap m\/x/);
    expect(projectKeys(data, [{ key: 'zz', path: 'z' }], 0o644, 'x', true)).toEqual([]);
    expect(() => projectKeys(new Map([['../evil', Buffer.from('')]]), undefined, 0o644, 'x', false)).toThrow(/invalid volume path/);
  });

  it('mounts with subPath, subPathExpr and readOnly, parents first, never outside the volume', () => {
    const vols = new Map([
      ['data', { path: '/v/data', readOnly: false, claim: 'data' }],
      ['cfg', { path: '/p/cfg', readOnly: true }],
    ]);
    const mounts = containerMounts(
      {
        name: 'c',
        image: 'alpine',
        volumeMounts: [
          { name: 'cfg', mountPath: '/data/conf/app.ini', subPath: 'app.ini' },
          { name: 'data', mountPath: '/data', readOnly: true },
          { name: 'data', mountPath: '/out', subPathExpr: 'runs/$(POD)' },
        ],
      },
      vols,
      { POD: 'backup-1' },
    );
    expect(mounts).toEqual([
      { source: '/v/data', target: '/data', readOnly: true, claim: 'data' },
      { source: '/v/data/runs/backup-1', target: '/out', readOnly: false, claim: 'data' },
      { source: '/p/cfg/app.ini', target: '/data/conf/app.ini', readOnly: true },
    ]);
    expect(() => containerMounts({ name: 'c', image: 'a', volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../../etc' }] }, vols, {})).toThrow(/leaves the volume/);
    expect(() => containerMounts({ name: 'c', image: 'a', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, vols, {})).toThrow(/names no volume/);
  });
});
