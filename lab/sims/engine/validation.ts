/**
 * Spec validation of what the simulators send (Ajv + ajv-formats), and the translation of
 * request validation errors into a neutral {@link ValidationIssue} list each app renders in
 * its own error shape.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { isObject, type JsonObject } from "./spec";
import type { ValidationIssue } from "./types";

const INT32 = 2 ** 31;

/** Adds the OpenAPI formats Ajv does not know (int32, int64, float, double, date-span, ...). */
export function addOpenApiFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const f of ["float", "double"]) ajv.addFormat(f, { type: "number", validate: () => true });
  // .NET TimeSpan ("00:00:01.5", "1.02:03:04"), as the *arr apps serialise durations.
  ajv.addFormat("date-span", /^-?(\d+\.)?\d{1,2}:\d{2}:\d{2}(\.\d+)?$/);
  for (const f of ["byte", "binary", "password", "text", "html", "string"]) ajv.addFormat(f, true);
  return ajv;
}

/** A fresh Ajv for OpenAPI 3.0 schemas (non-strict: specs carry `example`, `xml`, ...). */
export function createAjv(): Ajv {
  return addOpenApiFormats(new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false }));
}

function rewriteRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, prefix));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${prefix}${v}` : rewriteRefs(v, prefix);
  }
  return out;
}

/** Formats Ajv errors as short lines (`/fields/0/value: must be string`). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === "" ? "(root)" : e.instancePath;
    const extra =
      e.keyword === "additionalProperties"
        ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
        : e.keyword === "enum"
          ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`
          : "";
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** Validates response bodies of one loaded spec document. */
export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly id: string;

  constructor(
    private readonly document: JsonObject,
    id: string,
  ) {
    this.ajv = createAjv();
    this.id = `sim-spec:${id}`;
    this.ajv.addSchema({ $id: this.id, components: isObject(document.components) ? document.components : {} });
  }

  /** The JSON schema of an operation's response for `status` (2xx falls back to the first 2xx). */
  private schemaFor(operationId: string, status: number, aliases: number[]): unknown {
    const paths = isObject(this.document.paths) ? this.document.paths : {};
    for (const item of Object.values(paths)) {
      if (!isObject(item)) continue;
      for (const op of Object.values(item)) {
        if (!isObject(op) || op.operationId !== operationId) continue;
        const responses = isObject(op.responses) ? op.responses : {};
        let response = responses[String(status)];
        if (response === undefined && (aliases.includes(status) || (status >= 200 && status < 300))) {
          const firstOk = Object.keys(responses).find((k) => /^2\d\d$/.test(k));
          response = firstOk !== undefined ? responses[firstOk] : undefined;
        }
        if (response === undefined) response = responses[`${String(status)[0]}XX`] ?? responses.default;
        if (!isObject(response) || !isObject(response.content)) return undefined;
        const content = response.content;
        const key =
          Object.keys(content).find((k) => k === "application/json") ??
          Object.keys(content).find((k) => k.includes("json")) ??
          Object.keys(content)[0];
        const media = key !== undefined ? content[key] : undefined;
        return isObject(media) ? media.schema : undefined;
      }
    }
    return undefined;
  }

  /**
   * Errors of `body` against the spec's response for `operationId` and `status`; empty when the
   * body is valid or when the spec describes no body for that status.
   */
  validate(operationId: string, status: number, body: unknown, aliases: number[] = []): string[] {
    const key = `${operationId}|${status}`;
    let fn = this.cache.get(key);
    if (fn === undefined) {
      const schema = this.schemaFor(operationId, status, aliases);
      fn = schema === undefined ? null : this.ajv.compile(rewriteRefs(schema, this.id) as JsonObject);
      this.cache.set(key, fn);
    }
    if (fn === null) return [];
    return fn(body) ? [] : formatAjvErrors(fn.errors);
  }

  /** True when the spec declares a response body for this status. */
  describes(operationId: string, status: number, aliases: number[] = []): boolean {
    return this.schemaFor(operationId, status, aliases) !== undefined;
  }
}

/** Translates openapi-backend's Ajv errors into {@link ValidationIssue}s. */
export function toIssues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const e of errors ?? []) {
    if (e.keyword === "parse") {
      issues.push({ location: "parse", field: "", message: e.message ?? "invalid JSON", keyword: "parse" });
      continue;
    }
    const parts = e.instancePath.split("/").filter((p) => p !== "");
    const head = parts[0] ?? "";
    const location = head === "requestBody" ? "body" : head;
    const rest = parts.slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const params = e.params as Record<string, unknown>;
    const issue: ValidationIssue = {
      location: location === "" ? "body" : location,
      field: rest.join("."),
      message: e.message ?? e.keyword,
      keyword: e.keyword,
    };
    if (e.keyword === "type" && typeof params.type === "string") issue.expectedType = params.type;
    if (e.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
      issue.property = params.additionalProperty;
    }
    if (e.keyword === "required" && typeof params.missingProperty === "string") issue.property = params.missingProperty;
    if (e.keyword === "enum" && Array.isArray(params.allowedValues)) {
      issue.message = `${issue.message}: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    // `required` on the wrapper object means a whole location is missing (e.g. no body).
    if (location === "" && e.keyword === "required" && issue.property !== undefined) {
      issue.location = issue.property === "requestBody" ? "body" : issue.property;
    }
    issues.push(issue);
  }
  // anyOf/oneOf failures repeat the same field; keep the first per field and keyword.
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.location}|${i.field}|${i.keyword}|${i.property ?? ""}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
