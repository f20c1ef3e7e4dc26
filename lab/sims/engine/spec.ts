/**
 * Loading of the official API descriptions for the simulators.
 *
 * A simulator registers only the operations it implements; the loader copies those operations
 * out of the (sometimes 2 MB) document, follows every `$ref` they reach, and builds a small
 * self-contained OpenAPI 3.0 document. That document is checked with
 * `@apidevtools/swagger-parser` (which dereferences it, so a missing reference fails loudly),
 * then normalised for Ajv (OpenAPI 3.0 `nullable` next to `$ref`/`allOf`, which Ajv refuses).
 *
 * Parsed source files are cached per process, so eight apps sharing one spec file parse it once.
 */
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { parse as parseYaml } from "yaml";
import { specChecks, specFile } from "../../paths";

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** HTTP methods an OpenAPI path item may hold. */
export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One operation to take from a spec: the path exactly as the spec spells it. */
export interface OperationRef {
  method: HttpMethod;
  path: string;
}

/** Where the operations come from. */
export interface SpecSource {
  /** File name under `../shared/specs` (or an absolute path). */
  file?: string;
  /** An inline OpenAPI 3.0 document (hand-written from an app's documentation). */
  document?: JsonObject;
  /**
   * `method path` of the implemented operations the file leaves open (no credentials), for the
   * stand-in made without the file, which requires credentials for every other operation
   * (lab/sims/open-operations.test.ts checks this list against the file).
   */
  openOperations?: string[];
  /**
   * Operations the app serves that its published spec leaves out (hidden routes), each marked
   * with `x-sim-extension` saying where the behaviour was read. Merged into the loaded paths.
   */
  extensions?: Record<string, Partial<Record<HttpMethod, JsonObject>>>;
  /** Extra components the extensions reference. */
  extensionComponents?: Record<string, Record<string, JsonObject>>;
  /**
   * Corrections where the published spec and the app's actual output differ, each with the
   * source that shows the app's behaviour. Applied to the pruned copy when the pointer exists.
   */
  errata?: { pointer: string; value: JsonObject; reason: string }[];
}

/** The pruned, validated and normalised document plus facts about it. */
export interface LoadedSpec {
  /**
   * False for the stand-in made without the description file ({@link uncheckedSpec}): it routes
   * the operations but declares nothing to check requests and answers against.
   */
  checked: boolean;
  /** Self-contained OpenAPI 3.0 document holding only the requested operations. */
  document: JsonObject;
  /** `info.title` and `info.version` of the source document. */
  title: string;
  version: string;
  /** Source label for logs and docs. */
  source: string;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const rawCache = new Map<string, JsonObject>();

/** Parses a spec file once per process. */
function readSpecFile(file: string): JsonObject {
  const full = isAbsolute(file) ? file : specFile(file);
  const cached = rawCache.get(full);
  if (cached !== undefined) return cached;
  const text = readFileSync(full, "utf8");
  const parsed: unknown = /\.ya?ml$/i.test(full) ? parseYaml(text) : JSON.parse(text);
  if (!isObject(parsed)) throw new Error(`spec ${full} is not an object`);
  rawCache.set(full, parsed);
  return parsed;
}

/** Drops the parsed source files (call after every simulator has loaded its operations). */
export function clearSpecCache(): void {
  rawCache.clear();
}

function operationId(method: string, path: string): string {
  return `${method} ${path}`;
}

/** Collects `#/components/<section>/<name>` references reachable from `value`. */
function collectRefs(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, found);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$ref" && typeof v === "string") found.add(v);
    else collectRefs(v, found);
  }
}

function resolvePointer(doc: JsonObject, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`only local references are supported: ${ref}`);
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function setPointer(target: JsonObject, ref: string, value: unknown): void {
  const parts = ref.slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (isObject(next)) cur = next;
    else {
      const created: JsonObject = {};
      cur[part] = created;
      cur = created;
    }
  }
  const last = parts[parts.length - 1];
  if (last !== undefined) cur[last] = value;
}

/**
 * Rewrites OpenAPI 3.0 schema idioms Ajv does not accept:
 * `nullable` without `type` (next to `$ref`, `allOf`, `oneOf`, `anyOf`, or alone).
 */
export function normaliseSchemas(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseSchemas);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = normaliseSchemas(v);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    const composite = out.$ref !== undefined || out.allOf !== undefined || out.oneOf !== undefined || out.anyOf !== undefined;
    if (composite) {
      const inner: JsonObject = {};
      const outer: JsonObject = {};
      for (const [k, v] of Object.entries(out)) {
        if (["$ref", "allOf", "oneOf", "anyOf", "discriminator"].includes(k)) inner[k] = v;
        else if (["description", "example", "deprecated", "readOnly", "writeOnly", "title", "default"].includes(k)) outer[k] = v;
        else inner[k] = v;
      }
      return { ...outer, anyOf: [inner, { type: "null" }] };
    }
    return out;
  }
  if (out.nullable === false) delete out.nullable;
  return out;
}

/**
 * Loads the given operations from a spec into a small self-contained document. `pathPrefix`
 * is put in front of every path (the spec's server path, e.g. `/api/v1` for Jellyseerr).
 * Throws when an operation is not in the spec: a simulator may only serve what the app serves.
 */
export async function loadSpec(source: SpecSource, operations: OperationRef[], pathPrefix = ""): Promise<LoadedSpec> {
  if (source.document === undefined && source.file !== undefined && !specChecks()) return uncheckedSpec(source.file, operations, pathPrefix, source.openOperations);
  const raw = source.document ?? (source.file !== undefined ? readSpecFile(source.file) : undefined);
  if (raw === undefined) throw new Error("spec source needs a file or a document");
  const label = source.file ?? "inline document";
  const rawPaths = isObject(raw.paths) ? raw.paths : {};
  const extensions = source.extensions ?? {};

  const paths: JsonObject = {};
  for (const op of operations) {
    const fromExt = extensions[op.path]?.[op.method];
    const item = rawPaths[op.path];
    const fromSpec = isObject(item) ? item[op.method] : undefined;
    const operation = fromExt ?? fromSpec;
    if (!isObject(operation)) {
      throw new Error(`${label}: ${op.method.toUpperCase()} ${op.path} is not in the spec`);
    }
    const key = `${pathPrefix}${op.path}`;
    const target = isObject(paths[key]) ? (paths[key] as JsonObject) : {};
    if (fromExt === undefined && isObject(item) && Array.isArray(item.parameters)) target.parameters = item.parameters;
    target[op.method] = { ...structuredClone(operation), operationId: operationId(op.method, op.path) };
    paths[key] = target;
  }

  // Transitive closure of the references the chosen operations reach.
  const doc: JsonObject = {
    openapi: typeof raw.openapi === "string" && raw.openapi.startsWith("3.") ? raw.openapi : "3.0.3",
    info: isObject(raw.info) ? raw.info : { title: label, version: "0" },
    paths,
  };
  if (raw.servers !== undefined) doc.servers = raw.servers;
  if (raw.security !== undefined) doc.security = raw.security;
  const components: JsonObject = {};
  const rawComponents = isObject(raw.components) ? raw.components : {};
  const extComponents = source.extensionComponents ?? {};
  const lookup: JsonObject = { components: { ...rawComponents } };
  for (const [section, entries] of Object.entries(extComponents)) {
    const existing = isObject(rawComponents[section]) ? rawComponents[section] : {};
    (lookup.components as JsonObject)[section] = { ...existing, ...entries };
  }
  if (isObject(rawComponents.securitySchemes)) components.securitySchemes = rawComponents.securitySchemes;
  const pending = new Set<string>();
  collectRefs(paths, pending);
  const done = new Set<string>();
  while (pending.size > 0) {
    const ref = pending.values().next().value as string;
    pending.delete(ref);
    if (done.has(ref)) continue;
    done.add(ref);
    const target = resolvePointer(lookup, ref);
    if (target === undefined) throw new Error(`${label}: unresolved reference ${ref}`);
    setPointer({ components } as JsonObject, ref, structuredClone(target));
    const inner = new Set<string>();
    collectRefs(target, inner);
    for (const r of inner) if (!done.has(r)) pending.add(r);
  }
  doc.components = components;
  for (const e of source.errata ?? []) {
    if (resolvePointer(doc, e.pointer) !== undefined) setPointer(doc, e.pointer, structuredClone(e.value));
  }

  // Integrity check: swagger-parser dereferences the pruned copy (a dangling $ref throws).
  await SwaggerParser.dereference(structuredClone(doc) as never);

  const info = isObject(raw.info) ? raw.info : {};
  return {
    checked: true,
    document: normaliseSchemas(doc) as JsonObject,
    title: typeof info.title === "string" ? info.title : label,
    version: typeof info.version === "string" ? info.version : "",
    source: label,
  };
}

/** The operationId the loader gives an operation (`"get /api/v3/health"`). */
export function opId(method: HttpMethod, path: string): string {
  return operationId(method, path);
}

/**
 * The stand-in for a description file the lab runs without (`LAB_SPEC_CHECKS=0`): the same
 * operations and path parameters, so the simulator routes every request it implements, with
 * credentials required except for `open` operations (`method path`, without the prefix), but no
 * parameters, bodies or answers to check them against.
 */
export function uncheckedSpec(file: string, operations: OperationRef[], pathPrefix = "", open: readonly string[] = []): LoadedSpec {
  const paths: JsonObject = {};
  for (const op of operations) {
    const key = `${pathPrefix}${op.path}`;
    const target = isObject(paths[key]) ? (paths[key] as JsonObject) : {};
    const names = [...key.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
    target[op.method] = {
      operationId: operationId(op.method, op.path),
      parameters: names.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      security: open.includes(`${op.method} ${op.path}`) ? [] : [{ credentials: [] }],
      responses: { default: { description: "not checked" } },
    };
    paths[key] = target;
  }
  return {
    checked: false,
    document: {
      openapi: "3.0.3",
      info: { title: file, version: "unchecked" },
      paths,
      // The app's own credential check (its simulator's `authorize`) decides; the scheme only marks the operations.
      components: { securitySchemes: { credentials: { type: "apiKey", in: "header", name: "X-Api-Key" } } },
    },
    title: file,
    version: "unchecked",
    source: `${file} (absent: requests and answers not checked)`,
  };
}
