import { describe, expect, it } from 'vitest';
import { addressResolver, serviceOfHost } from './addresses';

describe('lab addresses', () => {
  const r = addressResolver({ 'sonarr.media': 'http://127.0.0.1:4001', 'sabnzbd.media:8000': 'http://127.0.0.1:4002', 'qbittorrent.qbittorrent': 'http://127.0.0.1:4003' });

  it('reads the Service and namespace of in-cluster host names', () => {
    expect(serviceOfHost('sonarr', 'media')).toEqual({ service: 'sonarr', namespace: 'media' });
    expect(serviceOfHost('sonarr.media.svc.cluster.local', 'x')).toEqual({ service: 'sonarr', namespace: 'media' });
    expect(serviceOfHost('sonarr.media.svc', 'x')).toEqual({ service: 'sonarr', namespace: 'media' });
    expect(serviceOfHost('example.com.au.other.thing', 'x')).toBeUndefined();
  });

  it('rewrites URLs to where the lab serves the Service, keeping the path', () => {
    expect(r.url('http://sonarr.media.svc.cluster.local:8989/sonarr', 'x')).toBe('http://127.0.0.1:4001/sonarr');
    expect(r.url('http://sonarr:8989', 'media')).toBe('http://127.0.0.1:4001');
    expect(r.url('http://sabnzbd.media:8000/v1/publicip/ip', 'x')).toBe('http://127.0.0.1:4002/v1/publicip/ip');
    expect(r.url('http://unknown.media:1/', 'x')).toBe('http://unknown.media:1/');
    expect(r.url('not a url', 'x')).toBe('not a url');
  });

  it('rewrites a host and port pair', () => {
    expect(r.hostPort('qbittorrent.qbittorrent.svc.cluster.local', 8080, 'media')).toEqual({ host: '127.0.0.1', port: 4003 });
    expect(r.hostPort('nothing', 80, 'media')).toBeUndefined();
  });
});
