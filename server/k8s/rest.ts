import "server-only";
import { collectBody, describeBytes, MAX_RESPONSE_BYTES } from "@/server/net/body-limit";
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError, type ErrorCode } from "@/lib/errors";
import type { KubeObject } from "@/lib/k8s/types";
import type { WatchEvent } from "@/lib/k8s/watch";

/**
 * The one way the panel reaches the Kubernetes API: GET, list and watch over the API server's REST
 * paths (and the server-side apply of a status subresource, the panel's one kind of write) with the credentials, CA and proxy of a client-node KubeConfig (client-node is used for
 * loading credentials only). Answers are parsed at this edge with zod, for the fields the callers
 * use; every failure is an `AppError` (source `kubernetes`) whose cause is the API server's answer
 * ({@link KubeAnswer}: its HTTP status and `Status.reason`, or the network error).
 */

/** What the API server answered (the cause of a Kubernetes AppError). */
export interface KubeAnswer {
  /** HTTP status; 0 when no answer came back (down, refused, reset, timed out, TLS failure). */
  status: number;
  /** `Status.reason` (Forbidden, NotFound, Gone, Expired...). */
  reason?: string;
  /** Node's error code of a network failure (ECONNREFUSED, ECONNRESET, ETIMEDOUT...). */
  networkCode?: string;
}

function codeOf(answer: KubeAnswer): ErrorCode {
  if (answer.status === 0) return answer.networkCode === "ETIMEDOUT" ? "timeout" : "unreachable";
  if (answer.status === 401) return "unauthorized";
  if (answer.status === 403) return "forbidden";
  if (answer.status === 404) return "not_found";
  // 409 Conflict, 410 Gone/Expired (a watch's resourceVersion is too old).
  if (answer.status === 409 || answer.status === 410) return "conflict";
  if (answer.status === 429) return "rate_limited";
  if (answer.status === 504) return "timeout";
  if (answer.status >= 500) return "unreachable";
  return "invalid_response";
}

/** A Kubernetes AppError from an answer. */
export function kubeError(message: string, answer: KubeAnswer): AppError {
  return new AppError(codeOf(answer), message, { source: "kubernetes", cause: answer });
}

/** The API server's answer behind an error of this module, if it is one. */
export function kubeAnswerOf(error: unknown): KubeAnswer | undefined {
  if (!(error instanceof AppError) || error.source !== "kubernetes") return undefined;
  const cause = error.cause as Partial<KubeAnswer> | undefined;
  return typeof cause?.status === "number" ? (cause as KubeAnswer) : undefined;
}

/** True when the API server did not answer at all or refused the panel's credentials (the cluster is unreachable for the panel). */
export function isKubeUnreachable(error: unknown): boolean {
  const answer = kubeAnswerOf(error);
  return answer === undefined || answer.status === 0 || answer.status === 401;
}

interface Prepared {
  url: URL;
  options: http.RequestOptions;
  transport: typeof http | typeof https;
}

async function prepare(kc: KubeConfig, path: string, query: Record<string, string | undefined>, write?: { contentType: string }): Promise<Prepared> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw kubeError("no current cluster in the kubeconfig", { status: 0 });
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const opts: https.RequestOptions & { headers?: Record<string, string | string[] | number> } = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = { Accept: "application/json" };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  if (write) headers["Content-Type"] = write.contentType;
  return {
    url,
    // The one write method of this module: server-side apply of a status subresource (kubeApplyStatus).
    options: { method: write ? "PATCH" : "GET", headers, agent: opts.agent },
    transport: url.protocol === "http:" ? http : https,
  };
}

function networkError(error: unknown, server: string): AppError {
  const e = error as NodeJS.ErrnoException;
  const code = e.code ?? (e.name === "AbortError" ? "ABORTED" : undefined);
  const detail = e.message?.split("\n")[0] ?? String(error);
  return kubeError(`cannot reach the Kubernetes API at ${server}: ${detail}`, { status: 0, ...(code ? { networkCode: code } : {}) });
}

function statusError(status: number, body: string, what: string): AppError {
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
  return kubeError(message, { status, ...(reason ? { reason } : {}) });
}

/** Options of one request. */
export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** GET of a path answering JSON, parsed with `schema`; rejects with a Kubernetes AppError. */
export async function kubeGet<T>(kc: KubeConfig, path: string, schema: z.ZodType<T>, opts: RequestOptions & { query?: Record<string, string | undefined> }): Promise<T> {
  const p = await prepare(kc, path, opts.query ?? {});
  return new Promise<T>((resolve, reject) => {
    const req = p.transport.request(p.url, { ...p.options, signal: opts.signal }, (res) => {
      res.on("error", (err) => reject(networkError(err, p.url.origin)));
      collectBody(res, MAX_RESPONSE_BYTES, (tooLarge, buffer) => {
        clearTimeout(timer);
        if (tooLarge) return reject(kubeError(`GET ${path}: the answer is larger than ${describeBytes(tooLarge.limit)}; the panel stopped reading it`, { status: 200 }));
        const body = buffer.toString("utf8");
        if (res.statusCode !== 200) return reject(statusError(res.statusCode ?? 0, body, `GET ${path}`));
        let raw: unknown;
        try {
          raw = JSON.parse(body);
        } catch {
          return reject(kubeError(`GET ${path}: the answer is not JSON`, { status: 200 }));
        }
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return reject(kubeError(`GET ${path}: unexpected answer (${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"})`, { status: 200 }));
        }
        resolve(parsed.data);
      }, () => req.destroy());
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })), opts.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(networkError(err, p.url.origin));
    });
    req.end();
  });
}

/**
 * Server-side apply of an object's `status` subresource (`PATCH <path>?fieldManager=...&force=true`,
 * `application/apply-patch+yaml`): the fields in `body` become the panel's, the rest of the status is
 * left to its owners (list-map entries such as conditions merge by key). The panel's one kind of
 * cluster write (server/k8s/kinds.ts, CLUSTER_WRITES); `path` must end in `/status`. Resolves with
 * the object as the API server answers it, parsed with `schema`.
 */
export async function kubeApplyStatus<T>(
  kc: KubeConfig,
  path: string,
  body: Record<string, unknown>,
  schema: z.ZodType<T>,
  opts: RequestOptions & { fieldManager: string },
): Promise<T> {
  if (!path.endsWith("/status")) throw kubeError(`refused to write ${path}: only status subresources are written`, { status: 0 });
  const p = await prepare(kc, path, { fieldManager: opts.fieldManager, force: "true" }, { contentType: "application/apply-patch+yaml" });
  const payload = JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = p.transport.request(p.url, { ...p.options, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (err) => reject(networkError(err, p.url.origin)));
      res.on("end", () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200 && res.statusCode !== 201) return reject(statusError(res.statusCode ?? 0, text, `PATCH ${path}`));
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          return reject(kubeError(`PATCH ${path}: the answer is not JSON`, { status: res.statusCode ?? 200 }));
        }
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return reject(kubeError(`PATCH ${path}: unexpected answer`, { status: res.statusCode ?? 200 }));
        resolve(parsed.data);
      });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })), opts.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(networkError(err, p.url.origin));
    });
    req.end(payload);
  });
}

/**
 * The only writes the panel makes to the cluster (configuration goes through Git): creating a Job
 * derived from a backup CronJob, and deleting the pod of a service being restored (its UID as a
 * precondition, so exactly that pod goes). deploy/backups.yaml grants them in the namespaces that
 * hold backups, and its admission policies narrow them further; `server/git/cluster-writes.test.ts`
 * keeps every other write out of the code.
 */
export type KubeWrite =
  | { kind: "create-job"; namespace: string; body: Record<string, unknown> }
  | { kind: "delete-pod"; namespace: string; name: string; uid: string };

const writtenSchema = z.object({ metadata: z.object({ name: z.string().optional(), uid: z.string().optional() }).loose().optional() }).loose();

/** Sends one of the panel's writes; resolves with the API server's answer (the Job created, the pod's status). */
export async function kubeWrite(kc: KubeConfig, write: KubeWrite, opts: RequestOptions): Promise<z.infer<typeof writtenSchema>> {
  const ns = encodeURIComponent(write.namespace);
  const { path, method, body, what } =
    write.kind === "create-job"
      ? { path: `/apis/batch/v1/namespaces/${ns}/jobs`, method: "POST" as const, body: write.body, what: `create a Job in ${write.namespace}` }
      : {
          path: `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(write.name)}`,
          method: "DELETE" as const,
          body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: write.uid } },
          what: `delete pod ${write.namespace}/${write.name}`,
        };
  const p = await prepare(kc, path, {});
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = { ...(p.options.headers as Record<string, string>), "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) };
    const req = p.transport.request(p.url, { ...p.options, method, headers, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (err) => reject(networkError(err, p.url.origin)));
      res.on("end", () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) return reject(statusError(res.statusCode ?? 0, text, what));
        try {
          const parsed = writtenSchema.safeParse(JSON.parse(text));
          resolve(parsed.success ? parsed.data : {});
        } catch {
          resolve({});
        }
      });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })), opts.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(networkError(err, p.url.origin));
    });
    req.end(payload);
  });
}

/** The identity of an object, checked on everything the informers cache; the rest passes through untouched. */
const kubeObjectSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: z
      .object({ name: z.string().optional(), namespace: z.string().optional(), uid: z.string().optional(), resourceVersion: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

const listPageSchema = z.object({
  items: z.array(kubeObjectSchema).nullish(),
  metadata: z.object({ resourceVersion: z.string().optional(), continue: z.string().optional() }).loose().optional(),
});

const statusSchema = z.object({ code: z.number().optional(), message: z.string().optional(), reason: z.string().optional() }).loose();

const watchEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]), object: kubeObjectSchema }),
  z.object({ type: z.literal("ERROR"), object: statusSchema }),
]);

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
    const page = await kubeGet(kc, path, listPageSchema, {
      ...opts,
      // Pages of 200 keep each answer well under the body ceiling (a full Pod is 5-15 KB).
      query: { limit: String(opts.pageSize ?? 200), continue: token, fieldSelector: opts.fieldSelector, labelSelector: opts.labelSelector },
    });
    // The objects' identity is checked above; the kind-specific fields are read defensively by lib/k8s.
    for (const item of page.items ?? []) items.push(item as T);
    resourceVersion ||= page.metadata?.resourceVersion ?? "";
    token = page.metadata?.continue || undefined;
  } while (token);
  return { items, resourceVersion };
}

/** How a watch ended without an error. */
export type WatchEnd = "closed";

/**
 * Streams a watch: calls `onEvent` for every event line until the server closes the stream (resolves)
 * or the request fails (rejects with a Kubernetes AppError; an ERROR event carries its Status code,
 * 410 when the resourceVersion is too old). `stallMs` aborts a stream that stays silent that long.
 * A line that is not a watch event is skipped.
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
    const finish = (error?: AppError) => {
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
        const status = res.statusCode ?? 0;
        collectBody(res, MAX_RESPONSE_BYTES, (_tooLarge, body) => finish(statusError(status, body.toString("utf8"), `watch ${path}`)), () => req.destroy());
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
        // One event is one line: a line that grows past the ceiling is not an object the panel reads.
        if (buffer.length > MAX_RESPONSE_BYTES && buffer.indexOf("\n") < 0) {
          req.destroy();
          finish(kubeError(`watch ${path}: one event is larger than ${describeBytes(MAX_RESPONSE_BYTES)}; the panel stopped reading it`, { status: 200 }));
          return;
        }
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
          if (!line) continue;
          let raw: unknown;
          try {
            raw = JSON.parse(line);
          } catch {
            continue;
          }
          const parsed = watchEventSchema.safeParse(raw);
          if (!parsed.success) continue;
          const event = parsed.data;
          if (event.type === "ERROR") {
            const st = event.object;
            req.destroy();
            finish(kubeError(st.message ?? `watch ${path}: error event`, { status: st.code ?? 500, ...(st.reason ? { reason: st.reason } : {}) }));
            return;
          }
          try {
            opts.onEvent({ type: event.type, object: event.object as T });
          } catch (err) {
            req.destroy();
            finish(kubeError(`watch ${path}: ${(err as Error).message}`, { status: 500 }));
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

/**
 * GET of a path answering text (`pods/log`), at most `maxBytes` of it (the rest is dropped and
 * `truncated` set); rejects with a Kubernetes AppError like {@link kubeGet}.
 */
export async function kubeGetText(
  kc: KubeConfig,
  path: string,
  opts: RequestOptions & { query?: Record<string, string | undefined>; maxBytes?: number },
): Promise<{ text: string; truncated: boolean }> {
  const p = await prepare(kc, path, opts.query ?? {});
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = p.transport.request(p.url, { ...p.options, headers: { ...p.options.headers, Accept: "text/plain, */*" }, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      res.on("data", (c: Buffer) => {
        if (size >= maxBytes) {
          truncated = true;
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      res.on("error", (err) => reject(networkError(err, p.url.origin)));
      res.on("end", () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(statusError(res.statusCode ?? 0, body.toString("utf8"), `GET ${path}`));
        resolve({ text: body.subarray(0, maxBytes).toString("utf8"), truncated: truncated || body.length > maxBytes });
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

/**
 * Streams a text answer line by line (`pods/log?follow=true`): calls `onLine` for each complete
 * line until the server ends the answer (resolves) or the request fails or is aborted (rejects
 * with a Kubernetes AppError; an abort through `signal` resolves).
 */
export async function kubeStreamLines(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | undefined>,
  opts: { signal?: AbortSignal; connectTimeoutMs: number; onLine: (line: string) => void },
): Promise<void> {
  const p = await prepare(kc, path, query);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      if (error && !opts.signal?.aborted) reject(error);
      else resolve();
    };
    const req = p.transport.request(p.url, { ...p.options, headers: { ...p.options.headers, Accept: "text/plain, */*" }, signal: opts.signal }, (res) => {
      clearTimeout(connectTimer);
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), `GET ${path}`)));
        res.on("error", (err) => finish(networkError(err, p.url.origin)));
        return;
      }
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          opts.onLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
        }
      });
      res.on("end", () => {
        if (buffer !== "") opts.onLine(buffer);
        finish();
      });
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
