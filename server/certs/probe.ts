import "server-only";
import { X509Certificate } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";
import { connectionErrorWords } from "@/lib/certs/tls-words";
import type { HttpsCheck, ServedCertificate, TlsProbe } from "@/lib/certs/types";

/**
 * The live checks of an Ingress host, from the panel itself: a real TLS handshake with the host as
 * SNI (the certificate served, whether its chain verifies against the system roots or a configured
 * CA, whether it names the host, the TLS version), and the HTTPS-only check (plain HTTP on the same
 * host and path, then the HTTPS answer's HSTS header). Each has its own deadline; none throws.
 */

/** Where to connect. */
export interface Address {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` -> Address. */
export function parseAddress(value: string): Address {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m?.[1] || !m[2]) throw new Error(`not host:port: ${value}`);
  return { host: m[1], port: Number(m[2]) };
}

/** `address:port` for display. */
export function formatAddress(a: Address): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

/** The CA list a handshake verifies against: the system roots plus the configured PEM, if any. */
export function trustedCas(extraPem?: string): string[] {
  return extraPem ? [...tls.rootCertificates, extraPem] : [...tls.rootCertificates];
}

function names(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/,\s*/)
    .map((part) => {
      const [type, ...rest] = part.split(":");
      const v = rest.join(":").trim();
      return type === "DNS" || type === "IP Address" ? v : "";
    })
    .filter(Boolean);
}

function distinguishedName(dn: string): string {
  return dn.split("\n").filter(Boolean).join(", ");
}

/** The public facts of a certificate in DER. */
export function describeCertificate(der: Buffer): ServedCertificate {
  const x = new X509Certificate(der);
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return {
    subject: distinguishedName(x.subject),
    ...(cn ? { commonName: cn } : {}),
    sans: names(x.subjectAltName),
    issuer: distinguishedName(x.issuer),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    serial: x.serialNumber.toUpperCase().replace(/^0+(?=.)/, ""),
    fingerprint256: x.fingerprint256,
  };
}

function errorWords(error: NodeJS.ErrnoException): string {
  return connectionErrorWords(error.code, error.message || String(error));
}

/** One TLS handshake with `host` as SNI at `address`. Never throws. */
export function probeTls(host: string, address: Address, opts: { timeoutMs: number; ca: string[] }): Promise<TlsProbe> {
  const at = Date.now();
  const t0 = performance.now();
  const base = { host, address: formatAddress(address), at };
  return new Promise<TlsProbe>((resolve) => {
    let settled = false;
    let socket: tls.TLSSocket | undefined;
    const finish = (result: Omit<TlsProbe, "host" | "address" | "at" | "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({ ...base, durationMs: Math.round(performance.now() - t0), ...result });
    };
    const timer = setTimeout(() => finish({ outcome: "timeout", error: `no handshake within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    try {
      socket = tls.connect({
        host: address.host,
        port: address.port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ca: opts.ca,
        rejectUnauthorized: false,
        // The name is checked below, on its own, so a wrong name and an untrusted chain are told apart.
        checkServerIdentity: () => undefined,
        ALPNProtocols: ["http/1.1"],
      });
    } catch (error) {
      finish({ outcome: "error", error: errorWords(error as NodeJS.ErrnoException) });
      return;
    }
    socket.once("secureConnect", () => {
      const s = socket as tls.TLSSocket;
      const peer = s.getPeerCertificate(false);
      if (!peer || !peer.raw) {
        finish({ outcome: "error", error: "the server sent no certificate", protocol: s.getProtocol() ?? undefined });
        return;
      }
      let certificate: ServedCertificate;
      try {
        certificate = describeCertificate(peer.raw);
      } catch (error) {
        finish({ outcome: "error", error: `the certificate cannot be read: ${(error as Error).message}` });
        return;
      }
      const authError = s.authorizationError;
      finish({
        outcome: "ok",
        ...(s.getProtocol() ? { protocol: s.getProtocol() as string } : {}),
        certificate,
        chainTrusted: s.authorized,
        ...(!s.authorized && authError ? { chainError: String((authError as NodeJS.ErrnoException).code ?? authError) } : {}),
        nameMatches: tls.checkServerIdentity(host, peer) === undefined,
      });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => finish({ outcome: error.code === "ECONNREFUSED" ? "refused" : "error", error: errorWords(error) }));
  });
}

interface HeadAnswer {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  error?: string;
}

function requestHead(
  transport: typeof http | typeof https,
  options: https.RequestOptions,
  timeoutMs: number,
): Promise<HeadAnswer> {
  return new Promise<HeadAnswer>((resolve) => {
    let settled = false;
    const finish = (a: HeadAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(a);
    };
    const req = transport.request({ ...options, method: "GET", agent: false }, (res) => {
      // Only the status and headers count: the body is left unread.
      finish({ status: res.statusCode, headers: res.headers });
      res.destroy();
    });
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => finish({ error: errorWords(error) }));
    req.end();
  });
}

/**
 * The HTTPS-only check of one Ingress host and path: `GET http://host/path` (through `httpAddress`,
 * Host = host; the redirect is read, not followed), then `GET https://host/path` (SNI and Host = host)
 * for its Strict-Transport-Security header. The HTTPS request does not judge the certificate: the TLS
 * probe does.
 */
export async function checkHttpsOnly(
  target: { ingress: string; host: string; path: string },
  addresses: { http: Address; https: Address },
  opts: { timeoutMs: number },
): Promise<HttpsCheck> {
  const at = Date.now();
  const headers = { Host: target.host, "User-Agent": "k8s-nas-panel (HTTPS-only check)", Accept: "*/*" };
  const [plain, secure] = await Promise.all([
    requestHead(http, { host: addresses.http.host, port: addresses.http.port, path: target.path, headers }, opts.timeoutMs),
    requestHead(
      https,
      {
        host: addresses.https.host,
        port: addresses.https.port,
        path: target.path,
        headers,
        ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        rejectUnauthorized: false,
      },
      opts.timeoutMs,
    ),
  ]);
  const location = plain.headers?.location;
  const hsts = secure.headers?.["strict-transport-security"];
  return {
    ...target,
    at,
    http: {
      ...(plain.status !== undefined ? { status: plain.status } : {}),
      ...(typeof location === "string" ? { location } : {}),
      ...(plain.error ? { error: plain.error } : {}),
    },
    https: {
      ...(secure.status !== undefined ? { status: secure.status } : {}),
      ...(typeof hsts === "string" ? { hsts } : {}),
      ...(secure.error ? { error: secure.error } : {}),
    },
  };
}
