import { describe, expect, it } from 'vitest';
import { ingressControllerServers } from '../apps/nginx';
import type { IngressRoute } from '../lib/manifests';
import { copiedSecretOf, redirectedHosts, servedSecrets } from './cert-manager';
import type { KubeObject } from './kube-http';

type Ing = Parameters<typeof servedSecrets>[0][number];

function ingress(ns: string, name: string, created: string, hosts: string[], secret?: string, annotations: Record<string, string> = {}): Ing {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: ns, name, creationTimestamp: created, annotations },
    spec: { ...(secret ? { tls: [{ hosts, secretName: secret }] } : {}), rules: hosts.map((host) => ({ host })) },
  } as Ing;
}

describe("the lab's cert-manager and ingress controller", () => {
  it('finds the Secret a copying CronJob copies from the names in its script', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { namespace: 'argocd', name: 'sync-cert-secret' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ command: ['/bin/bash', '-c', 'set -e\nSOURCE_NS="argocd"\nSECRET_NAME="home-tls"\nkubectl get secret'] }] } } } } },
    } as KubeObject;
    expect(copiedSecretOf(job)).toEqual({ namespace: 'argocd', name: 'home-tls' });
    expect(copiedSecretOf({ ...job, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ command: ['backup.sh'] }] } } } } } } as KubeObject)).toBeUndefined();
  });

  it('serves each host the Secret of its oldest Ingress with a tls block, from that Ingress namespace', () => {
    const served = servedSecrets([
      ingress('media', 'sonarr', '2026-01-02T00:00:00Z', ['home.example'], 'home-tls'),
      ingress('argocd', 'argocd', '2026-01-01T00:00:00Z', ['home.example'], 'home-tls'),
      ingress('media', 'jellyseerr', '2026-01-03T00:00:00Z', ['js.home.example'], 'home-tls'),
      ingress('media', 'plain', '2026-01-01T00:00:00Z', ['plain.home.example']),
    ]);
    expect(served.get('home.example')).toEqual({ namespace: 'argocd', name: 'home-tls' });
    expect(served.get('js.home.example')).toEqual({ namespace: 'media', name: 'home-tls' });
    expect(served.has('plain.home.example')).toBe(false);
  });

  it('redirects plain HTTP for hosts with a tls block unless an Ingress of theirs turns ssl-redirect off', () => {
    const hosts = redirectedHosts([
      ingress('media', 'a', '2026-01-01T00:00:00Z', ['a.example'], 'tls'),
      ingress('media', 'b', '2026-01-01T00:00:00Z', ['b.example'], 'tls', { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }),
      ingress('media', 'c', '2026-01-01T00:00:00Z', ['c.example']),
    ]);
    expect([...hosts]).toEqual(['a.example']);
  });

  it('renders the controller: certificates by SNI from the served files, HSTS, 308 to HTTPS for redirected paths', () => {
    const routes: IngressRoute[] = [
      { host: 'home.example', path: '/sonarr', pathType: 'Prefix', namespace: 'media', ingress: 'sonarr', service: 'sonarr', servicePort: 80, annotations: {}, tls: true },
      { host: 'open.example', path: '/', pathType: 'Prefix', namespace: 'media', ingress: 'open', service: 'open', servicePort: 80, annotations: {}, tls: false },
    ];
    const out = ingressControllerServers({ httpsPort: 8443, httpPort: 8080, servedDir: '/lab/served' }, ['home.example', 'open.example'], routes, { 'sonarr.media': 'http://127.0.0.1:1' });
    expect(out).toContain('ssl_certificate /lab/served/$ssl_server_name.pem;');
    expect(out).toContain('add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;');
    expect(out).toContain('return 308 https://$host:8443$request_uri;');
    expect(out).toContain('if (-f /lab/served/$host.redirect)');
    // The host without TLS has no HTTPS server and its plain HTTP is proxied, not redirected.
    expect(out).not.toContain('# ingress controller (https): open.example');
    const open = out.slice(out.indexOf('# ingress controller (http): open.example'));
    expect(open).not.toContain('return 308');
  });
});
