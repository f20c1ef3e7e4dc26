import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { followLog, readLog, type LogReadOptions } from './logs';
import { attemptLogFile, loggedAttempts } from './runner';

/**
 * The part of the kubelet API the API server proxies `pods/log` to:
 * `GET /containerLogs/{namespace}/{pod}/{container}` with the `PodLogOptions` query parameters
 * (follow, previous, tailLines, limitBytes, sinceSeconds, sinceTime, timestamps), on
 * 127.0.0.1 over TLS with a serving certificate of the lab CA (the API server's
 * `--kubelet-certificate-authority`). Only the API server's kubelet client certificate
 * (`--kubelet-client-certificate`, CN kube-apiserver-kubelet-client) is let in.
 */

/** What the server needs to know about a pod. */
export interface LogSource {
  /** The pod's directory (logs/<container>/<attempt>.log). */
  dir: string;
  /** The attempt a container is on, when the executor runs the pod. */
  currentAttempt(container: string): number | undefined;
  attemptRunning(container: string, index: number): boolean;
  /** The attempt `previous=true` reads (see PodRunner.previousAttempt). */
  previousAttempt?(container: string): number | undefined;
}

export interface KubeletServerOptions {
  port: number;
  certDir: string;
  /** The executor's pod of that name, undefined for pods it does not run (kwok's). */
  findPod(namespace: string, name: string): LogSource | undefined;
  log(msg: string): void;
}

/** Client identities allowed to read logs. */
const ALLOWED_CLIENTS = new Set(['kube-apiserver-kubelet-client', 'lab-admin']);

function parseOptions(q: URLSearchParams): LogReadOptions & { follow: boolean; previous: boolean } {
  const num = (k: string) => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`invalid ${k}: ${v}`);
    return n;
  };
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const sinceSeconds = num('sinceSeconds');
  const sinceTimeRaw = q.get('sinceTime');
  let sinceTime: Date | undefined;
  if (sinceTimeRaw) {
    sinceTime = new Date(sinceTimeRaw);
    if (Number.isNaN(sinceTime.getTime())) throw new Error(`invalid sinceTime: ${sinceTimeRaw}`);
  }
  if (sinceSeconds !== undefined) {
    const t = new Date(Date.now() - sinceSeconds * 1000);
    if (!sinceTime || t > sinceTime) sinceTime = t;
  }
  const tail = q.get('tailLines') ?? (q.get('tail') && q.get('tail') !== 'all' ? q.get('tail') : null);
  return {
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    ...(tail !== null ? { tailLines: Number(tail) } : {}),
    ...(num('limitBytes') !== undefined ? { limitBytes: num('limitBytes') } : {}),
    ...(sinceTime ? { sinceTime } : {}),
  };
}

function plain(res: import('node:http').ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server; resolves once it listens. */
export async function startKubeletServer(opts: KubeletServerOptions): Promise<https.Server> {
  const cert = (f: string) => readFileSync(path.join(opts.certDir, f));
  const server = https.createServer(
    { key: cert('kubelet.key'), cert: cert('kubelet.crt'), ca: cert('ca.crt'), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) plain(res, 500, `lab executor: ${(err as Error).message}`);
        else res.end();
      });
    },
  );

  async function handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
    if (!ALLOWED_CLIENTS.has(cn)) return plain(res, 403, `Forbidden (user=${cn || 'anonymous'}, verb=get, resource=nodes, subresource=log)`);
    const url = new URL(req.url ?? '/', 'https://kubelet.local');
    if (url.pathname === '/healthz') return plain(res, 200, 'ok');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return plain(res, 404, '404 page not found');
    const [ns, pod, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s as string)) as [string, string, string];
    let o: ReturnType<typeof parseOptions>;
    try {
      o = parseOptions(url.searchParams);
    } catch (err) {
      return plain(res, 400, (err as Error).message);
    }
    const src = opts.findPod(ns, pod);
    if (!src) {
      // A pod kwok plays: its containers run nothing, so they have written nothing.
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
      return;
    }
    const attempts = loggedAttempts(src.dir, container);
    const current = src.currentAttempt(container) ?? attempts.at(-1);
    if (current === undefined) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
      return;
    }
    const index = o.previous ? (src.previousAttempt?.(container) ?? current - 1) : current;
    if (o.previous && (index < 0 || !attempts.includes(index))) {
      return plain(res, 400, `previous terminated container "${container}" in pod "${pod}" not found`);
    }
    const file = attemptLogFile(src.dir, container, index);
    if (!o.follow || o.previous) {
      const body = readLog(file, o);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
    let closed = false;
    res.on('close', () => (closed = true));
    await followLog(
      file,
      o,
      (chunk) => res.write(chunk),
      () => !src.attemptRunning(container, index),
      () => closed,
    );
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  opts.log(`kubelet log endpoint on https://127.0.0.1:${opts.port}`);
  return server;
}
