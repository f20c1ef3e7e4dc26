import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { arr, rec, str } from "./values";

/** A Kubernetes object read from the GitOps repo, with the file it came from. */
export interface ManifestObject {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string | undefined;
  body: Record<string, unknown>;
  file: string;
}

/** One `host + path -> service` rule of an Ingress. */
export interface IngressRoute {
  host: string;
  path: string;
  pathType: "Prefix" | "Exact" | "ImplementationSpecific";
  namespace: string;
  ingress: string;
  service: string;
  servicePort: number | string | undefined;
  annotations: Record<string, string>;
  /** The rule's host is listed under `spec.tls`. */
  tls: boolean;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      if (entry.startsWith(".")) continue;
      const p = join(d, entry);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The namespace a kustomization in `dir` (or a parent up to `root`) forces, if any. */
function kustomizeNamespace(root: string, fileDir: string): string | undefined {
  let d = fileDir;
  for (;;) {
    for (const name of ["kustomization.yaml", "kustomization.yml"]) {
      const k = join(d, name);
      if (existsSync(k)) {
        try {
          const doc = parseAllDocuments(readFileSync(k, "utf8"))[0]?.toJS() as unknown;
          const ns = str(rec(doc).namespace);
          if (ns !== undefined) return ns;
        } catch {
          // Unparseable kustomization: no namespace from it.
        }
      }
    }
    if (relative(root, d) === "" || !d.startsWith(root)) return undefined;
    d = join(d, "..");
  }
}

/** Every Kubernetes object in the YAML files under `dir` (files that do not parse are skipped). */
export function loadManifests(dir: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const file of yamlFiles(dir)) {
    let docs: unknown[];
    try {
      docs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as unknown);
    } catch {
      continue;
    }
    for (const doc of docs) {
      const body = rec(doc);
      const kind = str(body.kind);
      const apiVersion = str(body.apiVersion);
      const meta = rec(body.metadata);
      const name = str(meta.name);
      if (kind === undefined || apiVersion === undefined || name === undefined) continue;
      const namespace = str(meta.namespace) ?? kustomizeNamespace(dir, join(file, ".."));
      objects.push({ kind, apiVersion, name, namespace, body, file: relative(dir, file) });
    }
  }
  return objects;
}

/** All Ingress rules, in file order. */
export function ingressRoutes(objects: ManifestObject[]): IngressRoute[] {
  const routes: IngressRoute[] = [];
  for (const o of objects) {
    if (o.kind !== "Ingress") continue;
    const spec = rec(o.body.spec);
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec(rec(o.body.metadata).annotations))) {
      if (typeof v === "string") annotations[k] = v;
    }
    const tlsHosts = new Set(arr(spec.tls).flatMap((t) => arr(rec(t).hosts).filter((h): h is string => typeof h === "string")));
    for (const rule of arr(spec.rules)) {
      const host = str(rec(rule).host);
      if (host === undefined) continue;
      for (const p of arr(rec(rec(rule).http).paths)) {
        const pr = rec(p);
        const svc = rec(rec(pr.backend).service);
        const service = str(svc.name);
        if (service === undefined) continue;
        const port = rec(svc.port);
        const pathType = str(pr.pathType);
        routes.push({
          host,
          path: str(pr.path) ?? "/",
          pathType: pathType === "Exact" || pathType === "ImplementationSpecific" ? pathType : "Prefix",
          namespace: o.namespace ?? "default",
          ingress: o.name,
          service,
          servicePort: typeof port.number === "number" ? port.number : str(port.name),
          annotations,
          tls: tlsHosts.has(host),
        });
      }
    }
  }
  return routes;
}

/** Ingress hosts, the one with the most routes first. */
export function ingressHosts(routes: IngressRoute[]): string[] {
  const count = new Map<string, number>();
  for (const r of routes) count.set(r.host, (count.get(r.host) ?? 0) + 1);
  return [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length || a[0].localeCompare(b[0])).map(([h]) => h);
}

function podTemplateOf(o: ManifestObject): Record<string, unknown> | undefined {
  if (!["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind)) return undefined;
  return rec(rec(o.body.spec).template);
}

/**
 * `<service>.<namespace>` of every Service that selects a workload running an image matching
 * `image` (e.g. /qbittorrent/ finds the user's qBittorrent Service, whatever it is called).
 */
export function servicesForImage(objects: ManifestObject[], image: RegExp): string[] {
  const found: string[] = [];
  for (const svc of objects) {
    if (svc.kind !== "Service") continue;
    const selector = rec(rec(svc.body.spec).selector);
    const selEntries = Object.entries(selector);
    if (selEntries.length === 0) continue;
    const match = objects.some((w) => {
      const tpl = podTemplateOf(w);
      if (tpl === undefined || w.namespace !== svc.namespace) return false;
      const labels = rec(rec(tpl.metadata).labels);
      if (!selEntries.every(([k, v]) => labels[k] === v)) return false;
      return arr(rec(tpl.spec).containers).some((c) => image.test(str(rec(c).image) ?? ""));
    });
    if (match) found.push(`${svc.name}.${svc.namespace ?? "default"}`);
  }
  return found;
}

/** Workloads (Deployments, StatefulSets, DaemonSets) with a container whose image matches. */
export function workloadsForImage(objects: ManifestObject[], image: RegExp): { namespace: string; name: string; template: Record<string, unknown> }[] {
  const found: { namespace: string; name: string; template: Record<string, unknown> }[] = [];
  for (const w of objects) {
    const tpl = podTemplateOf(w);
    if (tpl === undefined) continue;
    if (arr(rec(tpl.spec).containers).some((c) => image.test(str(rec(c).image) ?? ""))) found.push({ namespace: w.namespace ?? "default", name: w.name, template: tpl });
  }
  return found;
}

/** Git sources referenced by Argo CD Applications and ApplicationSets. */
export interface ArgoSource {
  repoURL: string;
  targetRevision: string;
  from: string;
}

export function argoSources(objects: ManifestObject[]): ArgoSource[] {
  const out: ArgoSource[] = [];
  const push = (src: unknown, from: string): void => {
    const s = rec(src);
    const repoURL = str(s.repoURL);
    if (repoURL === undefined) return;
    out.push({ repoURL, targetRevision: str(s.targetRevision) ?? "HEAD", from });
  };
  for (const o of objects) {
    let spec: Record<string, unknown> | undefined;
    if (o.kind === "Application") spec = rec(o.body.spec);
    else if (o.kind === "ApplicationSet") spec = rec(rec(rec(o.body.spec).template).spec);
    if (spec === undefined) continue;
    push(spec.source, `${o.kind}/${o.name}`);
    for (const s of arr(spec.sources)) push(s, `${o.kind}/${o.name}`);
  }
  return out;
}

/** `owner` and `repo` of a GitHub-style URL (`git@host:o/r.git`, `https://host/o/r.git`). */
export function parseRepoUrl(url: string): { host: string; owner: string; repo: string } | undefined {
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)[:/]+([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  if (m === null) return undefined;
  const [, host, owner, repo] = m;
  if (host === undefined || owner === undefined || repo === undefined) return undefined;
  return { host, owner, repo };
}

/** The branch named in the repo's `SOURCE.md` ("... on the `live` branch ..."), if any. */
export function sourceBranch(dir: string): string | undefined {
  const file = join(dir, "SOURCE.md");
  if (!existsSync(file)) return undefined;
  const m = /`([\w./-]+)` branch/.exec(readFileSync(file, "utf8"));
  return m?.[1];
}
