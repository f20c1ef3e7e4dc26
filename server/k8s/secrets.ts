import "server-only";
import { isAbortError, kubeCallOptions } from "./abort";
import { ApiException, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { getKubeConfig } from "./client";

/**
 * Reads keys of Secrets (the apps' API keys) by name only: the panel's Role grants `get` on named
 * Secrets and nothing else, so nothing here lists Secrets. Values are cached for 60 s per Secret and
 * never logged; failures are AppErrors (`forbidden` with the RBAC hint, `not_found`, `unreachable`,
 * `timeout`) cached for 10 s so a missing Secret does not hammer the API server.
 */

const VALUE_TTL_MS = 60_000;
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
    const api = this.kc.makeApiClient(CoreV1Api);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const secret = await api.readNamespacedSecret({ namespace, name }, kubeCallOptions(timeoutMs));
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
      for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
      return out;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (isAbortError(error)) throw new AppError("timeout", `Reading Secret ${id} took longer than ${timeoutMs} ms.`, { source: "kubernetes", cause: error });
      if (error instanceof ApiException) {
        if (error.code === 403) {
          throw new AppError(
            "forbidden",
            `The panel may not read Secret ${id} (RBAC): grant "get" on secrets with resourceNames [${name}] in namespace ${namespace} to the panel's ServiceAccount (deploy/rbac.yaml), or point apps.secretRefs at a Secret it may read.`,
            { source: "kubernetes", cause: error },
          );
        }
        if (error.code === 404) throw new AppError("not_found", `Secret ${id} does not exist.`, { source: "kubernetes", cause: error });
        if (error.code === 401) throw new AppError("unauthorized", `The Kubernetes API refused the panel's credentials (HTTP 401) reading Secret ${id}.`, { source: "kubernetes", cause: error });
        throw new AppError("unreachable", `Cannot read Secret ${id}: the Kubernetes API answered HTTP ${error.code}.`, { source: "kubernetes", cause: error });
      }
      const reason = ((error as Error).message ?? String(error)).split("\n")[0];
      throw new AppError("unreachable", `Cannot read Secret ${id}: ${reason}`, { source: "kubernetes", cause: error });
    }
  }
}

const holder = globalThis as typeof globalThis & { __panelSecretReader?: SecretReader };

function reader(): SecretReader {
  if (holder.__panelSecretReader) return holder.__panelSecretReader;
  let kc: KubeConfig | null = null;
  try {
    kc = getKubeConfig();
  } catch {
    kc = null;
  }
  holder.__panelSecretReader = new SecretReader(kc, { timeoutMs: getConfig().kubernetes.requestTimeoutMs });
  return holder.__panelSecretReader;
}

/**
 * The value of `key` in Secret `namespace/name` (get by name, cached 60 s), or undefined when the
 * Secret lacks the key. Throws AppError: `forbidden` (RBAC, with the fix), `not_found`, `unreachable`,
 * `unauthorized`, `timeout`. Never log the value.
 */
export function readSecretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
  return reader().readSecretValue(namespace, name, key);
}

/** Forgets cached Secret values (after a change in Settings; tests). */
export function clearSecretCache(): void {
  holder.__panelSecretReader?.clear();
}
