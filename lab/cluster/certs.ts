import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Client identities the lab issues certificates for (file stem -> subject). */
export const LAB_CLIENTS = {
  admin: '/O=system:masters/CN=lab-admin',
  'kube-controller-manager': '/CN=system:kube-controller-manager',
  'kube-scheduler': '/CN=system:kube-scheduler',
  kwok: '/O=system:masters/CN=kwok',
  'lab-executor': '/O=system:masters/CN=lab-executor',
  /** The API server's identity towards kubelets (pods/log), `--kubelet-client-certificate`. */
  'apiserver-kubelet-client': '/CN=kube-apiserver-kubelet-client',
} as const;

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await exec('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

const LEAF_BASE = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];

async function issueLeaf(dir: string, stem: string, subject: string, ext: string[]): Promise<void> {
  const extFile = path.join(dir, `${stem}.ext`);
  writeFileSync(extFile, [...LEAF_BASE, ...ext].join('\n') + '\n');
  await openssl(
    ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', subject],
    dir,
  );
  await openssl(
    ['x509', '-req', '-in', `${stem}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', '3650', '-sha256', '-out', `${stem}.crt`, '-extfile', extFile],
    dir,
  );
  rmSync(path.join(dir, `${stem}.csr`));
  rmSync(extFile);
}

/**
 * Creates the lab's PKI in `dir` unless it is complete already: a CA, the API server's serving
 * certificate (SANs 127.0.0.1, localhost, kubernetes.default.svc...), the nodes' kubelet serving
 * certificate, client certificates for the admin (O=system:masters), controller manager,
 * scheduler, kwok, the lab executor and the API server's kubelet client, and the RSA key pair
 * that signs service-account tokens. Generated at run time; never committed.
 */
export async function ensureLabCertificates(dir: string, log: (msg: string) => void): Promise<void> {
  const expected = ['ca.crt', 'ca.key', 'apiserver.crt', 'apiserver.key', 'kubelet.crt', 'kubelet.key', 'sa.key', 'sa.pub', ...Object.keys(LAB_CLIENTS).map((c) => `${c}.crt`)];
  if (expected.every((f) => existsSync(path.join(dir, f)))) return;
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(
    [
      'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-sha256', '-subj', '/CN=k8s-nas-lab-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    dir,
  );
  const sans = [
    'IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ];
  await Promise.all([
    issueLeaf(dir, 'apiserver', '/CN=kube-apiserver', ['extendedKeyUsage=serverAuth', `subjectAltName=${sans.join(',')}`]),
    // The kubelet API of the lab's nodes (served by the lab executor on 127.0.0.1).
    issueLeaf(dir, 'kubelet', '/O=system:nodes/CN=system:node:lab-node', ['extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    ...Object.entries(LAB_CLIENTS).map(([stem, subject]) => issueLeaf(dir, stem, subject, ['extendedKeyUsage=clientAuth'])),
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir).then(() =>
      openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir),
    ),
  ]);
  log(`certificates: generated in ${Date.now() - t0} ms (${dir})`);
}

/** A TLS certificate issued by the lab CA with explicit validity, for cert-manager-style Secrets. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

function asn1Time(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/**
 * Issues a serving certificate for `dnsNames` signed by the lab CA, valid from notBefore to notAfter
 * (`openssl ca` is used because it accepts explicit start and end dates).
 */
export async function issueServingCertificate(
  caDir: string,
  commonName: string,
  dnsNames: string[],
  notBefore: Date,
  notAfter: Date,
): Promise<IssuedCertificate> {
  const work = mkdtempSync(path.join(caDir, 'issue-'));
  try {
    writeFileSync(path.join(work, 'index.txt'), '');
    const serial = randomBytes(8).toString('hex');
    writeFileSync(path.join(work, 'serial'), `${serial}\n`);
    const names = dnsNames.length > 0 ? dnsNames : [commonName];
    writeFileSync(
      path.join(work, 'ca.cnf'),
      [
        '[ca]', 'default_ca = lab', '[lab]', `dir = ${work}`, 'database = $dir/index.txt', 'new_certs_dir = $dir',
        'serial = $dir/serial', `certificate = ${path.join(caDir, 'ca.crt')}`, `private_key = ${path.join(caDir, 'ca.key')}`,
        'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none', 'x509_extensions = leaf',
        '[any]', 'commonName = supplied', '[leaf]', ...LEAF_BASE, 'extendedKeyUsage = serverAuth',
        `subjectAltName = ${names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`, '',
      ].join('\n'),
    );
    const cn = (commonName || names[0] || 'lab').slice(0, 64).replace(/[/=]/g, '-');
    await openssl(['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${cn}`], work);
    await openssl(
      ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter), '-in', 'tls.csr', '-out', 'tls.crt'],
      work,
    );
    return {
      certPem: readFileSync(path.join(work, 'tls.crt'), 'utf8'),
      keyPem: readFileSync(path.join(work, 'tls.key'), 'utf8'),
      notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
      notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
      serial,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
