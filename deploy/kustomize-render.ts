/**
 * Renders the kustomize base in `deploy/` for the tests: with a real `kustomize` binary when one is
 * available, otherwise with a small resolver that implements exactly the kustomization features the
 * base uses (resources, a NamespaceTransformer, labels, configMapGenerator with kustomize's
 * content-hash suffix and name references, images). Any other feature makes the resolver throw, so
 * the fallback can never silently render something different from kustomize; when the binary is
 * present the tests check that both renders are identical.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

/** A plain JSON object parsed from YAML. */
export type JsonObject = { [key: string]: unknown };

/** A Kubernetes object as rendered: only the fields every object has are typed. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** Which way a render was produced, for the test log. */
export type RenderMethod = { kind: "kustomize"; binary: string } | { kind: "fallback"; reason: string };

/** True for a non-null, non-array object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns `value` as an array of objects, or an empty array when it is absent. */
export function objectList(value: unknown): JsonObject[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  return value.map((item) => {
    if (!isJsonObject(item)) throw new Error(`expected a list of objects, got ${JSON.stringify(item)}`);
    return item;
  });
}

/** Returns `value` as an array of strings, or an empty array when it is absent. */
export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
    throw new Error(`expected a list of strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

function asKubeObject(value: unknown, source: string): KubeObject {
  if (
    !isJsonObject(value) ||
    typeof value.apiVersion !== "string" ||
    typeof value.kind !== "string" ||
    !isJsonObject(value.metadata) ||
    typeof value.metadata.name !== "string"
  ) {
    throw new Error(`${source}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
  }
  return value as KubeObject;
}

/**
 * Parses every document of a YAML file (empty documents are skipped). Throws with the file name on a
 * syntax error or a duplicate key.
 */
export function readYamlDocuments(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new Error(`${file}: ${problem.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Parses a manifest file into Kubernetes objects. */
export function readManifests(file: string): KubeObject[] {
  return readYamlDocuments(file).map((doc, i) => asKubeObject(doc, `${file} document ${i + 1}`));
}

/** `Kind/namespace/name` (namespace empty for cluster-scoped objects): unique within a render. */
export function objectId(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

/**
 * Finds a kustomize binary: `KUSTOMIZE_BIN`, else the newest `<cache>/bin/kustomize-*` built by
 * lab/cluster/build-binaries.sh, where `<cache>` is `$K8S_NAS_PANEL_CACHE` or
 * `${XDG_CACHE_HOME:-$HOME/.cache}/k8s-nas-panel`. A `KUSTOMIZE_BIN` that does not exist is an error.
 */
export function findKustomizeBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KUSTOMIZE_BIN) {
    if (!existsSync(env.KUSTOMIZE_BIN)) throw new Error(`KUSTOMIZE_BIN=${env.KUSTOMIZE_BIN} does not exist`);
    return resolve(env.KUSTOMIZE_BIN);
  }
  const cache = env.K8S_NAS_PANEL_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "k8s-nas-panel");
  const binDir = join(cache, "bin");
  if (!existsSync(binDir)) return null;
  const candidates = readdirSync(binDir)
    .filter((name) => name.startsWith("kustomize-"))
    .map((name) => join(binDir, name))
    .filter((path) => statSync(path).isFile());
  candidates.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return candidates.at(-1) ?? null;
}

/** Runs `kustomize build <dir>` and parses its output. */
export function kustomizeBuild(binary: string, dir: string): KubeObject[] {
  const stdout = execFileSync(binary, ["build", dir], { encoding: "utf8", timeout: 60_000 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc, i) => asKubeObject(doc, `kustomize output document ${i + 1}`));
}

/** Renders `dir` with kustomize when a binary is found, else with {@link renderKustomization}. */
export function renderDeployDir(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): { objects: KubeObject[]; method: RenderMethod } {
  const binary = findKustomizeBinary(env);
  if (binary) return { objects: kustomizeBuild(binary, dir), method: { kind: "kustomize", binary } };
  return {
    objects: renderKustomization(dir),
    method: {
      kind: "fallback",
      reason: "no kustomize binary (set KUSTOMIZE_BIN, or build it with lab/cluster/build-binaries.sh)",
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The fallback resolver.

/** Kinds kustomize treats as cluster-scoped, among those a panel base could hold. */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
]);

/** Kinds whose pod template kustomize's labels transformer reaches with `includeTemplates`. */
const TEMPLATE_LABEL_PATHS: Record<string, string[][]> = {
  Deployment: [["spec", "template", "metadata", "labels"]],
  ReplicaSet: [["spec", "template", "metadata", "labels"]],
  DaemonSet: [["spec", "template", "metadata", "labels"]],
  StatefulSet: [["spec", "template", "metadata", "labels"]],
  Job: [["spec", "template", "metadata", "labels"]],
  CronJob: [
    ["spec", "jobTemplate", "metadata", "labels"],
    ["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
  ],
};

const SUPPORTED_KUSTOMIZATION_KEYS = new Set([
  "apiVersion",
  "kind",
  "resources",
  "transformers",
  "labels",
  "configMapGenerator",
  "images",
]);

/** Kustomize's hash encoding (api/hasher): first 10 hex digits with 0,1,3,a,e replaced. */
function encodeHash(hex: string): string {
  const map: Record<string, string> = { "0": "g", "1": "h", "3": "k", a: "m", e: "t" };
  return [...hex.slice(0, 10)].map((c) => map[c] ?? c).join("");
}

/**
 * JSON as Go's encoding/json writes it: map keys sorted, `<`, `>`, `&`, U+2028/9 escaped (control
 * characters are escaped alike by both).
 */
function goJson(value: unknown): string {
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(value[k])}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * The name suffix kustomize gives a generated ConfigMap (sigs.k8s.io/kustomize/api/hasher,
 * encodeConfigMap). The encoded `name` is always empty there: the hasher looks the name up as one
 * field literally called "metadata/name", which never exists, so only the data decides the suffix.
 */
export function configMapHash(data: Record<string, string>): string {
  const encoded = goJson({ kind: "ConfigMap", name: "", data });
  return encodeHash(createHash("sha256").update(encoded).digest("hex"));
}

function getPath(obj: JsonObject, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Returns the object at `path`, creating empty objects on the way. */
function ensurePath(obj: JsonObject, path: readonly string[]): JsonObject {
  let cur = obj;
  for (const key of path) {
    const next = cur[key];
    if (next === undefined || next === null) {
      const created: JsonObject = {};
      cur[key] = created;
      cur = created;
    } else if (isJsonObject(next)) {
      cur = next;
    } else {
      throw new Error(`cannot set labels under ${path.join(".")}: ${key} is not an object`);
    }
  }
  return cur;
}

function podSpecOf(obj: KubeObject): JsonObject | undefined {
  const paths = obj.kind === "CronJob" ? [["spec", "jobTemplate", "spec", "template", "spec"]] : [["spec", "template", "spec"]];
  for (const path of paths) {
    const spec = getPath(obj, path);
    if (isJsonObject(spec)) return spec;
  }
  return undefined;
}

function containersOf(podSpec: JsonObject): JsonObject[] {
  return [...objectList(podSpec.initContainers), ...objectList(podSpec.containers)];
}

function readKustomization(dir: string): JsonObject {
  const file = join(dir, "kustomization.yaml");
  const docs = readYamlDocuments(file);
  const k = docs[0];
  if (docs.length !== 1 || !isJsonObject(k) || k.kind !== "Kustomization") {
    throw new Error(`${file}: expected one Kustomization document`);
  }
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_KUSTOMIZATION_KEYS.has(key)) {
      throw new Error(`${file}: the fallback renderer does not implement "${key}"; build with kustomize instead`);
    }
  }
  return k;
}

function generateConfigMaps(dir: string, k: JsonObject): { objects: KubeObject[]; hashed: Set<string> } {
  const objects: KubeObject[] = [];
  const hashed = new Set<string>();
  for (const gen of objectList(k.configMapGenerator)) {
    for (const key of Object.keys(gen)) {
      if (!["name", "files", "literals", "options"].includes(key)) {
        throw new Error(`configMapGenerator: "${key}" is not implemented by the fallback renderer`);
      }
    }
    if (typeof gen.name !== "string") throw new Error("configMapGenerator: name is required");
    const options = gen.options === undefined ? {} : gen.options;
    if (!isJsonObject(options) || Object.keys(options).some((o) => o !== "disableNameSuffixHash")) {
      throw new Error("configMapGenerator: only options.disableNameSuffixHash is implemented");
    }
    const data: Record<string, string> = {};
    for (const entry of stringList(gen.files)) {
      const eq = entry.indexOf("=");
      const [key, path] = eq > 0 ? [entry.slice(0, eq), entry.slice(eq + 1)] : [basename(entry), entry];
      data[key] = readFileSync(join(dir, path), "utf8");
    }
    for (const entry of stringList(gen.literals)) {
      const eq = entry.indexOf("=");
      if (eq <= 0) throw new Error(`configMapGenerator literal without '=': ${entry}`);
      data[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: gen.name }, data });
    if (options.disableNameSuffixHash !== true) hashed.add(gen.name);
  }
  return { objects, hashed };
}

function applyLabels(objects: KubeObject[], k: JsonObject): void {
  for (const entry of objectList(k.labels)) {
    for (const key of Object.keys(entry)) {
      if (!["pairs", "includeSelectors", "includeTemplates"].includes(key)) {
        throw new Error(`labels: "${key}" is not implemented by the fallback renderer`);
      }
    }
    if (entry.includeSelectors === true) {
      throw new Error("labels: includeSelectors is not implemented by the fallback renderer");
    }
    const pairs = entry.pairs;
    if (!isJsonObject(pairs)) throw new Error("labels: pairs is required");
    for (const obj of objects) {
      const targets = [ensurePath(obj.metadata, ["labels"])];
      if (entry.includeTemplates === true) {
        for (const path of TEMPLATE_LABEL_PATHS[obj.kind] ?? []) targets.push(ensurePath(obj, path));
      }
      for (const target of targets) {
        for (const [name, value] of Object.entries(pairs)) target[name] = String(value);
      }
    }
  }
}

function applyImages(objects: KubeObject[], k: JsonObject): void {
  for (const image of objectList(k.images)) {
    for (const key of Object.keys(image)) {
      if (!["name", "newName", "newTag", "digest"].includes(key)) {
        throw new Error(`images: "${key}" is not implemented by the fallback renderer`);
      }
    }
    if (typeof image.name !== "string") throw new Error("images: name is required");
    for (const obj of objects) {
      const podSpec = podSpecOf(obj);
      if (!podSpec) continue;
      for (const container of containersOf(podSpec)) {
        if (typeof container.image !== "string") continue;
        const match = /^(.*?)(?::([^:/@]+))?(?:@(.+))?$/.exec(container.image);
        const [, name = "", tag, digest] = match ?? [];
        if (name !== image.name) continue;
        const newName = typeof image.newName === "string" ? image.newName : name;
        if (typeof image.digest === "string") container.image = `${newName}@${image.digest}`;
        else if (image.newTag !== undefined) container.image = `${newName}:${String(image.newTag)}`;
        else container.image = `${newName}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
      }
    }
  }
}

function applyNamespaceTransformer(objects: KubeObject[], dir: string, file: string): void {
  const docs = readYamlDocuments(join(dir, file));
  const config = docs[0];
  if (
    docs.length !== 1 ||
    !isJsonObject(config) ||
    config.apiVersion !== "builtin" ||
    config.kind !== "NamespaceTransformer" ||
    !isJsonObject(config.metadata) ||
    typeof config.metadata.namespace !== "string"
  ) {
    throw new Error(`${file}: only a builtin NamespaceTransformer with metadata.namespace is implemented`);
  }
  for (const key of Object.keys(config)) {
    if (!["apiVersion", "kind", "metadata", "unsetOnly", "setRoleBindingSubjects"].includes(key)) {
      throw new Error(`${file}: "${key}" is not implemented by the fallback renderer`);
    }
  }
  const namespace = config.metadata.namespace;
  const unsetOnly = config.unsetOnly === true;
  const subjectMode = config.setRoleBindingSubjects ?? "defaultOnly";
  const set = (target: JsonObject): void => {
    if (!unsetOnly || typeof target.namespace !== "string" || target.namespace === "") target.namespace = namespace;
  };
  for (const obj of objects) {
    if (!CLUSTER_SCOPED_KINDS.has(obj.kind)) set(obj.metadata);
    if (obj.kind !== "RoleBinding" && obj.kind !== "ClusterRoleBinding") continue;
    for (const subject of objectList(obj.subjects)) {
      if (subjectMode === "allServiceAccounts" && subject.kind === "ServiceAccount") set(subject);
      else if (subjectMode === "defaultOnly" && subject.name === "default") set(subject);
      else if (!["allServiceAccounts", "defaultOnly", "none"].includes(String(subjectMode))) {
        throw new Error(`${file}: unknown setRoleBindingSubjects ${String(subjectMode)}`);
      }
    }
  }
}

/** Renames references to hashed ConfigMaps in pod templates (volumes, envFrom, env). */
function applyConfigMapNames(objects: KubeObject[], renamed: Map<string, string>): void {
  const rename = (holder: unknown, field: string, namespace: string | undefined): void => {
    if (!isJsonObject(holder) || typeof holder[field] !== "string") return;
    const next = renamed.get(`${namespace ?? ""}/${holder[field]}`);
    if (next) holder[field] = next;
  };
  for (const obj of objects) {
    const podSpec = podSpecOf(obj);
    if (!podSpec) continue;
    const ns = obj.metadata.namespace;
    for (const volume of objectList(podSpec.volumes)) {
      rename(volume.configMap, "name", ns);
      const projected = volume.projected;
      if (isJsonObject(projected)) {
        for (const source of objectList(projected.sources)) rename(source.configMap, "name", ns);
      }
    }
    for (const container of containersOf(podSpec)) {
      for (const from of objectList(container.envFrom)) rename(from.configMapRef, "name", ns);
      for (const env of objectList(container.env)) {
        const valueFrom = env.valueFrom;
        if (isJsonObject(valueFrom)) rename(valueFrom.configMapKeyRef, "name", ns);
      }
    }
  }
}

/**
 * Renders a kustomization directory the way `kustomize build` does, for the features this base uses.
 * Throws on any feature it does not implement.
 */
export function renderKustomization(dir: string): KubeObject[] {
  const k = readKustomization(dir);
  const objects: KubeObject[] = [];
  for (const entry of stringList(k.resources)) {
    const path = join(dir, entry);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new Error(`resources: ${entry} is not a file in ${dir} (directories and URLs need kustomize)`);
    }
    objects.push(...readManifests(path));
  }
  const generated = generateConfigMaps(dir, k);
  objects.push(...generated.objects);

  // Builtin transformers from kustomization fields run first, then the `transformers:` list.
  applyLabels(objects, k);
  applyImages(objects, k);
  for (const file of stringList(k.transformers)) applyNamespaceTransformer(objects, dir, file);

  // Content-hash suffixes and the references to them come last.
  const renamed = new Map<string, string>();
  for (const obj of objects) {
    if (obj.kind !== "ConfigMap" || !generated.objects.includes(obj) || !generated.hashed.has(obj.metadata.name)) continue;
    const data = isJsonObject(obj.data) ? (obj.data as Record<string, string>) : {};
    const next = `${obj.metadata.name}-${configMapHash(data)}`;
    renamed.set(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`, next);
    obj.metadata.name = next;
  }
  applyConfigMapNames(objects, renamed);

  const ids = new Set<string>();
  for (const obj of objects) {
    const id = objectId(obj);
    if (ids.has(id)) throw new Error(`two objects render as ${id}`);
    ids.add(id);
  }
  return objects;
}
