/**
 * *arr "providers" (download clients, Prowlarr applications, indexer proxies): templates with
 * their settings fields, stored definitions, and the mapping between the two the way
 * Sonarr.Http's `SchemaBuilder` does it:
 * - `GET` renders every field of the template, secret fields (`privacy: password|apiKey`)
 *   masked as `********` when set;
 * - a write that sends `********` back keeps the stored secret;
 * - fields the request leaves out take the template's defaults.
 */
import type { JsonObject } from "../engine/spec";
import { isObject } from "../engine/spec";
import { type ValidationFailureJson, ruleFailure } from "./failures";

export const PRIVATE_VALUE = "********";

export type FieldPrivacy = "normal" | "password" | "apiKey" | "userName";
export type FieldValueKind = "string" | "int" | "bool" | "intArray";

/** One settings field of a provider (`[FieldDefinition]` in the apps' sources). */
export interface FieldSpec {
  name: string;
  label: string;
  type: "textbox" | "password" | "checkbox" | "select" | "number" | "url" | "tag";
  kind: FieldValueKind;
  default: unknown;
  privacy?: FieldPrivacy;
  advanced?: boolean;
  helpText?: string;
  unit?: string;
  placeholder?: string;
  selectOptions?: { value: number; name: string; order: number; hint?: string }[];
}

/** A provider implementation (`QBittorrent`, `Sabnzbd`, `Sonarr` application, `FlareSolverr`). */
export interface ProviderTemplate {
  implementation: string;
  implementationName: string;
  configContract: string;
  infoLink: string;
  fields: FieldSpec[];
  /** Resource properties besides the common ones, with their defaults (enable, protocol, ...). */
  extras: JsonObject;
  /**
   * Extras the app derives from the implementation instead of reading them from the request
   * (a download client's `protocol`).
   */
  fixedExtras?: string[];
  /** Settings validator (the settings class's FluentValidation rules). */
  validate?(settings: Record<string, unknown>): ValidationFailureJson[];
  /** Named presets (`presets` in the schema). */
  presets?: { name: string; settings: Record<string, unknown> }[];
  /**
   * False for an app whose fields carry no `privacy` and whose secrets come back in clear (Readarr
   * 0.3's `Field` has no `Privacy`); by default fields say their privacy and secrets are masked.
   */
  fieldPrivacy?: boolean;
}

/** A stored provider definition. */
export interface ProviderRecord {
  id: number;
  name: string;
  implementation: string;
  configContract: string;
  tags: number[];
  settings: Record<string, unknown>;
  /** Values of the template's `extras` keys. */
  extras: JsonObject;
}

function renderField(t: ProviderTemplate, f: FieldSpec, order: number, value: unknown, mask: boolean): JsonObject {
  const privacy = t.fieldPrivacy !== false;
  const out: JsonObject = {
    order,
    name: f.name,
    label: f.label,
    value: privacy && mask && (f.privacy === "password" || f.privacy === "apiKey") && value !== null && value !== undefined && value !== "" ? PRIVATE_VALUE : value,
    type: f.type,
    advanced: f.advanced === true,
    ...(privacy ? { privacy: f.privacy ?? "normal" } : {}),
    isFloat: false,
  };
  if (f.unit !== undefined) out.unit = f.unit;
  if (f.helpText !== undefined) out.helpText = f.helpText;
  if (f.placeholder !== undefined) out.placeholder = f.placeholder;
  if (f.selectOptions !== undefined) out.selectOptions = f.selectOptions;
  if (value === undefined || value === null) delete out.value;
  return out;
}

/** Default settings of a template. */
export function defaultSettings(t: ProviderTemplate): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of t.fields) out[f.name] = structuredClone(f.default);
  return out;
}

/** The resource the app returns for a stored definition (secrets masked). */
export function toResource(rec: ProviderRecord, t: ProviderTemplate): JsonObject {
  return {
    ...structuredClone(rec.extras),
    id: rec.id,
    name: rec.name,
    fields: t.fields.map((f, i) => renderField(t, f, i, rec.settings[f.name], true)),
    implementationName: t.implementationName,
    implementation: t.implementation,
    configContract: t.configContract,
    infoLink: t.infoLink,
    tags: [...rec.tags],
  };
}

/** The `schema` entry of a template (defaults, no id, presets listed). */
export function toSchema(t: ProviderTemplate): JsonObject {
  const presets = (t.presets ?? []).map((p) => ({
    ...structuredClone(t.extras),
    id: 0,
    name: p.name,
    fields: t.fields.map((f, i) => renderField(t, f, i, p.settings[f.name] ?? f.default, false)),
    implementationName: t.implementationName,
    implementation: t.implementation,
    configContract: t.configContract,
    infoLink: t.infoLink,
    tags: [],
    presets: [],
  }));
  return {
    ...structuredClone(t.extras),
    id: 0,
    fields: t.fields.map((f, i) => renderField(t, f, i, f.default, false)),
    implementationName: t.implementationName,
    implementation: t.implementation,
    configContract: t.configContract,
    infoLink: t.infoLink,
    tags: [],
    presets,
  };
}

function coerce(f: FieldSpec, v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (v === null || v === undefined) return { ok: true, value: f.kind === "intArray" ? [] : f.kind === "bool" ? false : f.kind === "int" ? 0 : null };
  switch (f.kind) {
    case "string":
      return typeof v === "string" ? { ok: true, value: v } : typeof v === "number" || typeof v === "boolean" ? { ok: true, value: String(v) } : { ok: false };
    case "int":
      if (typeof v === "number" && Number.isInteger(v)) return { ok: true, value: v };
      if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return { ok: true, value: Number(v.trim()) };
      return { ok: false };
    case "bool":
      if (typeof v === "boolean") return { ok: true, value: v };
      if (v === "true" || v === "false") return { ok: true, value: v === "true" };
      return { ok: false };
    case "intArray":
      if (Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isInteger(x))) return { ok: true, value: v };
      return { ok: false };
  }
}

/** Settings read from a resource's `fields` (`SchemaBuilder.ReadFromSchema`). */
export function readSettings(
  fields: unknown,
  t: ProviderTemplate,
  existing: Record<string, unknown> | undefined,
): { settings: Record<string, unknown>; failures: ValidationFailureJson[] } {
  const settings = defaultSettings(t);
  const failures: ValidationFailureJson[] = [];
  const given = new Map<string, unknown>();
  if (Array.isArray(fields)) {
    for (const f of fields) if (isObject(f) && typeof f.name === "string") given.set(f.name.toLowerCase(), f.value);
  }
  for (const f of t.fields) {
    const key = f.name.toLowerCase();
    if (!given.has(key)) continue;
    const raw = given.get(key);
    if (t.fieldPrivacy !== false && (f.privacy === "password" || f.privacy === "apiKey") && raw === PRIVATE_VALUE && existing !== undefined) {
      settings[f.name] = existing[f.name];
      continue;
    }
    const c = coerce(f, raw);
    if (c.ok) settings[f.name] = c.value;
    else failures.push(ruleFailure(f.name, `The value for '${f.name}' could not be converted (${JSON.stringify(raw)}).`, raw, "FieldConversion"));
  }
  return { settings, failures };
}

/** Capitalised property name as the apps' validators report it (`tvCategory` -> `TvCategory`). */
export function propertyName(field: string): string {
  return field.charAt(0).toUpperCase() + field.slice(1);
}
