/**
 * The *arr apps' error bodies (Sonarr.Http `SonarrErrorPipeline`, shared by Radarr, Lidarr and
 * Prowlarr):
 * - FluentValidation failures -> 400 with a JSON array of failures;
 * - model-binding failures (a body or parameter that does not fit the resource types, which is
 *   what a spec violation is) -> 400 ASP.NET `ValidationProblemDetails`;
 * - other errors -> `{ message, description }` with 404 / 409 / 500.
 */
import { randomBytes } from "node:crypto";
import type { SimRequest, SimResponse, ValidationIssue } from "../engine/types";

/** One FluentValidation failure as the *arr apps serialise it. */
export interface ValidationFailureJson {
  propertyName: string;
  errorMessage: string;
  attemptedValue?: unknown;
  severity: "error" | "warning" | "info";
  errorCode?: string;
  formattedMessagePlaceholderValues?: Record<string, unknown>;
  /** Only on provider (`NzbDroneValidationFailure`) failures. */
  isWarning?: boolean;
  detailedDescription?: string;
  infoLink?: string;
}

/** A failure raised by a provider test (`NzbDroneValidationFailure`). */
export function providerFailure(
  propertyName: string,
  errorMessage: string,
  opts: { warning?: boolean; detail?: string; attemptedValue?: unknown } = {},
): ValidationFailureJson {
  const f: ValidationFailureJson = {
    isWarning: opts.warning === true,
    propertyName,
    errorMessage,
    severity: opts.warning === true ? "warning" : "error",
  };
  if (opts.detail !== undefined) f.detailedDescription = opts.detail;
  if (opts.attemptedValue !== undefined) f.attemptedValue = opts.attemptedValue;
  return f;
}

/** A plain FluentValidation failure (resource and settings validators). */
export function ruleFailure(
  propertyName: string,
  errorMessage: string,
  attemptedValue: unknown,
  errorCode: string,
): ValidationFailureJson {
  const f: ValidationFailureJson = { propertyName, errorMessage, severity: "error", errorCode };
  if (attemptedValue !== undefined && attemptedValue !== null) f.attemptedValue = attemptedValue;
  f.formattedMessagePlaceholderValues = { PropertyName: propertyName, PropertyValue: attemptedValue ?? null };
  return f;
}

/** `'X' must not be empty.` */
export function notEmpty(propertyName: string, value: unknown): ValidationFailureJson | undefined {
  const empty =
    value === undefined || value === null || (typeof value === "string" && value.trim() === "") || (Array.isArray(value) && value.length === 0);
  return empty ? ruleFailure(propertyName, `'${spaced(propertyName)}' must not be empty.`, value, "NotEmptyValidator") : undefined;
}

/** FluentValidation's default display name: `TvCategory` -> `Tv Category`. */
export function spaced(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

/** 400 with the failures array. */
export function failuresResponse(failures: ValidationFailureJson[]): SimResponse {
  return { status: 400, json: failures, unvalidated: true };
}

/** `{ message, description }` error (404, 409, 400 for invalid operations, 500). */
export function errorModel(status: number, message: string, description?: string): SimResponse {
  const json: Record<string, string> = { message };
  if (description !== undefined) json.description = description;
  return { status, json, unvalidated: true };
}

function traceId(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}

const CLR_TYPES: Record<string, string> = {
  boolean: "System.Boolean",
  integer: "System.Int32",
  number: "System.Double",
  string: "System.String",
  array: "System.Collections.Generic.List`1",
  object: "System.Object",
};

/**
 * 400 `ValidationProblemDetails`, which ASP.NET Core's `[ApiController]` behaviour answers when
 * the body or a parameter cannot be bound to the resource type.
 */
export function problemDetails(issues: ValidationIssue[], req: SimRequest, resourceName = "resource"): SimResponse {
  const errors: Record<string, string[]> = {};
  const add = (key: string, msg: string) => {
    (errors[key] ??= []).push(msg);
  };
  for (const i of issues) {
    if (i.location === "parse") {
      add("$", `'${req.rawBody.slice(0, 1)}' is an invalid start of a value. ${i.message}`);
      continue;
    }
    if (i.location === "body") {
      const jsonPath = i.field === "" ? "$" : `$.${i.field.replace(/\.(\d+)(?=\.|$)/g, "[$1]")}`;
      if (i.keyword === "required" && i.property === "requestBody") {
        add(resourceName, `The ${resourceName} field is required.`);
      } else if (i.keyword === "type" || i.keyword === "format") {
        const clr = CLR_TYPES[i.expectedType ?? ""] ?? "the expected type";
        add(jsonPath, `The JSON value could not be converted to ${clr}. Path: ${jsonPath} | ${i.message}.`);
      } else if (i.keyword === "additionalProperties") {
        // The apps themselves drop unknown properties; the simulator refuses them because the
        // spec declares `additionalProperties: false`, so a misspelt field cannot pass unnoticed.
        const p = i.property ?? "?";
        add(jsonPath === "$" ? `$.${p}` : `${jsonPath}.${p}`, `The JSON property '${p}' is not part of the resource (the API description does not allow it).`);
      } else {
        add(jsonPath, `The JSON value is not valid for ${jsonPath}: ${i.message}.`);
      }
      continue;
    }
    const name = i.property ?? (i.field !== "" ? i.field : i.location);
    const attempted = i.location === "query" ? req.query.get(name) : undefined;
    add(name, attempted !== undefined && attempted !== null ? `The value '${attempted}' is not valid.` : `The ${name} field is invalid: ${i.message}.`);
  }
  return {
    status: 400,
    contentType: "application/problem+json; charset=utf-8",
    json: {
      type: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
      title: "One or more validation errors occurred.",
      status: 400,
      errors,
      traceId: traceId(),
    },
    unvalidated: true,
  };
}
