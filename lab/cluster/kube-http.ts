import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where and how to reach an API server. */
export interface KubeTarget {
  server: string;
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

/** An HTTP error answer of the API server. */
export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly method: string,
    readonly urlPath: string,
  ) {
    super(`${method} ${urlPath} -> ${status}: ${body.slice(0, 400)}`);
    this.name = 'KubeHttpError';
  }
}

/** How one kind is served: its REST path prefix and scope. */
export interface ResourceMapping {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  subresources: string[];
  verbs: string[];
}

interface RequestOptions {
  method?: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface ApiGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

/**
 * A small HTTPS client for the lab's API server (client certificate or bearer token).
 * Used by the lab scripts; tests use @kubernetes/client-node like the panel does.
 */
export class LabKubeClient {
  private readonly agent: https.Agent;
  private mappings: Map<string, ResourceMapping> | undefined;
  private watchAgent: https.Agent | undefined;

  constructor(readonly target: KubeTarget) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: target.ca,
      cert: target.cert,
      key: target.key,
    });
  }

  /** Admin client from the lab's certificate files. */
  static fromCertDir(server: string, certDir: string): LabKubeClient {
    return new LabKubeClient({
      server,
      ca: readFileSync(path.join(certDir, 'ca.crt')),
      cert: readFileSync(path.join(certDir, 'admin.crt')),
      key: readFileSync(path.join(certDir, 'admin.key')),
    });
  }

  /** Releases keep-alive sockets (watch connections included). */
  close(): void {
    this.agent.destroy();
    this.watchAgent?.destroy();
  }

  /**
   * Opens a watch (`?watch=1`) on a collection path and calls `onEvent` for every event line. Resolves
   * when the server ends the stream (its timeout, a restart); rejects on connection errors and on
   * HTTP errors (with the status). Watches use their own sockets so they never queue other requests.
   */
  watch(
    collectionPath: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: { type: string; object: Record<string, unknown> }) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.watchAgent ??= new https.Agent({ keepAlive: false, ca: this.target.ca, cert: this.target.cert, key: this.target.key });
    const url = new URL(collectionPath, this.target.server);
    for (const [k, v] of Object.entries({ ...query, watch: 1 })) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: 'GET', agent: this.watchAgent, headers, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeHttpError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), 'GET', url.pathname)));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl = buffered.indexOf('\n');
          while (nl >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line) {
              try {
                onEvent(JSON.parse(line) as { type: string; object: Record<string, unknown> });
              } catch (err) {
                req.destroy(err as Error);
                return;
              }
            }
            nl = buffered.indexOf('\n');
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        // A connection cut without an error (the API server stopped) ends the watch too.
        res.on('close', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Performs a request; resolves with the parsed JSON body, rejects with KubeHttpError on >= 400. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const { status, text } = await this.raw(opts);
    if (status >= 400) throw new KubeHttpError(status, text, opts.method ?? 'GET', opts.path);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Performs a request and returns status and body text without throwing on HTTP errors. */
  raw(opts: RequestOptions): Promise<{ status: number; text: string }> {
    const url = new URL(opts.path, this.target.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Node does not frame bodies of DELETE requests by default; without a length the server would
      // read the body as the next request on the keep-alive connection.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        { method: opts.method ?? 'GET', agent: this.agent, headers, timeout: opts.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms: ${url.pathname}`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Loads (or reloads) the discovery information: which kinds exist and where. */
  async discover(): Promise<Map<string, ResourceMapping>> {
    const map = new Map<string, ResourceMapping>();
    const add = (list: ApiResourceList, group: string, version: string, preferred: boolean) => {
      const subs = new Map<string, string[]>();
      for (const r of list.resources) {
        const [base, sub] = r.name.split('/');
        if (sub && base) subs.set(base, [...(subs.get(base) ?? []), sub]);
      }
      for (const r of list.resources) {
        if (r.name.includes('/')) continue;
        const m: ResourceMapping = {
          group,
          version,
          resource: r.name,
          kind: r.kind,
          namespaced: r.namespaced,
          subresources: subs.get(r.name) ?? [],
          verbs: r.verbs ?? [],
        };
        map.set(mappingKey(group ? `${group}/${version}` : version, r.kind), m);
        // Kind-only key resolves to the preferred version.
        if (preferred || !map.has(`*/${group}/${r.kind}`)) map.set(`*/${group}/${r.kind}`, m);
      }
    };
    const core = await this.request<ApiResourceList>({ path: '/api/v1' });
    add(core, '', 'v1', true);
    const groups = await this.request<ApiGroupList>({ path: '/apis' });
    const lists = await Promise.all(
      groups.groups.flatMap((g) =>
        g.versions.map(async (v) => ({
          g,
          v,
          list: await this.request<ApiResourceList>({ path: `/apis/${v.groupVersion}` }).catch(() => undefined),
        })),
      ),
    );
    for (const { g, v, list } of lists) {
      if (list) add(list, g.name, v.version, g.preferredVersion?.version === v.version);
    }
    this.mappings = map;
    return map;
  }

  /** Every served kind in its preferred version. */
  async preferredMappings(): Promise<ResourceMapping[]> {
    const map = this.mappings ?? (await this.discover());
    return [...map.entries()].filter(([k]) => k.startsWith('*/')).map(([, m]) => m);
  }

  /** The mapping of apiVersion+kind, or undefined when the API server does not serve it. */
  async mappingFor(apiVersion: string, kind: string): Promise<ResourceMapping | undefined> {
    const map = this.mappings ?? (await this.discover());
    return map.get(mappingKey(apiVersion, kind));
  }

  /** REST path of a collection (namespace undefined = all namespaces / cluster scope). */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const m = await this.mappingFor(apiVersion, kind);
    if (!m) throw new Error(`the API server does not serve ${apiVersion} ${kind}`);
    const base = m.group ? `/apis/${m.group}/${m.version}` : `/api/${m.version}`;
    return m.namespaced && namespace ? `${base}/namespaces/${namespace}/${m.resource}` : `${base}/${m.resource}`;
  }

  /** REST path of one object. */
  async objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    return `${await this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
  }

  /**
   * Server-side apply of one object with the given field manager (force = take ownership).
   * With `dryRun`, the API server validates and returns what the object would become, and stores nothing.
   */
  async apply<T extends KubeObject>(obj: T, fieldManager: string, subresource?: 'status', opts: { dryRun?: boolean } = {}): Promise<T> {
    const p = await this.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    return this.request<T>({
      method: 'PATCH',
      path: subresource ? `${p}/${subresource}` : p,
      query: { fieldManager, force: true, dryRun: opts.dryRun ? 'All' : undefined },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** JSON merge patch of an object or of its status subresource. */
  async mergePatch<T = KubeObject>(
    ref: { apiVersion: string; kind: string; name: string; namespace?: string },
    patch: unknown,
    opts: { subresource?: 'status'; fieldManager?: string } = {},
  ): Promise<T> {
    const p = await this.objectPath(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    return this.request<T>({
      method: 'PATCH',
      path: opts.subresource ? `${p}/${opts.subresource}` : p,
      query: { fieldManager: opts.fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /** GET one object; undefined when it does not exist. */
  async get<T = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    const p = await this.objectPath(apiVersion, kind, name, namespace);
    const { status, text } = await this.raw({ path: p });
    if (status === 404) return undefined;
    if (status >= 400) throw new KubeHttpError(status, text, 'GET', p);
    return JSON.parse(text) as T;
  }

  /** Lists objects (namespace undefined = all namespaces). */
  async list<T = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const p = await this.collectionPath(apiVersion, kind, opts.namespace);
    const res = await this.request<{ items: T[] }>({
      path: p,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
    return res.items;
  }

  /** Creates an object (POST to its collection). */
  async create<T extends KubeObject>(obj: T, fieldManager?: string): Promise<T> {
    const p = await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return this.request<T>({ method: 'POST', path: p, body: obj, query: { fieldManager } });
  }

  /** Deletes an object; resolves false when it did not exist. */
  async delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    opts: { gracePeriodSeconds?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {},
  ): Promise<boolean> {
    const p = await this.objectPath(apiVersion, kind, name, namespace);
    const { status, text } = await this.raw({
      method: 'DELETE',
      path: p,
      body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts },
    });
    if (status === 404) return false;
    if (status >= 400) throw new KubeHttpError(status, text, 'DELETE', p);
    return true;
  }
}

/** Key of the discovery map: "<group>/<version>/<kind>" (core: "v1/<kind>"). */
export function mappingKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** Splits an apiVersion into group and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
