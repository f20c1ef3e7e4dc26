import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { issueServingCertificate } from './certs';
import type { KubeObject, LabKubeClient } from './kube-http';
import { parseGoDuration } from './status-writers';

/**
 * The lab's cert-manager and the owner's Secret-copying CronJob, played from the lab's controller
 * process (lab/argocd/worker.ts), and the certificates its ingress serves:
 *
 * - A Certificate whose `Issuing` condition turns True (what `cmctl renew` and the panel's "Renew now"
 *   set through the status subresource) gets a fresh certificate from the lab CA in its Secret and a
 *   new status (Ready, notBefore/notAfter/renewalTime, revision + 1), as cert-manager does; or, when
 *   the Certificate carries {@link RENEWAL_FAILS_ANNOTATION}, a failed issuance (Issuing False with
 *   that message, lastFailureTime, failedIssuanceAttempts + 1) and its old certificate stays.
 * - A CronJob that copies a Secret (its manifest names `SOURCE_NS` and `SECRET_NAME`) has its copies
 *   made in every namespace whose Ingresses name that Secret, as the owner's job does, unless the
 *   CronJob carries {@link COPY_BROKEN_ANNOTATION}: then the copies keep the certificate they have.
 * - For every Ingress host, the certificate and key of the Secret ingress-nginx would serve (the oldest
 *   Ingress naming the host in a `tls` block with a Secret, read from that Ingress's namespace) are
 *   written to `<dir>/<host>.pem`, which the lab's nginx loads per handshake by SNI.
 */

/** Annotation on a Certificate: its renewals fail with this message. */
export const RENEWAL_FAILS_ANNOTATION = 'lab.k8s-nas-panel/renewal-fails';
/** Annotation on a Secret-copying CronJob: its copies are no longer made. */
export const COPY_BROKEN_ANNOTATION = 'lab.k8s-nas-panel/copy-broken';
/** Field manager of the statuses this controller writes. */
export const LAB_CERT_MANAGER = 'k8s-nas-lab-cert-manager';

const DAY = 86_400_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export type Certificate = KubeObject & {
  spec?: { secretName?: string; dnsNames?: string[]; commonName?: string; duration?: string; renewBefore?: string; issuerRef?: { name?: string; kind?: string; group?: string } };
  status?: { conditions?: Condition[]; revision?: number; failedIssuanceAttempts?: number };
};
type Secret = KubeObject & { type?: string; data?: Record<string, string> };
type Ingress = KubeObject & { spec?: { tls?: { hosts?: string[]; secretName?: string }[]; rules?: { host?: string }[] } };
type CronJob = KubeObject & { spec?: { jobTemplate?: { spec?: { template?: { spec?: { containers?: { command?: string[]; args?: string[] }[] } } } } } };

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Secret a copying CronJob copies, from the names its manifest mentions (`SOURCE_NS="x"`, `SECRET_NAME="y"`). */
export function copiedSecretOf(job: CronJob): { namespace: string; name: string } | undefined {
  const text = (job.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]).join('\n');
  const name = /SECRET_NAME=["']?([a-z0-9.-]+)/.exec(text)?.[1];
  if (!name) return undefined;
  const namespace = /SOURCE_NS=["']?([a-z0-9-]+)/.exec(text)?.[1] ?? job.metadata.namespace ?? 'default';
  return { namespace, name };
}

/** The Secret ingress-nginx serves for each host: `host -> namespace/secret` (oldest Ingress first). */
export function servedSecrets(ingresses: Ingress[]): Map<string, { namespace: string; name: string }> {
  const sorted = [...ingresses].sort((a, b) => {
    const ta = String(a.metadata.creationTimestamp ?? '');
    const tb = String(b.metadata.creationTimestamp ?? '');
    if (ta !== tb) return ta < tb ? -1 : 1;
    return `${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1;
  });
  const out = new Map<string, { namespace: string; name: string }>();
  for (const ing of sorted) {
    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue;
      const hosts = (t.hosts ?? []).length > 0 ? (t.hosts ?? []) : (ing.spec?.rules ?? []).map((r) => r.host ?? '').filter(Boolean);
      for (const h of hosts) {
        const host = h.toLowerCase();
        if (!out.has(host) && !host.startsWith('*.')) out.set(host, { namespace: ing.metadata.namespace ?? 'default', name: t.secretName });
      }
    }
  }
  return out;
}

/** Hosts whose plain HTTP ingress-nginx redirects: a `tls` block lists them and no Ingress of theirs says `ssl-redirect: "false"`. */
export function redirectedHosts(ingresses: Ingress[]): Set<string> {
  const tls = new Set<string>();
  const off = new Set<string>();
  for (const ing of ingresses) {
    const hosts = (ing.spec?.rules ?? []).map((r) => (r.host ?? '').toLowerCase()).filter(Boolean);
    const ann = ing.metadata.annotations ?? {};
    if (ann['nginx.ingress.kubernetes.io/ssl-redirect'] === 'false' && ann['nginx.ingress.kubernetes.io/force-ssl-redirect'] !== 'true') for (const h of hosts) off.add(h);
    for (const t of ing.spec?.tls ?? []) for (const h of (t.hosts ?? []).length > 0 ? (t.hosts ?? []) : hosts) tls.add(h.toLowerCase());
  }
  return new Set([...tls].filter((h) => !off.has(h) && !h.startsWith('*.')));
}

/**
 * Issues a certificate for a Certificate's names from the lab CA, valid from `notBefore` to `notAfter`,
 * and writes it into the Certificate's Secret as cert-manager does. Returns the Secret's name.
 */
export async function writeCertificateSecret(client: LabKubeClient, caDir: string, cert: Certificate, notBefore: Date, notAfter: Date): Promise<string> {
  const spec = cert.spec ?? {};
  const ns = cert.metadata.namespace ?? 'default';
  const dnsNames = spec.dnsNames ?? [];
  const issued = await issueServingCertificate(caDir, spec.commonName ?? dnsNames[0] ?? cert.metadata.name, dnsNames, notBefore, notAfter);
  const secretName = spec.secretName ?? `${cert.metadata.name}-tls`;
  const existing = await client.get<Secret>('v1', 'Secret', secretName, ns);
  const issuer = spec.issuerRef ?? {};
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: secretName,
      namespace: ns,
      labels: { ...(existing?.metadata.labels ?? {}), 'controller.cert-manager.io/fao': 'true' },
      annotations: {
        ...(existing?.metadata.annotations ?? {}),
        'cert-manager.io/certificate-name': cert.metadata.name,
        'cert-manager.io/issuer-name': issuer.name ?? '',
        'cert-manager.io/issuer-kind': issuer.kind ?? 'Issuer',
        'cert-manager.io/issuer-group': issuer.group ?? 'cert-manager.io',
        'cert-manager.io/common-name': dnsNames[0] ?? '',
        'cert-manager.io/alt-names': dnsNames.join(','),
      },
    },
    data: {
      'tls.crt': Buffer.from(issued.certPem).toString('base64'),
      'tls.key': Buffer.from(issued.keyPem).toString('base64'),
      'ca.crt': readFileSync(path.join(caDir, 'ca.crt')).toString('base64'),
    },
  };
  await client.apply(secret, LAB_CERT_MANAGER);
  return secretName;
}

export class LabCertManager {
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly client: LabKubeClient,
    /** The lab CA's directory (ca.crt, ca.key). */
    private readonly caDir: string,
    /** Where the served certificates are written, per host. */
    private readonly servedDir: string,
    private readonly log: (m: string) => void,
    /** How long an issuance takes (`LAB_CERT_ISSUE_DELAY_MS`, default 8 s). */
    private readonly issueDelayMs = Number(process.env.LAB_CERT_ISSUE_DELAY_MS ?? 8000),
  ) {}

  /** Polls the cluster every `intervalMs` (Certificates, copying CronJobs, Ingresses and their Secrets). */
  start(intervalMs = 1000): void {
    mkdirSync(this.servedDir, { recursive: true });
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.tick()
          .catch((err: Error) => this.log(`cert-manager: ${err.message.split('\n')[0]}`))
          .finally(loop);
      }, intervalMs);
    };
    void this.tick()
      .catch((err: Error) => this.log(`cert-manager: ${err.message.split('\n')[0]}`))
      .finally(loop);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** One pass: renewals, copies, served certificates. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const certs = await this.client.list<Certificate>('cert-manager.io/v1', 'Certificate').catch(() => [] as Certificate[]);
      for (const c of certs) {
        const issuing = c.status?.conditions?.find((x) => x.type === 'Issuing');
        // Like cert-manager (a CertificateRequest, an ACME order), issuing takes a moment.
        const since = Date.parse(issuing?.lastTransitionTime ?? '') || 0;
        if (issuing?.status === 'True' && Date.now() - since >= this.issueDelayMs) await this.answer(c);
      }
      await this.copySecrets();
      await this.writeServed();
    } finally {
      this.ticking = false;
    }
  }

  /** Answers a requested issuance: a fresh certificate, or a failure when the lab says so. */
  private async answer(cert: Certificate): Promise<void> {
    const ns = cert.metadata.namespace ?? 'default';
    const key = `${ns}/${cert.metadata.name}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      const ref = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: cert.metadata.name, namespace: ns };
      const now = new Date();
      const others = (cert.status?.conditions ?? []).filter((c) => c.type !== 'Issuing' && c.type !== 'Ready');
      const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
      const failure = cert.metadata.annotations?.[RENEWAL_FAILS_ANNOTATION];
      const generation = Number(cert.metadata.generation ?? 1);
      if (failure !== undefined) {
        const message = `The certificate request has failed to complete and will be retried: ${failure || 'the issuer refused the request'}`;
        const conditions: Condition[] = [
          ...(ready ? [ready] : []),
          { type: 'Issuing', status: 'False', reason: 'Failed', message, lastTransitionTime: iso(now), observedGeneration: generation },
          ...others,
        ];
        await this.client.mergePatch(ref, { status: { conditions, lastFailureTime: iso(now), failedIssuanceAttempts: (cert.status?.failedIssuanceAttempts ?? 0) + 1 } }, { subresource: 'status', fieldManager: LAB_CERT_MANAGER });
        this.log(`cert-manager: ${key}: issuance failed (${failure})`);
        return;
      }
      const spec = cert.spec ?? {};
      const duration = parseGoDuration(spec.duration) ?? 90 * DAY;
      const renewBefore = parseGoDuration(spec.renewBefore) ?? duration / 3;
      const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const notAfter = new Date(notBefore.getTime() + duration);
      const secretName = await writeCertificateSecret(this.client, this.caDir, cert, notBefore, notAfter);
      const revision = (cert.status?.revision ?? 0) + 1;
      const conditions: Condition[] = [
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: iso(now), observedGeneration: generation },
        ...others,
      ];
      await this.client.mergePatch(
        ref,
        {
          status: {
            conditions,
            notBefore: iso(notBefore),
            notAfter: iso(notAfter),
            renewalTime: iso(new Date(notAfter.getTime() - renewBefore)),
            revision,
            lastFailureTime: null,
            failedIssuanceAttempts: null,
          },
        },
        { subresource: 'status', fieldManager: LAB_CERT_MANAGER },
      );
      this.log(`cert-manager: ${key}: issued revision ${revision} into Secret ${ns}/${secretName}, valid until ${iso(notAfter)}`);
    } finally {
      this.busy.delete(key);
    }
  }

  /** Plays the Secret-copying CronJobs: copies into the namespaces whose Ingresses name the Secret. */
  private async copySecrets(): Promise<void> {
    const jobs = await this.client.list<CronJob>('batch/v1', 'CronJob').catch(() => [] as CronJob[]);
    const copying = jobs.map((j) => ({ job: j, source: copiedSecretOf(j) })).filter((x) => x.source !== undefined);
    if (copying.length === 0) return;
    const ingresses = await this.client.list<Ingress>('networking.k8s.io/v1', 'Ingress');
    for (const { job, source } of copying) {
      if (!source || job.metadata.annotations?.[COPY_BROKEN_ANNOTATION] !== undefined) continue;
      const from = await this.client.get<Secret>('v1', 'Secret', source.name, source.namespace);
      if (!from?.data) continue;
      const targets = new Set(
        ingresses
          .filter((i) => (i.spec?.tls ?? []).some((t) => t.secretName === source.name))
          .map((i) => i.metadata.namespace ?? 'default')
          .filter((ns) => ns !== source.namespace),
      );
      for (const ns of targets) {
        const cur = await this.client.get<Secret>('v1', 'Secret', source.name, ns);
        if (cur?.data?.['tls.crt'] === from.data['tls.crt'] && cur?.data?.['tls.key'] === from.data['tls.key']) continue;
        await this.client.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            type: from.type ?? 'kubernetes.io/tls',
            metadata: { name: source.name, namespace: ns, labels: from.metadata.labels ?? {}, annotations: from.metadata.annotations ?? {} },
            data: from.data,
          } as Secret,
          `${LAB_CERT_MANAGER}-copy`,
        );
        this.log(`cert-manager: CronJob ${job.metadata.namespace}/${job.metadata.name} copied Secret ${source.namespace}/${source.name} to ${ns}`);
      }
    }
  }

  /** Writes the certificate each host is served with (files change only when the Secret does). */
  private async writeServed(): Promise<void> {
    const ingresses = await this.client.list<Ingress>('networking.k8s.io/v1', 'Ingress');
    const cache = new Map<string, Secret | undefined>();
    const served = servedSecrets(ingresses);
    const redirected = redirectedHosts(ingresses);
    for (const f of readdirSync(this.servedDir)) {
      const m = /^(.+)\.(pem|redirect)$/.exec(f);
      if (!m?.[1]) continue;
      const keep = m[2] === 'pem' ? served.has(m[1]) : redirected.has(m[1]);
      if (!keep) rmSync(path.join(this.servedDir, f), { force: true });
    }
    for (const host of redirected) {
      const marker = path.join(this.servedDir, `${host}.redirect`);
      if (/^[a-z0-9.-]+$/.test(host) && !existsSync(marker)) writeFileSync(marker, '');
    }
    for (const [host, ref] of served) {
      const id = `${ref.namespace}/${ref.name}`;
      if (!cache.has(id)) cache.set(id, await this.client.get<Secret>('v1', 'Secret', ref.name, ref.namespace));
      const s = cache.get(id);
      const crt = s?.data?.['tls.crt'];
      const key = s?.data?.['tls.key'];
      if (!crt || !key || !/^[a-z0-9.-]+$/.test(host)) continue;
      // Certificate and key in one file, replaced at once: nginx never pairs a certificate with another's key.
      const file = path.join(this.servedDir, `${host}.pem`);
      const pem = `${Buffer.from(crt, 'base64').toString('utf8').trimEnd()}\n${Buffer.from(key, 'base64').toString('utf8')}`;
      if (existsSync(file) && readFileSync(file, 'utf8') === pem) continue;
      writeFileSync(`${file}.tmp`, pem, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      this.log(`cert-manager: ${host} is served the certificate of Secret ${id}`);
    }
  }
}
