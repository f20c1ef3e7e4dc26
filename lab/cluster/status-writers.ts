import type { KubeObject } from './kube-http';

/**
 * Status shapes written where the real controller (cert-manager) does not run in the lab. They follow
 * the controller's own status fields so the panel reads them like production. (Argo CD's status is
 * written by the lab's application controller in lab/argocd, from the objects themselves.)
 */

const DAY = 86_400_000;

/** Parses a Go duration ("2592000s", "720h", "1h30m") into milliseconds. */
export function parseGoDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of s.matchAll(re)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return matched ? total : undefined;
}

/** Validity window chosen for a lab Certificate. */
export interface CertificateWindow {
  notBefore: Date;
  notAfter: Date;
  renewalTime: Date;
  expiring: boolean;
}

/**
 * A realistic validity window: Let's Encrypt-like 90-day certificates; a healthy one was issued 20 days
 * ago, an expiring one 80 days ago (10 days left, renewal overdue). renewalTime honours spec.renewBefore
 * (cert-manager's default is 1/3 of the duration).
 */
export function certificateWindow(cert: KubeObject, expiring: boolean, now = new Date()): CertificateWindow {
  const spec = (cert.spec ?? {}) as Record<string, unknown>;
  const duration = parseGoDuration(typeof spec.duration === 'string' ? spec.duration : undefined) ?? 90 * DAY;
  const age = expiring ? duration - 10 * DAY : Math.min(20 * DAY, duration / 4);
  const notBefore = new Date(Math.floor((now.getTime() - age) / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + duration);
  const renewBefore = parseGoDuration(typeof spec.renewBefore === 'string' ? spec.renewBefore : undefined) ?? duration / 3;
  return { notBefore, notAfter, renewalTime: new Date(notAfter.getTime() - renewBefore), expiring };
}

/** cert-manager Certificate status for a window (expiring ones show failed renewal attempts). */
export function certificateStatus(window: CertificateWindow, ready = true, reason?: string, now = new Date()): Record<string, unknown> {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions: Record<string, unknown>[] = [
    ready
      ? {
          type: 'Ready',
          status: 'True',
          reason: reason ?? 'Ready',
          message: 'Certificate is up to date and has not expired',
          lastTransitionTime: iso(window.notBefore),
          observedGeneration: 1,
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: reason ?? 'Failed',
          message: 'The certificate request has failed to complete and will be retried',
          lastTransitionTime: iso(now),
          observedGeneration: 1,
        },
  ];
  const status: Record<string, unknown> = {
    conditions,
    notBefore: iso(window.notBefore),
    notAfter: iso(window.notAfter),
    renewalTime: iso(window.renewalTime),
    revision: window.expiring ? 3 : 1,
  };
  if (window.expiring || !ready) {
    conditions.push({
      type: 'Issuing',
      status: 'False',
      reason: 'Failed',
      message: 'The certificate request has failed to complete and will be retried: DNS-01 challenge did not propagate',
      lastTransitionTime: iso(now),
      observedGeneration: 1,
    });
    status.lastFailureTime = iso(now);
    status.failedIssuanceAttempts = 3;
  }
  return status;
}

/** Ready status of an Issuer/ClusterIssuer (ACME issuers also get a registered account). */
export function issuerStatus(issuer: KubeObject, now = new Date()): Record<string, unknown> {
  const spec = (issuer.spec ?? {}) as Record<string, unknown>;
  const acme = spec.acme as Record<string, unknown> | undefined;
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status: Record<string, unknown> = {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: acme ? 'ACMEAccountRegistered' : 'KeyPairVerified',
        message: acme ? 'The ACME account was registered with the ACME server' : 'Signing CA verified',
        lastTransitionTime: iso,
        observedGeneration: 1,
      },
    ],
  };
  if (acme) {
    const server = typeof acme.server === 'string' ? acme.server : 'https://acme-v02.api.letsencrypt.org/directory';
    status.acme = {
      uri: `${server.replace(/\/directory$/, '')}/acct/${Math.abs(hash(issuer.metadata.name)) % 1_000_000_000}`,
      lastRegisteredEmail: typeof acme.email === 'string' ? acme.email : '',
      lastPrivateKeyHash: Buffer.from(issuer.metadata.name).toString('base64'),
    };
  }
  return status;
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
