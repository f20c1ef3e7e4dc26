import { parseAllDocuments } from "yaml";
import { AppError } from "@/lib/errors";
import { kustomizationIn } from "./kustomize";
import { dirOf, yamlFilesUnder, type RepoView } from "./repo-view";
import type { YamlPath } from "./yaml-file";

/** Workload kinds whose pods the panel can give probes to. */
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** An environment variable of a container as written in the manifest. */
export interface ManifestEnv {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** A container of a workload's pod template, as written in the repository. */
export interface ManifestContainer {
  index: number;
  name: string;
  image: string;
  ports: Array<{ name?: string; containerPort: number; protocol?: string }>;
  env: ManifestEnv[];
  args: string[];
  command: string[];
  readinessProbe: boolean;
  livenessProbe: boolean;
  startupProbe: boolean;
  /** Resource names with a request (`cpu`, `memory`). */
  requests: string[];
  /** Resource names with a limit. */
  limits: string[];
}

/** A Deployment, StatefulSet or DaemonSet found in a file of the repository. */
export interface ManifestWorkload {
  file: string;
  docIndex: number;
  kind: WorkloadKind;
  name: string;
  /** From the manifest, else from the kustomization of its folder; undefined when neither says. */
  namespace?: string;
  /** Labels of the pod template (what Services select). */
  podLabels: Record<string, string>;
  /** Path of the pod spec inside the document. */
  podSpecPath: YamlPath;
  containers: ManifestContainer[];
  initContainers: ManifestContainer[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
}

function containerOf(raw: unknown, index: number): ManifestContainer {
  const c = record(raw);
  return {
    index,
    name: text(c.name) ?? `#${index}`,
    image: text(c.image) ?? "",
    ports: list(c.ports).map((p) => {
      const port = record(p);
      return { name: text(port.name), containerPort: Number(port.containerPort), protocol: text(port.protocol) };
    }),
    env: list(c.env).map((e) => {
      const env = record(e);
      return { name: text(env.name) ?? "", value: text(env.value), valueFrom: env.valueFrom ? record(env.valueFrom) : undefined };
    }),
    args: list(c.args).map((a) => text(a) ?? ""),
    command: list(c.command).map((a) => text(a) ?? ""),
    readinessProbe: c.readinessProbe !== undefined && c.readinessProbe !== null,
    livenessProbe: c.livenessProbe !== undefined && c.livenessProbe !== null,
    startupProbe: c.startupProbe !== undefined && c.startupProbe !== null,
    requests: Object.keys(record(record(c.resources).requests)),
    limits: Object.keys(record(record(c.resources).limits)),
  };
}

/** Documents of a YAML file as plain values (unparseable files give none). */
export function documentsOf(source: string): unknown[] {
  try {
    return parseAllDocuments(source).flatMap((d) => (d.errors.length > 0 ? [null] : [d.toJS({ maxAliasCount: 100 }) as unknown]));
  } catch {
    return [];
  }
}

/** The `namespace:` a kustomization in `dir` sets, if any. */
export function kustomizationNamespace(repo: RepoView, dir: string): string | undefined {
  const k = kustomizationIn(repo, dir);
  if (!k) return undefined;
  return text(record(documentsOf(repo.read(k) ?? "")[0]).namespace);
}

/** Every workload in the YAML files under `dir`. */
export function findWorkloads(repo: RepoView, dir: string): ManifestWorkload[] {
  const out: ManifestWorkload[] = [];
  for (const file of yamlFilesUnder(repo, dir)) {
    const source = repo.read(file);
    if (source === undefined || !/\bkind:\s*(Deployment|StatefulSet|DaemonSet)\b/.test(source)) continue;
    documentsOf(source).forEach((raw, docIndex) => {
      const doc = record(raw);
      const kind = text(doc.kind);
      if (!WORKLOAD_KINDS.includes(kind as WorkloadKind)) return;
      const meta = record(doc.metadata);
      const template = record(record(doc.spec).template);
      const pod = record(template.spec);
      out.push({
        file,
        docIndex,
        kind: kind as WorkloadKind,
        name: text(meta.name) ?? "",
        namespace: text(meta.namespace) ?? kustomizationNamespace(repo, dirOf(file)),
        podLabels: Object.fromEntries(Object.entries(record(record(template.metadata).labels)).map(([k, v]) => [k, text(v) ?? ""])),
        podSpecPath: ["spec", "template", "spec"],
        containers: list(pod.containers).map(containerOf),
        initContainers: list(pod.initContainers).map(containerOf),
      });
    });
  }
  return out;
}

/**
 * The workload a target names: `namespace/name` or a bare `name` that only one workload has.
 * Returns the matches so the caller can say "none" or "several".
 */
export function matchWorkloads(workloads: readonly ManifestWorkload[], target: string): ManifestWorkload[] {
  const [ns, name] = target.includes("/") ? target.split("/", 2) : [undefined, target];
  const named = workloads.filter((w) => w.name === name);
  if (ns === undefined) return named;
  const exact = named.filter((w) => w.namespace === ns);
  // A manifest whose file and kustomization name no namespace gets it from the Application deploying
  // it (its destination): it is the workload of that name in any namespace, when none names this one.
  return exact.length > 0 ? exact : named.filter((w) => w.namespace === undefined);
}

/**
 * The one workload a change targets, under `dir`: not found and several matches are clear errors
 * naming where the panel looked and what it found.
 */
export function oneWorkload(repo: RepoView, dir: string, target: string): ManifestWorkload {
  const matches = matchWorkloads(findWorkloads(repo, dir), target);
  if (matches.length === 0) throw new AppError("not_found", `No Deployment, StatefulSet or DaemonSet named ${target} under ${dir}/ in the repository.`, { source: "gitops" });
  if (matches.length > 1) {
    throw new AppError("invalid_input", `${target} names ${matches.length} workloads (${matches.map((w) => `${w.namespace ?? "?"}/${w.name} in ${w.file}`).join(", ")}); name it as namespace/name.`, { source: "gitops" });
  }
  return matches[0] as ManifestWorkload;
}

/** A Service found in the repository. */
export interface ManifestService {
  file: string;
  name: string;
  namespace?: string;
  selector: Record<string, string>;
  ports: Array<{ name?: string; port: number; targetPort?: number | string }>;
}

/** Every Service in the YAML files under `dir`. */
export function findServices(repo: RepoView, dir: string): ManifestService[] {
  const out: ManifestService[] = [];
  for (const file of yamlFilesUnder(repo, dir)) {
    const source = repo.read(file);
    if (source === undefined || !/\bkind:\s*Service\b/.test(source)) continue;
    for (const raw of documentsOf(source)) {
      const doc = record(raw);
      if (doc.kind !== "Service") continue;
      const meta = record(doc.metadata);
      const spec = record(doc.spec);
      out.push({
        file,
        name: text(meta.name) ?? "",
        namespace: text(meta.namespace) ?? kustomizationNamespace(repo, dirOf(file)),
        selector: Object.fromEntries(Object.entries(record(spec.selector)).map(([k, v]) => [k, text(v) ?? ""])),
        ports: list(spec.ports).map((p) => {
          const port = record(p);
          const target = port.targetPort;
          return { name: text(port.name), port: Number(port.port), targetPort: typeof target === "number" || typeof target === "string" ? target : undefined };
        }),
      });
    }
  }
  return out;
}

/** A ConfigMap's `data` value, looked up by name and namespace under `dir`. */
export function configMapValue(repo: RepoView, dir: string, ref: { name: string; key: string; namespace?: string }): string | undefined {
  for (const file of yamlFilesUnder(repo, dir)) {
    const source = repo.read(file);
    if (source === undefined || !source.includes(ref.name)) continue;
    for (const raw of documentsOf(source)) {
      const doc = record(raw);
      const meta = record(doc.metadata);
      if (doc.kind !== "ConfigMap" || meta.name !== ref.name) continue;
      const ns = text(meta.namespace) ?? kustomizationNamespace(repo, dirOf(file));
      if (ref.namespace !== undefined && ns !== undefined && ns !== ref.namespace) continue;
      const value = record(doc.data)[ref.key];
      if (typeof value === "string") return value;
    }
  }
  return undefined;
}
