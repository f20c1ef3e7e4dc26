import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The certificate situations the lab's ingress serves, one HTTPS port each. */
export type TlsCaseName = "valid" | "expiring" | "expired" | "mismatch";

/** One TLS case as recorded in `apps.tls`. */
export interface TlsCase {
  name: TlsCaseName;
  /** The ingress host this endpoint plays (send it as SNI and Host). */
  host: string;
  port: number;
  url: string;
  /** The lab CA that issued every case's certificate. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** DNS names in the certificate's subjectAltName. */
  sans: string[];
  expectNotBefore: string;
  /** ISO 8601 time the certificate expires (second precision). */
  expectNotAfter: string;
}

/** What a case's certificate must look like (days relative to now). */
interface CasePlan {
  name: TlsCaseName;
  host: string;
  sans: string[];
  notBeforeDays: number;
  notAfterDays: number;
  /** True while an existing certificate still represents the case. */
  stillHolds: (notBefore: Date, notAfter: Date, now: Date) => boolean;
}

const DAY = 86_400_000;

/**
 * The four cases for the given ingress hosts: `valid` (90 days, every host in its SAN),
 * `expiring` (20 days left, second host), `expired` (ended 30 days ago) and `mismatch`
 * (valid dates, SAN names a different host).
 */
export function planTlsCases(hosts: string[]): CasePlan[] {
  const h0 = hosts[0] ?? "localhost";
  const h1 = hosts[1] ?? h0;
  return [
    {
      name: "valid",
      host: h0,
      sans: hosts.length > 0 ? hosts : [h0],
      notBeforeDays: -1,
      notAfterDays: 90,
      stillHolds: (_nb, na, now) => na.getTime() - now.getTime() > 60 * DAY,
    },
    {
      name: "expiring",
      host: h1,
      sans: [h1],
      notBeforeDays: -70,
      notAfterDays: 20,
      stillHolds: (_nb, na, now) => na.getTime() - now.getTime() > 7 * DAY && na.getTime() - now.getTime() < 30 * DAY,
    },
    {
      name: "expired",
      host: h0,
      sans: [h0],
      notBeforeDays: -120,
      notAfterDays: -30,
      stillHolds: (_nb, na, now) => na.getTime() < now.getTime(),
    },
    {
      name: "mismatch",
      host: h0,
      sans: [`wrong-host.${h0}`],
      notBeforeDays: -1,
      notAfterDays: 90,
      stillHolds: (_nb, na, now) => na.getTime() - now.getTime() > 30 * DAY,
    },
  ];
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").replace(/\.\d{3}Z$/, "Z");
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ""} failed: ${e.stderr ?? e.message}`);
  }
}

const CA_CONFIG = (dir: string): string => `[ ca ]
default_ca = lab_ca

[ lab_ca ]
dir = ${dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/issued
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = lab_policy
unique_subject = no
copy_extensions = none
email_in_dn = no

[ lab_policy ]
commonName = supplied

[ req ]
distinguished_name = dn
prompt = no

[ dn ]
CN = k8s-nas lab CA

[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

/** Creates the lab CA under `dir` once (EC P-256, 10 years). */
export async function ensureCa(dir: string): Promise<{ caFile: string; caKey: string }> {
  mkdirSync(join(dir, "issued"), { recursive: true });
  const caFile = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  writeFileSync(join(dir, "ca.cnf"), CA_CONFIG(dir));
  if (!existsSync(join(dir, "index.txt"))) writeFileSync(join(dir, "index.txt"), "");
  if (!existsSync(join(dir, "index.txt.attr"))) writeFileSync(join(dir, "index.txt.attr"), "unique_subject = no\n");
  if (!existsSync(join(dir, "serial"))) writeFileSync(join(dir, "serial"), "1000\n");
  if (!existsSync(caFile) || !existsSync(caKey)) {
    await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", caKey], dir);
    await openssl(
      ["req", "-config", join(dir, "ca.cnf"), "-new", "-x509", "-key", caKey, "-out", caFile, "-days", "3650", "-extensions", "v3_ca"],
      dir,
    );
    chmodSync(caKey, 0o600);
  }
  return { caFile, caKey };
}

/**
 * Makes sure every case has a certificate that still represents it (reissuing those that drifted,
 * e.g. the "valid" one after 30 days) and returns the cases without ports.
 */
export async function ensureTlsCases(dir: string, hosts: string[], now = new Date()): Promise<Omit<TlsCase, "port" | "url">[]> {
  const { caFile } = await ensureCa(dir);
  const out: Omit<TlsCase, "port" | "url">[] = [];
  for (const plan of planTlsCases(hosts)) {
    const certFile = join(dir, `${plan.name}.crt`);
    const keyFile = join(dir, `${plan.name}.key`);
    const metaFile = join(dir, `${plan.name}.json`);
    let cert: X509Certificate | undefined;
    if (existsSync(certFile) && existsSync(keyFile) && existsSync(metaFile)) {
      const meta = JSON.parse(readFileSync(metaFile, "utf8")) as { sans?: string[] };
      const c = new X509Certificate(readFileSync(certFile));
      const sameNames = JSON.stringify(meta.sans) === JSON.stringify(plan.sans);
      if (sameNames && plan.stillHolds(new Date(c.validFrom), new Date(c.validTo), now)) cert = c;
    }
    if (cert === undefined) {
      await issue(dir, plan, certFile, keyFile, now);
      writeFileSync(metaFile, `${JSON.stringify({ sans: plan.sans })}\n`);
      cert = new X509Certificate(readFileSync(certFile));
    }
    out.push({
      name: plan.name,
      host: plan.host,
      caFile,
      certFile,
      keyFile,
      sans: plan.sans,
      expectNotBefore: new Date(cert.validFrom).toISOString(),
      expectNotAfter: new Date(cert.validTo).toISOString(),
    });
  }
  return out;
}

/** What {@link issue} needs of a certificate: its file stem, names (DNS names or IP addresses) and validity. */
interface IssuePlan {
  name: string;
  host: string;
  sans: string[];
  notBeforeDays: number;
  notAfterDays: number;
}

/** `IP:` for an IPv4 address, `DNS:` for a name. */
function sanEntry(name: string): string {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? `IP:${name}` : `DNS:${name}`;
}

/** A certificate for the lab's own HTTPS front of the panel: `localhost` and 127.0.0.1, 90 days, renewed with 30 left. */
export async function ensurePanelCertificate(dir: string, now = new Date()): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const { caFile } = await ensureCa(dir);
  const certFile = join(dir, "panel.crt");
  const keyFile = join(dir, "panel.key");
  const plan: IssuePlan = { name: "panel", host: "127.0.0.1", sans: ["localhost", "127.0.0.1"], notBeforeDays: -1, notAfterDays: 90 };
  let fresh = false;
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = new X509Certificate(readFileSync(certFile));
    fresh = new Date(cert.validTo).getTime() - now.getTime() > 30 * DAY && (cert.subjectAltName ?? "").includes("IP Address:127.0.0.1");
  }
  if (!fresh) await issue(dir, plan, certFile, keyFile, now);
  return { caFile, certFile, keyFile };
}

async function issue(dir: string, plan: IssuePlan, certFile: string, keyFile: string, now: Date): Promise<void> {
  const csr = join(dir, `${plan.name}.csr`);
  const ext = join(dir, `${plan.name}.ext`);
  writeFileSync(
    ext,
    [
      "basicConstraints = critical, CA:false",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      `subjectAltName = ${plan.sans.map(sanEntry).join(", ")}`,
      "authorityKeyIdentifier = keyid",
      "",
    ].join("\n"),
  );
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile], dir);
  chmodSync(keyFile, 0o600);
  await openssl(["req", "-new", "-key", keyFile, "-subj", `/CN=${plan.sans[0] ?? plan.host}`, "-out", csr], dir);
  // Whole seconds: certificates carry no sub-second precision.
  const base = Math.floor(now.getTime() / 1000) * 1000;
  await openssl(
    [
      "ca",
      "-batch",
      "-config",
      join(dir, "ca.cnf"),
      "-in",
      csr,
      "-out",
      certFile,
      "-notext",
      "-startdate",
      asn1Time(new Date(base + plan.notBeforeDays * DAY)),
      "-enddate",
      asn1Time(new Date(base + plan.notAfterDays * DAY)),
      "-extfile",
      ext,
    ],
    dir,
  );
}
