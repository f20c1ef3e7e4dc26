/**
 * The lab's configmap-reload: the monitoring ConfigMap in the cluster (the one holding
 * `prometheus.yml`, `monitoring/prometheus-config` in the fixture) is the source of the lab
 * Prometheus' rules. Every rule file its `prometheus.yml` lists under `rule_files` that is a key of
 * the ConfigMap (what the Deployment mounts beside `prometheus.yml`) is written to
 * `<labDir>/prometheus/rules/configmap/`, which the lab's `prometheus.yml` loads by glob, and
 * Prometheus is told `POST /-/reload` when they changed — what the configmap-reload sidecar does in
 * a real cluster. The scrape jobs stay the lab's own (the owner's use in-cluster service discovery,
 * which cannot reach the lab's processes). Runs as its own process (`prometheus-sync-main.ts`),
 * checking every 2 s; a merged pull request reaches it through the lab's Argo CD.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";

export interface SyncOptions {
  kubeconfig: string;
  namespace: string;
  /** Folder the rule files are written to (only `cm-*.yml` files there are the sync's). */
  rulesDir: string;
  prometheusUrl: string;
}

export interface SyncResult {
  /** The ConfigMap used (`namespace/name`), when one holds prometheus.yml. */
  configMap?: string;
  files: string[];
  changed: boolean;
  reloaded: boolean;
  error?: string;
}

/** Rule-file names `prometheus.yml` lists that are keys of the ConfigMap (globs matched against the keys). */
export function ruleKeysOf(prometheusYml: string, keys: readonly string[]): string[] {
  let doc: unknown;
  try {
    doc = parse(prometheusYml);
  } catch {
    return [];
  }
  const list = (doc as { rule_files?: unknown } | null)?.rule_files;
  if (!Array.isArray(list)) return [];
  const out = new Set<string>();
  for (const entry of list) {
    if (typeof entry !== "string") continue;
    const name = basename(entry);
    const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, ".")}$`);
    for (const k of keys) if (re.test(k)) out.add(k);
  }
  return [...out].sort();
}

const PREFIX = "cm-";

function hashDir(dir: string): string {
  const h = createHash("sha256");
  if (!existsSync(dir)) return "";
  for (const f of readdirSync(dir).filter((n) => n.startsWith(PREFIX)).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest("hex");
}

/** One pass: read the ConfigMap, write the rule files, reload Prometheus when they changed. */
export async function syncOnce(opts: SyncOptions, api?: CoreV1Api): Promise<SyncResult> {
  const kc = new KubeConfig();
  if (!api) {
    kc.loadFromFile(opts.kubeconfig);
    api = kc.makeApiClient(CoreV1Api);
  }
  const list = await api.listNamespacedConfigMap({ namespace: opts.namespace });
  const cm = list.items.find((c) => typeof c.data?.["prometheus.yml"] === "string");
  mkdirSync(opts.rulesDir, { recursive: true });
  const before = hashDir(opts.rulesDir);
  const wanted = new Map<string, string>();
  if (cm?.data) {
    for (const key of ruleKeysOf(cm.data["prometheus.yml"] ?? "", Object.keys(cm.data))) {
      if (key === "prometheus.yml") continue;
      wanted.set(`${PREFIX}${key.replace(/[^A-Za-z0-9._-]/g, "_")}${/\.ya?ml$/.test(key) ? "" : ".yml"}`, cm.data[key] ?? "");
    }
  }
  for (const f of readdirSync(opts.rulesDir)) if (f.startsWith(PREFIX) && !wanted.has(f)) rmSync(join(opts.rulesDir, f));
  for (const [f, text] of wanted) {
    const path = join(opts.rulesDir, f);
    if (existsSync(path) && readFileSync(path, "utf8") === text) continue;
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  const changed = hashDir(opts.rulesDir) !== before;
  let reloaded = false;
  let error: string | undefined;
  if (changed) {
    const res = await fetch(`${opts.prometheusUrl}/-/reload`, { method: "POST", signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    reloaded = res.ok;
    if (!res.ok) error = `Prometheus refused the reload: HTTP ${res.status} ${text.trim()}`;
  }
  return { configMap: cm ? `${opts.namespace}/${cm.metadata?.name ?? "?"}` : undefined, files: [...wanted.keys()], changed, reloaded, ...(error ? { error } : {}) };
}
