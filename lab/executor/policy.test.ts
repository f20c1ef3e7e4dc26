import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { excludeExecutorPods } from '../cluster/cluster';
import { parseParams, paramsConfigMap, policyObjects, RUNNER_ANNOTATION } from './policy';
import { bwrapArgs, unshareCommand } from './sandbox';

describe('executor admission policy', () => {
  it('keeps its parameters in a ConfigMap the policy and the executor read alike', () => {
    const cm = paramsConfigMap({ images: ['busybox', 'alpine'], apps: ['media/sonarr', 'qbittorrent/qbittorrent'] });
    const back = parseParams(cm.data as Record<string, string>);
    expect(back.images).toEqual(['busybox', 'alpine']);
    expect(back.apps).toEqual(['media/sonarr', 'qbittorrent/qbittorrent']);
    expect(new RegExp(back.imagePattern).test('alpine:3.20')).toBe(true);
    expect(parseParams(undefined)).toMatchObject({ images: [], apps: [] });
  });

  it('annotates pods on create only, never blocks them, and is bound to its parameters', () => {
    const [policy, binding] = policyObjects();
    const spec = policy?.spec as { failurePolicy: string; matchConstraints: { resourceRules: { operations: string[]; resources: string[] }[] }; mutations: { applyConfiguration: { expression: string } }[] };
    expect(spec.failurePolicy).toBe('Ignore');
    expect(spec.matchConstraints.resourceRules).toEqual([expect.objectContaining({ operations: ['CREATE'], resources: ['pods'] })]);
    expect(spec.mutations[0]?.applyConfiguration.expression).toContain(RUNNER_ANNOTATION);
    expect((binding?.spec as { paramRef: { parameterNotFoundAction: string } }).paramRef.parameterNotFoundAction).toBe('Allow');
  });
});

describe("kwok's stages", () => {
  it("leave the executor's pods alone in pod-ready, pod-complete and pod-delete only", () => {
    const stage = (name: string) => `apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchExpressions:\n    - key: '.status.phase'\n      operator: 'In'\n      values: ['Pending']\n`;
    for (const name of ['pod-ready', 'pod-complete', 'pod-delete']) {
      const out = YAML.parse(excludeExecutorPods(stage(name))) as { spec: { selector: { matchExpressions: { key: string; operator: string }[] } } };
      expect(out.spec.selector.matchExpressions).toContainEqual({ key: `.metadata.annotations["${RUNNER_ANNOTATION}"]`, operator: 'DoesNotExist' });
      expect(out.spec.selector.matchExpressions).toHaveLength(2);
    }
    expect(excludeExecutorPods(stage('lab-pod-crash-loop'))).toBe(stage('lab-pod-crash-loop'));
  });
});

describe('sandbox command lines', () => {
  const spec = {
    argv: ['sh', '-c', 'tar czf /backup/a.tgz -C /config .'],
    env: { PATH: '/usr/bin' },
    cwd: '/srv/job',
    hostname: 'backup-1',
    mounts: [
      { source: '/lab/volumes/media/sonarr-config', target: '/config', readOnly: true },
      { source: '/lab/volumes/media/backups', target: '/backup', readOnly: false },
    ],
    etcFiles: [{ name: 'hosts', source: '/lab/pod/etc/hosts' }],
    scratchDir: '/lab/pod/root',
  };

  it('bwrap: new namespaces without network, no capabilities, /usr read-only, volumes bound', () => {
    const a = bwrapArgs(spec, ['/etc/alternatives']);
    const joined = a.join(' ');
    expect(a.slice(0, 6)).toEqual(['--die-with-parent', '--unshare-all', '--hostname', 'backup-1', '--cap-drop', 'ALL']);
    expect(a).not.toContain('--share-net');
    expect(joined).toContain('--ro-bind /usr /usr');
    expect(joined).toContain('--ro-bind /lab/volumes/media/sonarr-config /config');
    expect(joined).toContain('--bind /lab/volumes/media/backups /backup');
    expect(joined).toContain('--ro-bind /lab/pod/etc/hosts /etc/hosts');
    expect(joined).toContain('--dir /srv/job --chdir /srv/job -- sh -c tar czf /backup/a.tgz -C /config .');
    expect(joined).not.toContain('/etc/shadow');
  });

  it('unshare: the same tree by mount script, chroot and setpriv without capabilities', () => {
    const { command, args } = unshareCommand(spec, true, ['/etc/alternatives']);
    expect(command).toBe('unshare');
    expect(args.slice(0, 5)).toEqual(['--mount', '--net', '--pid', '--ipc', '--uts']);
    const script = args.at(-1) as string;
    expect(script).toContain(`/usr/bin/mount --rbind '/lab/volumes/media/sonarr-config' "$R"'/config'`);
    expect(script).toContain(`/usr/bin/mount -o remount,bind,ro "$R"'/config'`);
    expect(script).toMatch(/exec \/usr\/sbin\/chroot "\$R" \/usr\/bin\/setpriv --no-new-privs --bounding-set=-all .* -- \/usr\/bin\/env -C '\/srv\/job' -- 'sh' '-c' 'tar czf/);
    expect(unshareCommand(spec, false, []).args.slice(0, 2)).toEqual(['--user', '--map-root-user']);
  });
});
