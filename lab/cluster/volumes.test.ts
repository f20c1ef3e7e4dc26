import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { volumeDir } from '../paths';
import { appConfigVolume, configClaimOfPodTemplate, configMountOfPodTemplate, corruptVolumeFile, ensureVolumeDir, formatBytes, listVolumes, wipeVolumes } from './volumes';

describe('configuration volumes', () => {
  it('finds the claim a workload mounts at its config path in the fixture, else <workload>-config', () => {
    expect(appConfigVolume('qbittorrent', 'qbittorrent')).toBe('qbittorrent-config');
    expect(appConfigVolume('media', 'jellyseerr')).toBe('jellyseerr-config');
    expect(appConfigVolume('media', 'jellyfin')).toBe('jellyfin-config');
    expect(appConfigVolume('media', 'bazarr')).toBe('bazarr-config');
    // Sonarr mounts a hostPath at /config: the fallback name.
    expect(appConfigVolume('media', 'sonarr')).toBe('sonarr-config');
    expect(appConfigVolume('media', 'not-deployed')).toBe('not-deployed-config');
  });

  it('ignores claims mounted elsewhere', () => {
    const template = {
      spec: {
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'media-data' } }],
        containers: [{ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      },
    };
    expect(configClaimOfPodTemplate(template)).toBeUndefined();
  });

  it('puts a claim under <labDir>/volumes/<namespace>/<claim>', () => {
    expect(volumeDir('media', 'sonarr-config', '/tmp/lab')).toBe('/tmp/lab/volumes/media/sonarr-config');
  });
});

const dirs: string[] = [];
function labDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'lab-volumes-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('volume directories', () => {
  it('finds the configuration claim of an app workload, or falls back to <workload>-config', () => {
    const tpl = (spec: unknown) => ({ spec });
    const pvc = tpl({ containers: [{ volumeMounts: [{ name: 'cfg', mountPath: '/config/' }] }], volumes: [{ name: 'cfg', persistentVolumeClaim: { claimName: 'qbittorrent-config' } }] });
    expect(configClaimOfPodTemplate(pvc)).toBe('qbittorrent-config');
    const nested = tpl({ containers: [{ volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'c', mountPath: '/app/config' }] }], volumes: [{ name: 'c', persistentVolumeClaim: { claimName: 'jellyseerr-config' } }] });
    expect(configClaimOfPodTemplate(nested)).toBe('jellyseerr-config');
    const host = tpl({ containers: [{ volumeMounts: [{ name: 'config', mountPath: '/config' }] }], volumes: [{ name: 'config', hostPath: { path: '/mnt/data/configs/sonarr' } }] });
    expect(configClaimOfPodTemplate(host)).toBeUndefined();
    expect(configMountOfPodTemplate(host)).toEqual({ volume: 'config', mountPath: '/config' });
    const initOnly = tpl({ initContainers: [{ volumeMounts: [{ name: 'c', mountPath: '/config' }] }], containers: [{}], volumes: [{ name: 'c', persistentVolumeClaim: { claimName: 'x-data' } }] });
    expect(configMountOfPodTemplate(initOnly)).toEqual({ volume: 'c', mountPath: '/config', claim: 'x-data' });
    expect(configClaimOfPodTemplate(tpl({ containers: [{ volumeMounts: [{ name: 'd', mountPath: '/configuration' }] }] }))).toBeUndefined();
  });

  it('lists sizes, empties volumes, and corrupts files in place', () => {
    const dir = labDir();
    const v = ensureVolumeDir('media', 'sonarr-config', dir);
    mkdirSync(path.join(v, 'db'));
    writeFileSync(path.join(v, 'config.xml'), 'x'.repeat(1000));
    writeFileSync(path.join(v, 'db', 'sonarr.db'), Buffer.alloc(3000, 7));
    ensureVolumeDir('media', 'empty', dir);
    expect(listVolumes(dir).map((x) => [x.namespace, x.claim, x.bytes, x.files])).toEqual([
      ['media', 'empty', 0, 0],
      ['media', 'sonarr-config', 4000, 2],
    ]);
    const before = readFileSync(path.join(v, 'db', 'sonarr.db'));
    corruptVolumeFile('media', 'sonarr-config', 'db/sonarr.db', 'flip', dir);
    const after = readFileSync(path.join(v, 'db', 'sonarr.db'));
    expect(after.length).toBe(before.length);
    expect(after.equals(before)).toBe(false);
    corruptVolumeFile('media', 'sonarr-config', 'config.xml', 'truncate', dir);
    expect(readFileSync(path.join(v, 'config.xml')).length).toBe(500);
    expect(() => corruptVolumeFile('media', 'sonarr-config', '../../../etc/passwd', 'flip', dir)).toThrow(/not inside volume/);
    expect(() => corruptVolumeFile('media', 'sonarr-config', 'nope', 'flip', dir)).toThrow(/no file nope/);
    expect(wipeVolumes(dir)).toHaveLength(2);
    expect(listVolumes(dir).map((x) => x.bytes)).toEqual([0, 0]);
  });

  it('formats sizes', () => {
    expect([0, 1023, 1024, 1536, 5 * 2 ** 20].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 MiB']);
  });
});
