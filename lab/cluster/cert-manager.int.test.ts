import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { addTlsCaseHosts, makeCopyStale, renewCertificateInLab, resetLab, setRenewalFailure, TLS_CASE_HOSTS } from '../controls';
import { readLabJson } from '../lab';
import { waitFor } from '../lib/wait';
import { useLabCluster } from './test-cluster';

useLabCluster();

const CERT = { namespace: 'argocd', name: 'home-brettswift-com-dns' };

/** The certificate the lab's ingress controller serves for `host` (SNI). */
function served(host: string): Promise<X509Certificate> {
  const port = (readLabJson()?.apps.ingress as { controller: { httpsPort: number } }).controller.httpsPort;
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: host, rejectUnauthorized: false }, () => {
      const raw = s.getPeerCertificate().raw;
      s.destroy();
      resolve(new X509Certificate(raw));
    });
    s.once('error', reject);
  });
}

async function plainStatus(host: string): Promise<{ status: number; location: string | null }> {
  const port = (readLabJson()?.apps.ingress as { controller: { httpPort: number } }).controller.httpPort;
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null });
    });
    req.once('error', reject);
    req.end();
  });
}

describe("the lab's cert-manager, copying CronJob and ingress controller", () => {
  it('answers a renewal with a failure when told, then with a fresh certificate the hosts serve; a broken copy goes stale', async () => {
    try {
      const failed = await (async () => {
        await setRenewalFailure(CERT.namespace, CERT.name, 'Route 53 refused the TXT record');
        return renewCertificateInLab(CERT.namespace, CERT.name);
      })();
      const issuing = failed.status?.conditions?.find((c) => c.type === 'Issuing');
      expect(issuing).toMatchObject({ status: 'False', reason: 'Failed' });
      expect(issuing?.message).toContain('Route 53 refused the TXT record');
      const revision = failed.status?.revision ?? 0;

      await setRenewalFailure(CERT.namespace, CERT.name, undefined);
      const renewed = await renewCertificateInLab(CERT.namespace, CERT.name);
      expect(renewed.status?.revision).toBe(revision + 1);
      expect(renewed.status?.conditions?.find((c) => c.type === 'Issuing')).toBeUndefined();
      const notAfter = Date.parse(renewed.status?.notAfter ?? '');
      expect(notAfter).toBeGreaterThan(Date.now() + 80 * 86_400_000);
      // The host served from the Certificate's own Secret, and the one served from a copy, get it.
      for (const host of ['home.brettswift.com', 'jellyseerr.home.brettswift.com']) {
        await waitFor(`${host} serves the renewed certificate`, async () => Date.parse((await served(host)).validTo) === notAfter, { timeoutMs: 20_000, intervalMs: 300 });
      }

      const stale = await makeCopyStale();
      expect(stale).toMatchObject({ cronJob: 'argocd/sync-cert-secret', certificate: `${CERT.namespace}/${CERT.name}`, secret: 'argocd/home-brettswift-com-tls', revision: revision + 2 });
      await waitFor('home.brettswift.com serves the newest certificate', async () => Date.parse((await served('home.brettswift.com')).validTo) > notAfter, { timeoutMs: 20_000, intervalMs: 300 });
      // The copy in media was not made again: the host it serves keeps the previous certificate.
      await new Promise((r) => setTimeout(r, 2500));
      expect(Date.parse((await served('jellyseerr.home.brettswift.com')).validTo)).toBe(notAfter);

      const hosts = await addTlsCaseHosts();
      await waitFor('the TLS case hosts served', async () => (await served(hosts.expired).catch(() => undefined)) !== undefined, { timeoutMs: 20_000, intervalMs: 300 });
      expect(Date.parse((await served(TLS_CASE_HOSTS.expired)).validTo)).toBeLessThan(Date.now());
      expect((await served(TLS_CASE_HOSTS.mismatch)).subjectAltName).not.toContain(TLS_CASE_HOSTS.mismatch);
      await waitFor('plain HTTP redirected for TLS hosts only', async () => (await plainStatus(TLS_CASE_HOSTS.expired)).status === 308, { timeoutMs: 20_000, intervalMs: 300 });
      expect(await plainStatus(TLS_CASE_HOSTS.plain)).toMatchObject({ status: 200, location: null });
      expect((await plainStatus('home.brettswift.com')).location).toMatch(/^https:\/\/home\.brettswift\.com:\d+\/$/);
    } finally {
      await resetLab();
    }
    // The reset gives the copy job back: the copy follows the source again.
    await waitFor('the copy made again', async () => (await served('jellyseerr.home.brettswift.com')).serialNumber === (await served('home.brettswift.com')).serialNumber, { timeoutMs: 20_000, intervalMs: 300 });
  });
});
