import "server-only";
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeObject } from "@/lib/k8s/types";
import type { WatchEvent } from "@/lib/k8s/watch";

/**
 * List and watch over the API server's REST paths, returning the objects as plain JSON (what the
 * pure functions of lib/k8s expect), with the credentials, CA and proxy of a client-node KubeConfig.
 * The typed clients of client-node turn timestamps into Dates and its Watch has no timeout; the
 * informers need neither, so they use this small layer instead.
 */

/** Why a request failed: the HTTP status (0 when no answer came back) and the API's own message. */
export class KubeRequestError extends Error {
  readonly status: number;
  /** `Status.reason` from the API server (Forbidden, NotFound, Gone, Expired...). */
  readonly reason: string | undefined;
  /** Node's error code for a network failure (ECONNREFUSED, ECONNRESET, ETIMEDOUT...). */
  readonly networkCode: string | undefined;

  constructor(message: string, opts: { status?: number; reason?: string; networkCode?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "KubeRequestError";
    this.status = opts.status ?? 0;
    this.reason = opts.reason;
    this.networkCode = opts.networkCode;
  }

  /** True when the API server did not answer at all (down, refused, reset, timed out, TLS failure) or refused the credentials. */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 401;
  }
}

interface Prepared {
  url: URL;
  options: http.RequestOptions;
  transport: typeof http | typeof https;
}

async function prepare(kc: KubeConfig, path: string, query: Record<string, string | undefined>): Promise<Prepared> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeRequestError("no current cluster in the kubeconfig");
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const opts: https.RequestOptions & { headers?: Record<string, string | string[] | number> } = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = { Accept: "application/json" };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  return {
    url,
    options: { method: "GET", headers, agent: opts.agent },
    transport: url.protocol === "http:" ? http : https,
  };
}

function networkError(error: unknown, server: string): KubeRequestError {
  const e = error as NodeJS.ErrnoException;
  const code = e.code ?? (e.name === "AbortError" ? "ABORTED" : undefined);
  const detail = e.message?.split("\n")[0] ?? String(error);
  return new KubeRequestError(`cannot reach the Kubernetes API at ${server}: ${detail}`, { networkCode: code, cause: error });
}

function statusError(status: number, body: string, what: string): KubeRequestError {
  let message = `${what}: HTTP ${status}`;
  let reason: string | undefined;
  try {
    const parsed = JSON.parse(body) as { message?: string; reason?: string };
    if (parsed.message) message = parsed.message;
    reason = parsed.reason;
  } catch {
    // Not a Status object (a proxy's HTML page): keep the generic message.
  }
  if (status === 401) message = `the API server refused the credentials (HTTP 401)`;
  return new KubeRequestError(message, { status, reason });
}

/** Options of one request. */
export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** GET of a path answering JSON; rejects with KubeRequestError. */
export async function kubeGetJson<T>(kc: KubeConfig, path: string, query: Record<string, string | undefined>, opts: RequestOptions): Promise<T> {
  const p = await prepare(kc, path, query);
  return new Promise<T>((resolve, reject) => {
    const req = p.transport.request(p.url, { ...p.options, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (err) => reject(networkError(err, p.url.origin)));
      res.on("end", () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) return reject(statusError(res.statusCode ?? 0, body, `GET ${path}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(new KubeRequestError(`GET ${path}: the answer is not JSON`, { status: 200, cause: err }));
        }
      });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })), opts.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(networkError(err, p.url.origin));
    });
    req.end();
  });
}

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** A full list, paged with `limit`/`continue`, with the resourceVersion to watch from. */
export async function kubeList<T extends KubeObject>(
  kc: KubeConfig,
  path: string,
  opts: RequestOptions & { fieldSelector?: string; labelSelector?: string; pageSize?: number },
): Promise<{ items: T[]; resourceVersion: string }> {
  const items: T[] = [];
  let resourceVersion = "";
  let token: string | undefined;
  do {
    const page = await kubeGetJson<ListPage<T>>(
      kc,
      path,
      { limit: String(opts.pageSize ?? 500), continue: token, fieldSelector: opts.fieldSelector, labelSelector: opts.labelSelector },
      opts,
    );
    for (const item of page.items ?? []) items.push(item);
    resourceVersion ||= page.metadata?.resourceVersion ?? "";
    token = page.metadata?.continue || undefined;
  } while (token);
  return { items, resourceVersion };
}

/** How a watch ended without an error. */
export type WatchEnd = "closed";

/**
 * Streams a watch: calls `onEvent` for every event line until the server closes the stream (resolves)
 * or the request fails (rejects with KubeRequestError; an ERROR event carries its Status code, 410
 * when the resourceVersion is too old). `stallMs` aborts a stream that stays silent that long.
 */
export async function kubeWatch<T extends KubeObject>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | undefined>,
  opts: { signal?: AbortSignal; connectTimeoutMs: number; stallMs: number; onEvent: (event: WatchEvent<T>) => void; onOpen?: () => void },
): Promise<WatchEnd> {
  const p = await prepare(kc, path, { ...query, watch: "1" });
  return new Promise<WatchEnd>((resolve, reject) => {
    let settled = false;
    let stallTimer: NodeJS.Timeout | undefined;
    const finish = (error?: KubeRequestError) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(stallTimer);
      if (error) reject(error);
      else resolve("closed");
    };
    const armStall = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => req.destroy(Object.assign(new Error(`the watch stayed silent for ${Math.round(opts.stallMs / 1000)} s`), { code: "ETIMEDOUT" })), opts.stallMs);
    };
    const req = p.transport.request(p.url, { ...p.options, signal: opts.signal }, (res) => {
      clearTimeout(connectTimer);
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), `watch ${path}`)));
        res.on("error", (err) => finish(networkError(err, p.url.origin)));
        return;
      }
      res.socket?.setKeepAlive(true, 30_000);
      opts.onOpen?.();
      armStall();
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        armStall();
        buffer += chunk;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
          if (!line) continue;
          let event: WatchEvent<T>;
          try {
            event = JSON.parse(line) as WatchEvent<T>;
          } catch {
            continue;
          }
          if (event.type === "ERROR") {
            const st = event.object as unknown as { code?: number; message?: string; reason?: string };
            req.destroy();
            finish(new KubeRequestError(st.message ?? `watch ${path}: error event`, { status: st.code ?? 500, reason: st.reason }));
            return;
          }
          try {
            opts.onEvent(event);
          } catch (err) {
            req.destroy();
            finish(new KubeRequestError(`watch ${path}: ${(err as Error).message}`, { status: 500, cause: err }));
            return;
          }
        }
      });
      res.on("end", () => finish());
      res.on("close", () => finish());
      res.on("error", (err) => finish(networkError(err, p.url.origin)));
    });
    const connectTimer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${opts.connectTimeoutMs} ms`), { code: "ETIMEDOUT" })),
      opts.connectTimeoutMs,
    );
    req.on("error", (err) => finish(networkError(err, p.url.origin)));
    req.end();
  });
}
