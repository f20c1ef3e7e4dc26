import { describe, expect, it } from 'vitest';
import { appConfigVolume, configClaimOfPodTemplate } from './volumes';
import { volumeDir } from '../paths';

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
