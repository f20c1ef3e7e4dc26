import "server-only";
import { z } from "zod";
import type { HttpResult } from "../http";
import { ArrClient, type ArrClientOptions, type ArrFlavor, type CallOptions } from "./client";

/**
 * The *arr "provider" endpoints the integrations write: download clients (Sonarr, Radarr, Lidarr,
 * Prowlarr), Prowlarr's applications and indexer proxies, plus root folders, quality and metadata
 * profiles and tags. One code base (`ProviderControllerBase`, `SchemaBuilder`), so one client: the
 * resource segment is the only difference. Every write sends a resource taken from the app's own
 * `schema` (or from what it returned), so only properties the API describes are ever sent.
 */

/** The provider collections: `/api/vN/<resource>`. */
export type ProviderResourceName = "downloadclient" | "applications" | "indexerproxy";

/** One settings field of a provider (`Field`). */
export const providerFieldSchema = z
  .object({
    name: z.string(),
    value: z.unknown().optional(),
    label: z.string().nullish(),
    privacy: z.string().nullish(),
  })
  .loose();
export type ProviderField = z.infer<typeof providerFieldSchema>;

/** A provider definition (`DownloadClientResource`, `ApplicationResource`, `IndexerProxyResource`). */
export const providerSchema = z
  .object({
    id: z.number().int().optional(),
    name: z.string().nullish(),
    implementation: z.string(),
    configContract: z.string().nullish(),
    fields: z.array(providerFieldSchema).nullish(),
    tags: z.array(z.number().int()).nullish(),
    enable: z.boolean().optional(),
  })
  .loose();
export type ProviderResource = z.infer<typeof providerSchema>;

/** One failure of a provider `test` (FluentValidation's or `NzbDroneValidationFailure`). */
export const validationFailureSchema = z
  .object({
    propertyName: z.string().nullish(),
    errorMessage: z.string().nullish(),
    detailedDescription: z.string().nullish(),
    severity: z.string().nullish(),
    isWarning: z.boolean().nullish(),
  })
  .loose();
export type ValidationFailure = z.infer<typeof validationFailureSchema>;

/** `GET /api/vN/rootfolder` item (Lidarr adds name and default profiles). */
export const rootFolderSchema = z
  .object({
    id: z.number().int(),
    path: z.string(),
    name: z.string().nullish(),
    accessible: z.boolean().nullish(),
    freeSpace: z.number().nullish(),
    totalSpace: z.number().nullish(),
  })
  .loose();
export type RootFolder = z.infer<typeof rootFolderSchema>;

/** A quality or metadata profile, by id and name. */
export const profileSchema = z.object({ id: z.number().int(), name: z.string().nullish() }).loose();
export type Profile = z.infer<typeof profileSchema>;

export const tagSchema = z.object({ id: z.number().int(), label: z.string() }).loose();
export type Tag = z.infer<typeof tagSchema>;

/** What a provider test said: errors make it fail; warnings alone do not. */
export interface ProviderTestResult {
  ok: boolean;
  errors: ValidationFailure[];
  warnings: ValidationFailure[];
}

/** "Authentication Failure: Please verify your credentials." */
export function describeFailure(f: ValidationFailure): string {
  const head = f.errorMessage?.trim() || "Validation failed";
  const detail = f.detailedDescription?.trim();
  return detail ? `${head}: ${detail}` : head;
}

/** Splits the failures of a test or a refused save into errors and warnings. */
export function splitFailures(failures: readonly ValidationFailure[]): ProviderTestResult {
  const warnings = failures.filter((f) => f.isWarning === true || f.severity === "warning" || f.severity === "info");
  const errors = failures.filter((f) => !warnings.includes(f));
  return { ok: errors.length === 0, errors, warnings };
}

const failuresBody = z.union([z.array(validationFailureSchema), z.unknown()]);

/** Client of one *arr instance for its provider, root folder, profile and tag endpoints. */
export class ArrProviderClient extends ArrClient {
  constructor(flavor: ArrFlavor, options: ArrClientOptions) {
    super(flavor, options);
  }

  /** `GET /api/vN/<resource>` (operation `List<Resource>`). */
  async listProviders(resource: ProviderResourceName, options: CallOptions = {}): Promise<ProviderResource[]> {
    return (await this.request({ path: `${this.apiRoot}/${resource}`, schema: z.array(providerSchema), ...options })).data;
  }

  /** `GET /api/vN/<resource>/schema`: one template per implementation, with default values. */
  async providerSchemas(resource: ProviderResourceName, options: CallOptions = {}): Promise<ProviderResource[]> {
    return (await this.request({ path: `${this.apiRoot}/${resource}/schema`, schema: z.array(providerSchema), ...options })).data;
  }

  /** `POST /api/vN/<resource>` (operation `Create<Resource>`): the app tests the provider before saving it. */
  async createProvider(resource: ProviderResourceName, body: ProviderResource, options: CallOptions = {}): Promise<ProviderResource> {
    return (await this.request({ path: `${this.apiRoot}/${resource}`, method: "POST", body, schema: providerSchema, ...options })).data;
  }

  /** `PUT /api/vN/<resource>/{id}` (operation `Update<Resource>`). */
  async updateProvider(resource: ProviderResourceName, id: number, body: ProviderResource, options: CallOptions = {}): Promise<ProviderResource> {
    return (await this.request({ path: `${this.apiRoot}/${resource}/${id}`, method: "PUT", body, schema: providerSchema, ...options })).data;
  }

  /**
   * `POST /api/vN/<resource>/test` (operation `Test<Resource>`): the app's own connection test. A
   * stored definition is tested with its stored secrets when it is sent back with its id and the
   * masked values. A 400 is the test failing, returned as data with the app's messages.
   */
  async testProvider(resource: ProviderResourceName, body: ProviderResource, options: CallOptions = {}): Promise<ProviderTestResult> {
    const r: HttpResult<unknown> = await this.request({
      path: `${this.apiRoot}/${resource}/test`,
      method: "POST",
      body,
      schema: failuresBody,
      acceptStatuses: [400],
      ...options,
    });
    if (r.status !== 400) return { ok: true, errors: [], warnings: [] };
    const failures = z.array(validationFailureSchema).safeParse(r.data);
    if (!failures.success) return { ok: false, errors: [{ errorMessage: `${this.flavor.appName} refused the test request (HTTP 400)` }], warnings: [] };
    return splitFailures(failures.data);
  }

  /** `GET /api/vN/rootfolder`. */
  async listRootFolders(options: CallOptions = {}): Promise<RootFolder[]> {
    return (await this.request({ path: `${this.apiRoot}/rootfolder`, schema: z.array(rootFolderSchema), ...options })).data;
  }

  /** `POST /api/vN/rootfolder` (Lidarr needs a name and default profiles). */
  async createRootFolder(body: Record<string, unknown>, options: CallOptions = {}): Promise<RootFolder> {
    return (await this.request({ path: `${this.apiRoot}/rootfolder`, method: "POST", body, schema: rootFolderSchema, ...options })).data;
  }

  /** `GET /api/vN/qualityprofile`. */
  async listQualityProfiles(options: CallOptions = {}): Promise<Profile[]> {
    return (await this.request({ path: `${this.apiRoot}/qualityprofile`, schema: z.array(profileSchema), ...options })).data;
  }

  /** `GET /api/v1/metadataprofile` (Lidarr). */
  async listMetadataProfiles(options: CallOptions = {}): Promise<Profile[]> {
    return (await this.request({ path: `${this.apiRoot}/metadataprofile`, schema: z.array(profileSchema), ...options })).data;
  }

  /** `GET /api/vN/tag`. */
  async listTags(options: CallOptions = {}): Promise<Tag[]> {
    return (await this.request({ path: `${this.apiRoot}/tag`, schema: z.array(tagSchema), ...options })).data;
  }

  /** `POST /api/vN/tag`: the app answers the existing tag when the label is taken. */
  async createTag(label: string, options: CallOptions = {}): Promise<Tag> {
    return (await this.request({ path: `${this.apiRoot}/tag`, method: "POST", body: { label }, schema: tagSchema, ...options })).data;
  }
}
