import { readFileSync } from "node:fs";
import Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { specChecks, specFile } from "../paths";

/** Minimal view of an OpenAPI 3 document, enough to walk paths and responses. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: { responses?: Record<string, unknown>; parameters?: Record<string, unknown>; schemas?: Record<string, unknown> };
}

/** GitHub's REST description subset the forge implements. */
export function githubSpecFile(): string {
  return specFile("github-pulls-subset.openapi.json");
}

export function loadSpec(file: string = githubSpecFile()): OpenApiDoc {
  return JSON.parse(readFileSync(file, "utf8")) as OpenApiDoc;
}

/** Path of GitHub's `issues/add-labels` operation (pull requests are issues for labels). */
export const ADD_LABELS_PATH = "/repos/{owner}/{repo}/issues/{issue_number}/labels";

/**
 * The description the forge serves: the subset, plus `issues/add-labels` when the subset lacks it
 * (the subset of `@octokit/openapi` 23.0.2 has no labels operation). The added operation is marked
 * `x-lab-added`; its request body follows GitHub's REST documentation of "Add labels to an issue"
 * (an object with `labels`: names, or objects with a `name`), and its 200 answer is checked against
 * the label shape the subset itself defines (the items of `pull-request.labels`), with the
 * subset's own 404/422/301 responses. A subset that has the operation is used as it is.
 */
export function forgeDescription(file?: string): OpenApiDoc {
  if (file === undefined && !specChecks()) return uncheckedForgeDescription();
  const doc = loadSpec(file ?? githubSpecFile());
  if (operations(doc).some((o) => o.operationId === "issues/add-labels")) return doc;
  const copy = structuredClone(doc);
  copy.components ??= {};
  copy.components.parameters ??= {};
  copy.components.parameters["issue-number"] = {
    name: "issue_number",
    description: "The number that identifies the issue.",
    in: "path",
    required: true,
    schema: { type: "integer" },
  };
  const names = { type: "array", minItems: 1, items: { type: "string" } };
  const named = { type: "array", minItems: 1, items: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } };
  copy.paths[ADD_LABELS_PATH] = {
    post: {
      summary: "Add labels to an issue",
      operationId: "issues/add-labels",
      "x-lab-added": "Not in the subset. Request body from GitHub's REST documentation; the label shape is the subset's pull-request label.",
      parameters: [{ $ref: "#/components/parameters/owner" }, { $ref: "#/components/parameters/repo" }, { $ref: "#/components/parameters/issue-number" }],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              oneOf: [
                { type: "object", properties: { labels: names }, required: ["labels"] },
                names,
                { type: "object", properties: { labels: named }, required: ["labels"] },
                named,
              ],
            },
          },
        },
      },
      responses: {
        "200": {
          description: "Response",
          content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/pull-request/properties/labels/items" } } } },
        },
        "301": { $ref: "#/components/responses/moved_permanently" },
        "404": { $ref: "#/components/responses/not_found" },
        "422": { $ref: "#/components/responses/validation_failed" },
      },
    },
  };
  return copy;
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

/** Every `{ method, path, operationId }` of the document. */
export function operations(doc: OpenApiDoc): { method: string; path: string; operationId: string }[] {
  const out: { method: string; path: string; operationId: string }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      const op = item[m] as { operationId?: string } | undefined;
      if (op?.operationId !== undefined) out.push({ method: m.toUpperCase(), path, operationId: op.operationId });
    }
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deref(doc: OpenApiDoc, v: unknown): unknown {
  if (isRecord(v) && typeof v.$ref === "string" && v.$ref.startsWith("#/")) {
    let cur: unknown = doc;
    for (const part of v.$ref.slice(2).split("/")) cur = isRecord(cur) ? cur[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    return deref(doc, cur);
  }
  return v;
}

/**
 * Path templates whose last parameter is marked `x-multi-segment` (a path or ref that contains
 * slashes), as regexes matching the fixed prefix; the router needs that tail percent-encoded.
 */
export function multiSegmentPrefixes(doc: OpenApiDoc): RegExp[] {
  const out: RegExp[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const m = /^(.*)\/\{([^}]+)\}$/.exec(path);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const name = m[2];
    const multi = METHODS.some((method) => {
      const op = item[method] as { parameters?: unknown[] } | undefined;
      return (op?.parameters ?? []).some((p) => {
        const param = deref(doc, p);
        return isRecord(param) && param.name === name && param.in === "path" && param["x-multi-segment"] === true;
      });
    });
    if (!multi) continue;
    const prefix = m[1]
      .split("/")
      .map((seg) => (/^\{.+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    out.push(new RegExp(`^(${prefix})/(.+)$`));
  }
  return out;
}

/** Rewrites `/repos/o/r/contents/a/b.yaml` to `/repos/o/r/contents/a%2Fb.yaml` for routing. */
export function encodeMultiSegment(path: string, prefixes: RegExp[]): string {
  for (const re of prefixes) {
    const m = re.exec(path);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      return `${m[1]}/${encodeURIComponent(safeDecode(m[2]))}`;
    }
  }
  return path;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Outcome of checking one response against the document. */
export interface ResponseCheck {
  valid: boolean;
  /** No response of that status (or `default`) is documented. */
  undocumented: boolean;
  errors: ErrorObject[];
}

/**
 * Validates responses (and request bodies) against the document with Ajv (formats on, OpenAPI
 * `nullable` honoured), independently of the router that validates requests.
 */
export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction | null>();

  private readonly doc: OpenApiDoc;

  constructor(doc: OpenApiDoc) {
    this.doc = relaxOverlappingOneOf(doc);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat("repo.nwo", /^[^/]+\/[^/]+$/);
    this.ajv.addSchema(this.doc as unknown as Record<string, unknown>, "openapi.json");
  }

  /** Checks `body` as the `status` response of `method path` (path as templated in the document). */
  check(method: string, pathTemplate: string, status: number, body: unknown, contentType = "application/json"): ResponseCheck {
    const key = `${method} ${pathTemplate} ${status} ${contentType}`;
    let validate = this.cache.get(key);
    if (validate === undefined) {
      validate = this.compile(method.toLowerCase(), pathTemplate, status, contentType);
      this.cache.set(key, validate);
    }
    if (validate === null) {
      const documented = this.documentedStatus(method.toLowerCase(), pathTemplate, status);
      return { valid: documented && (body === undefined || body === null || body === ""), undocumented: !documented, errors: [] };
    }
    const valid = validate(body);
    return { valid, undocumented: false, errors: valid ? [] : [...(validate.errors ?? [])] };
  }

  /** Checks a JSON request body against the operation's `requestBody` schema. */
  checkRequestBody(method: string, pathTemplate: string, body: unknown): ResponseCheck {
    const key = `request ${method} ${pathTemplate}`;
    let validate = this.cache.get(key);
    if (validate === undefined) {
      const op = this.doc.paths[pathTemplate]?.[method.toLowerCase()] as { requestBody?: { content?: Record<string, unknown> } } | undefined;
      const enc = (s: string): string => s.replace(/~/g, "~0").replace(/\//g, "~1");
      validate =
        op?.requestBody?.content?.["application/json"] === undefined
          ? null
          : this.ajv.compile({ $ref: `openapi.json#/paths/${enc(pathTemplate)}/${method.toLowerCase()}/requestBody/content/application~1json/schema` });
      this.cache.set(key, validate);
    }
    if (validate === null) return { valid: body === undefined, undocumented: true, errors: [] };
    const valid = validate(body);
    return { valid, undocumented: false, errors: valid ? [] : [...(validate.errors ?? [])] };
  }

  private documentedStatus(method: string, pathTemplate: string, status: number): boolean {
    const op = this.doc.paths[pathTemplate]?.[method] as { responses?: Record<string, unknown> } | undefined;
    return op?.responses?.[String(status)] !== undefined || op?.responses?.default !== undefined;
  }

  private compile(method: string, pathTemplate: string, status: number, contentType: string): ValidateFunction | null {
    const op = this.doc.paths[pathTemplate]?.[method] as { responses?: Record<string, unknown> } | undefined;
    const responses = op?.responses ?? {};
    const statusKey = responses[String(status)] !== undefined ? String(status) : responses.default !== undefined ? "default" : undefined;
    if (statusKey === undefined) return null;
    let pointer: string;
    let response = responses[statusKey];
    const enc = (s: string): string => s.replace(/~/g, "~0").replace(/\//g, "~1");
    if (isRecord(response) && typeof response.$ref === "string") {
      pointer = response.$ref.slice(1);
      response = deref(this.doc, response);
    } else {
      pointer = `/paths/${enc(pathTemplate)}/${method}/responses/${statusKey}`;
    }
    const content = isRecord(response) && isRecord(response.content) ? response.content : undefined;
    if (content === undefined || content[contentType] === undefined) return null;
    return this.ajv.compile({ $ref: `openapi.json#${pointer}/content/${enc(contentType)}/schema` });
  }
}

/**
 * GitHub's description has `oneOf` unions in which one branch is an open object with no required
 * property (e.g. `basic-error` | `repository-rule-violation-error`): every body matching one branch
 * matches the other, so no response could ever satisfy "exactly one". Such unions (and only those)
 * are checked as `anyOf`. Returns a copy; the input is not changed.
 */
export function relaxOverlappingOneOf(doc: OpenApiDoc): OpenApiDoc {
  const copy = structuredClone(doc);
  const permissive = (branch: unknown): boolean => {
    const b = deref(copy, branch);
    return (
      isRecord(b) &&
      b.type === "object" &&
      (!Array.isArray(b.required) || b.required.length === 0) &&
      b.additionalProperties !== false &&
      b.oneOf === undefined &&
      b.anyOf === undefined &&
      b.allOf === undefined
    );
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!isRecord(node)) return;
    if (Array.isArray(node.oneOf) && node.discriminator === undefined && node.oneOf.some(permissive)) {
      node.anyOf = node.oneOf;
      delete node.oneOf;
    }
    for (const v of Object.values(node)) walk(v);
  };
  walk(copy);
  return copy;
}

/** Human-readable Ajv errors, one per line. */
export function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join("\n");
}

/** The operations the forge implements (those of the subset, plus `issues/add-labels`). */
export const FORGE_OPERATIONS: readonly { method: string; path: string; operationId: string }[] = [
  { method: "GET", path: "/repos/{owner}/{repo}", operationId: "repos/get" },
  { method: "GET", path: "/repos/{owner}/{repo}/pulls", operationId: "pulls/list" },
  { method: "POST", path: "/repos/{owner}/{repo}/pulls", operationId: "pulls/create" },
  { method: "GET", path: "/repos/{owner}/{repo}/pulls/{pull_number}", operationId: "pulls/get" },
  { method: "PATCH", path: "/repos/{owner}/{repo}/pulls/{pull_number}", operationId: "pulls/update" },
  { method: "POST", path: ADD_LABELS_PATH, operationId: "issues/add-labels" },
  { method: "GET", path: "/repos/{owner}/{repo}/contents/{path}", operationId: "repos/get-content" },
  { method: "PUT", path: "/repos/{owner}/{repo}/contents/{path}", operationId: "repos/create-or-update-file-contents" },
  { method: "DELETE", path: "/repos/{owner}/{repo}/contents/{path}", operationId: "repos/delete-file" },
  { method: "GET", path: "/repos/{owner}/{repo}/git/ref/{ref}", operationId: "git/get-ref" },
  { method: "GET", path: "/repos/{owner}/{repo}/git/matching-refs/{ref}", operationId: "git/list-matching-refs" },
  { method: "POST", path: "/repos/{owner}/{repo}/git/refs", operationId: "git/create-ref" },
  { method: "PATCH", path: "/repos/{owner}/{repo}/git/refs/{ref}", operationId: "git/update-ref" },
  { method: "DELETE", path: "/repos/{owner}/{repo}/git/refs/{ref}", operationId: "git/delete-ref" },
  { method: "POST", path: "/repos/{owner}/{repo}/git/trees", operationId: "git/create-tree" },
  { method: "GET", path: "/repos/{owner}/{repo}/git/trees/{tree_sha}", operationId: "git/get-tree" },
  { method: "POST", path: "/repos/{owner}/{repo}/git/commits", operationId: "git/create-commit" },
  { method: "GET", path: "/repos/{owner}/{repo}/git/commits/{commit_sha}", operationId: "git/get-commit" },
  { method: "POST", path: "/repos/{owner}/{repo}/git/blobs", operationId: "git/create-blob" },
  { method: "GET", path: "/repos/{owner}/{repo}/git/blobs/{file_sha}", operationId: "git/get-blob" },
];

/**
 * The forge's description when the lab runs without the API descriptions (`LAB_SPEC_CHECKS=0`):
 * {@link FORGE_OPERATIONS} with their path parameters (the last one may hold slashes where the
 * subset says so), so every operation is routed, but nothing to check requests and answers against.
 */
export function uncheckedForgeDescription(): OpenApiDoc {
  const paths: OpenApiDoc["paths"] = {};
  for (const op of FORGE_OPERATIONS) {
    const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
    const last = names[names.length - 1];
    // As the subset marks them: a file path or a ref holds slashes, a tree or commit may be named by one.
    const multi = last !== undefined && ["path", "ref", "tree_sha", "commit_sha"].includes(last);
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = {
      operationId: op.operationId,
      parameters: names.map((name) => ({ name, in: "path", required: true, schema: { type: "string" }, ...(multi && name === last ? { "x-multi-segment": true } : {}) })),
      responses: { default: { description: "not checked" } },
    };
  }
  return { openapi: "3.0.3", paths };
}
