import "server-only";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { kubeAnswerOf, kubeGet } from "./rest";

/**
 * Reads keys of Secrets (the apps' API keys) by name only: the panel's Role grants `get` on named
 * Secrets and nothing else, so nothing here lists Secrets. Values are cached for 60 s per Secret and
 * never logged; failures are AppErrors (`forbidden` with the RBAC hint, `not_found`, `unreachable`,
 * `timeout`) cached for 10 s so a missing Secret does not hammer the API server.
 */

const VALUE_TTL_MS = 60_000;

/** The fields of a Secret the panel reads. */
const secretSchema = z.object({ data: z.record(z.string(), z.string()).nullish(), stringData: z.record(z.string(), z.string()).nullish() }).loose();
const ERROR_TTL_MS = 10_000;

interface Entry {
  at: number;
  ttl: number;
  promise: Promise<Record<string, string>>;
}

export interface SecretReaderOptions {
  /** Timeout of one read (ms). */
  timeoutMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** A cached reader of Secret values over one KubeConfig (null: Kubernetes not configured). */
export class SecretReader {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly kc: KubeConfig | null,
    private readonly options: SecretReaderOptions = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The value of `key` in Secret `namespace/name`, or undefined when the Secret has no such key. */
  async readSecretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
    const data = await this.readSecret(namespace, name);
    return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : undefined;
  }

  /** Every key and value of Secret `namespace/name` (the same cached read). */
  async readSecretData(namespace: string, name: string): Promise<Readonly<Record<string, string>>> {
    return { ...(await this.readSecret(namespace, name)) };
  }

  /** Forgets cached values (all, or one Secret). */
  clear(namespace?: string, name?: string): void {
    if (namespace && name) this.cache.delete(`${namespace}/${name}`);
    else this.cache.clear();
  }

  private readSecret(namespace: string, name: string): Promise<Record<string, string>> {
    const id = `${namespace}/${name}`;
    const hit = this.cache.get(id);
    if (hit && this.now() - hit.at < hit.ttl) return hit.promise;
    const entry: Entry = { at: this.now(), ttl: VALUE_TTL_MS, promise: this.fetch(namespace, name) };
    entry.promise.catch(() => {
      entry.ttl = ERROR_TTL_MS;
    });
    this.cache.set(id, entry);
    return entry.promise;
  }

  private async fetch(namespace: string, name: string): Promise<Record<string, string>> {
    const id = `${namespace}/${name}`;
    if (!this.kc) throw new AppError("unreachable", `Cannot read Secret ${id}: Kubernetes is not configured.`, { source: "kubernetes" });
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let secret: z.infer<typeof secretSchema>;
    try {
      secret = await kubeGet(this.kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, secretSchema, { timeoutMs });
    } catch (error) {
      const status = kubeAnswerOf(error)?.status;
      const cause = { source: "kubernetes", cause: error };
      if (status === 403) {
        throw new AppError(
          "forbidden",
          `The panel may not read Secret ${id} (RBAC): grant "get" on secrets with resourceNames [${name}] in namespace ${namespace} to the panel's ServiceAccount (deploy/rbac.yaml), or point apps.secretRefs at a Secret it may read.`,
          cause,
        );
      }
      if (status === 404) throw new AppError("not_found", `Secret ${id} does not exist.`, cause);
      if (status === 401) throw new AppError("unauthorized", `The Kubernetes API refused the panel's credentials (HTTP 401) reading Secret ${id}.`, cause);
      if (status === 0 && error instanceof AppError && error.code === "timeout") throw new AppError("timeout", `Reading Secret ${id} took longer than ${timeoutMs} ms.`, cause);
      const reason = status ? `the Kubernetes API answered HTTP ${status}` : error instanceof AppError ? error.message : "the request failed";
      throw new AppError("unreachable", `Cannot read Secret ${id}: ${reason}.`, cause);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
    for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
    return out;
  }
}
