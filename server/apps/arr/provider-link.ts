import "server-only";
import { describeDiff, diffFields, normalizeHost, normalizeUrl, type DesiredField } from "@/lib/integrations/diff";
import { AppHttpError, scrubSecrets } from "../http";
import type { LinkContext, Observation, WriteResult } from "../links";
import { describeFailure, type ArrProviderClient, type ProviderField, type ProviderResource, type ProviderResourceName } from "./providers";

/**
 * One *arr provider the panel keeps right (a download client in Sonarr, an application or indexer
 * proxy in Prowlarr): read it, compare it field by field, test it with the app's own `test`, and
 * create or update it from the app's `schema` template.
 */
export interface ProviderLinkSpec {
  resource: ProviderResourceName;
  /** `QBittorrent`, `Sabnzbd`, `Sonarr`, `FlareSolverr`. */
  implementation: string;
  /** Name of a definition the panel creates ("qBittorrent"). */
  name: string;
  /** Settings fields to set, with how to compare them; secret fields carry `secret: true`. */
  fields: DesiredField[];
  /** Top-level properties to set (`enable`, `syncLevel`). */
  properties?: DesiredField[];
  /** Field naming the target (`host`, `baseUrl`): a definition pointing there is the one to keep right. */
  targetField: string;
  /** Namespace of the app holding the setting (a bare Service name there means `<name>.<namespace>`). */
  namespace: string;
  /** Secret values to send, by field name (never shown). */
  secretValues: Readonly<Record<string, string | undefined>>;
  /** Tag labels a created definition gets (Prowlarr's FlareSolverr proxy applies to indexers with its tag). */
  tags?: string[];
  /** "Sonarr" (the app holding it), "qBittorrent" (the target), "download client". */
  appName: string;
  targetName: string;
  what: string;
}

/** Data a read passes to apply. */
interface ProviderHandle {
  existing?: ProviderResource;
}

function fieldValues(resource: ProviderResource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of resource.fields ?? []) out[f.name] = f.value;
  return out;
}

function pointsAt(resource: ProviderResource, spec: ProviderLinkSpec, desired: unknown): boolean {
  const current = fieldValues(resource)[spec.targetField];
  if (typeof current !== "string" || typeof desired !== "string") return false;
  return /^https?:\/\//i.test(desired)
    ? normalizeUrl(current, spec.namespace).split(":").slice(0, 2).join(":") === normalizeUrl(desired, spec.namespace).split(":").slice(0, 2).join(":")
    : normalizeHost(current, spec.namespace) === normalizeHost(desired, spec.namespace);
}

/** The definition to keep right: the one pointing at the target, else the one with the panel's name. */
export function pickProvider(list: readonly ProviderResource[], spec: ProviderLinkSpec): ProviderResource | undefined {
  const same = list.filter((p) => p.implementation.toLowerCase() === spec.implementation.toLowerCase());
  const target = spec.fields.find((f) => f.field === spec.targetField)?.value;
  return same.find((p) => pointsAt(p, spec, target)) ?? same.find((p) => (p.name ?? "").toLowerCase() === spec.name.toLowerCase());
}

function scrubAll(texts: string[], ctx: LinkContext, spec: ProviderLinkSpec): string[] {
  const secrets = [...ctx.secrets, ...Object.values(spec.secretValues)];
  return texts.map((t) => scrubSecrets(t, secrets));
}

/** Reads the provider: missing, misconfigured (with the diff), broken (the app's test message) or ok. */
export async function readProvider(client: ArrProviderClient, spec: ProviderLinkSpec, ctx: LinkContext, cacheKey: string): Promise<Observation> {
  const list = await client.listProviders(spec.resource, { signal: ctx.signal });
  const existing = pickProvider(list, spec);
  if (!existing) {
    return {
      state: "missing",
      message: `${spec.appName} has no ${spec.what} for ${spec.targetName}.`,
      diff: [],
      fix: { verb: "create", words: `Create the ${spec.what} "${spec.name}" in ${spec.appName}, pointing at ${spec.targetName}.` },
      handle: {} satisfies ProviderHandle,
    };
  }
  const diff = [
    ...diffFields(spec.fields, fieldValues(existing), { namespace: spec.namespace }),
    ...diffFields(spec.properties ?? [], existing as Record<string, unknown>, { namespace: spec.namespace }),
  ];
  const name = existing.name ?? spec.name;
  if (diff.length > 0) {
    return {
      state: "misconfigured",
      message: `${spec.appName}'s ${spec.what} "${name}" differs: ${describeDiff(diff)}.`,
      diff,
      fix: { verb: "update", words: `Update the ${spec.what} "${name}" in ${spec.appName}: ${describeDiff(diff)}.` },
      handle: { existing } satisfies ProviderHandle,
    };
  }
  const key = `${cacheKey}|${JSON.stringify(existing)}`;
  const cached = ctx.testCache.get(key);
  let failure = cached;
  let facts: string[] = [];
  if (!failure) {
    const result = await client.testProvider(spec.resource, existing, { signal: ctx.signal });
    if (!result.ok) {
      const appMessages = scrubAll(result.errors.map(describeFailure), ctx, spec);
      failure = { message: `${spec.appName}'s test of "${name}" fails: ${appMessages[0] ?? "no reason given"}`, appMessages };
      ctx.testCache.set(key, failure);
    }
    facts = scrubAll(result.warnings.map((w) => `${spec.appName} warns: ${describeFailure(w)}`), ctx, spec);
  } else {
    facts = ["test result from the last minute (not repeated, so qBittorrent is not asked to log in again)"];
  }
  if (failure) {
    return {
      state: "broken",
      message: failure.message,
      appMessages: failure.appMessages,
      diff: [],
      facts,
      fix: { verb: "update", words: `Write the ${spec.what} "${name}" in ${spec.appName} again with the configured address and credentials, then test it.` },
      handle: { existing } satisfies ProviderHandle,
    };
  }
  return { state: "ok", diff: [], facts: [`"${name}" tested by ${spec.appName}: OK`, ...facts], handle: { existing } satisfies ProviderHandle };
}

function withFields(fields: readonly ProviderField[], spec: ProviderLinkSpec): ProviderField[] {
  const out = fields.map((f) => ({ ...f }));
  for (const d of spec.fields) {
    const f = out.find((x) => x.name.toLowerCase() === d.field.toLowerCase());
    if (!f) {
      throw new AppHttpError("invalid_response", `${spec.appName}'s ${spec.implementation} schema has no field "${d.field}"`, 200, [], spec.appName.toLowerCase());
    }
    // A secret the panel does not hold keeps what the app has (a masked value is kept by the app).
    f.value = d.secret ? (spec.secretValues[d.field] ?? f.value ?? null) : d.value;
  }
  return out;
}

async function tagIds(client: ArrProviderClient, labels: readonly string[], signal?: AbortSignal): Promise<number[]> {
  if (labels.length === 0) return [];
  const tags = await client.listTags({ signal });
  const ids: number[] = [];
  for (const label of labels) {
    const found = tags.find((t) => t.label.toLowerCase() === label.toLowerCase()) ?? (await client.createTag(label, { signal }));
    ids.push(found.id);
  }
  return ids;
}

/** Creates the provider from the app's template, or updates the one read, with the desired values. */
export async function applyProvider(client: ArrProviderClient, spec: ProviderLinkSpec, observation: Observation, ctx: LinkContext): Promise<WriteResult> {
  const { existing } = (observation.handle ?? {}) as ProviderHandle;
  const props = Object.fromEntries((spec.properties ?? []).map((p) => [p.field, p.value]));
  if (!existing) {
    const templates = await client.providerSchemas(spec.resource, { signal: ctx.signal });
    const template = templates.find((t) => t.implementation.toLowerCase() === spec.implementation.toLowerCase());
    if (!template) {
      throw new AppHttpError("not_found", `${spec.appName} offers no ${spec.implementation} ${spec.what} (its schema lacks it)`, 200, [], spec.appName.toLowerCase());
    }
    const body: ProviderResource = { ...template, ...props, name: spec.name, fields: withFields(template.fields ?? [], spec), tags: await tagIds(client, spec.tags ?? [], ctx.signal) };
    delete (body as Record<string, unknown>).presets;
    delete (body as Record<string, unknown>).id;
    await client.createProvider(spec.resource, body, { signal: ctx.signal });
    return { outcome: "created", changed: [...spec.fields, ...(spec.properties ?? [])].map((f) => f.label), message: `Created the ${spec.what} "${spec.name}" in ${spec.appName}.` };
  }
  if (existing.id === undefined) throw new AppHttpError("invalid_response", `${spec.appName} listed a ${spec.what} without an id`, 200, [], spec.appName.toLowerCase());
  const body: ProviderResource = { ...existing, ...props, fields: withFields(existing.fields ?? [], spec) };
  await client.updateProvider(spec.resource, existing.id, body, { signal: ctx.signal });
  const changed = observation.diff.length > 0 ? observation.diff.map((d) => d.label) : spec.fields.filter((f) => f.secret).map((f) => f.label);
  return { outcome: "updated", changed, message: `Updated the ${spec.what} "${existing.name ?? spec.name}" in ${spec.appName}.` };
}
