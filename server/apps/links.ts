import "server-only";
import type { PanelConfig } from "@/lib/config-schema";
import type { FieldDiff, LinkKind, LinkReading, PlanOption } from "@/lib/integrations/types";
import type { AppKind } from "@/lib/apps/catalogue";

/**
 * The contract of a link definition, shared by the app modules (which define their links) and the
 * integrations engine (`server/integrations/engine.ts`, which runs them). Each link the stack needs
 * is one entry, defined beside the app module that holds the setting: how to read it from the app's
 * API and how to write it. The engine finds the instances at both ends, runs `read`, and, under a
 * per-app lock, `apply` followed by a fresh `read` that runs the app's own test.
 */

/** The integrations settings (`integrations.*` in the config). */
export type IntegrationSettings = PanelConfig["integrations"];

/** One end of a link: an app instance found by discovery, with both of its addresses. */
export interface AppEnd {
  app: AppKind;
  /** `namespace/workload`. */
  serviceId: string;
  namespace: string;
  /** "Sonarr", or "Sonarr (sonarr-4k)" when the app runs more than once. */
  name: string;
  /** Where the panel calls it: the in-cluster address rewritten through `addressMap`, with the URL base. */
  panelUrl: string;
  /** Where other apps in the cluster reach it (what the panel writes into the apps). */
  inCluster: { scheme: "http" | "https"; host: string; port: number; urlBase: string; url: string };
  apiKey?: string;
  username?: string;
  password?: string;
  /** Why a credential is missing, in words (never a value). */
  credentialProblem?: string;
  /** Where the key or password came from (Secret and key name, variable), never the value. */
  credentialSource?: string;
  timeoutMs: number;
}

/** What a link's `read` and `apply` get. */
export interface LinkContext {
  from: AppEnd;
  /** The target app; absent for links to a place (root folders). */
  to?: AppEnd;
  /** Every discovered app end, by kind (Prowlarr's own address, Sonarr's root folders for Jellyseerr, ...). */
  ends: ReadonlyMap<AppKind, readonly AppEnd[]>;
  settings: IntegrationSettings;
  /** Choices made in the preview (`qualityProfile`, `rootFolder`), by option name. */
  choices: Readonly<Record<string, string>>;
  /** Every secret value known to the engine: scrubbed from anything shown. */
  secrets: readonly string[];
  /** Whether the app at `end` refuses the panel's login (apps with a login, through their shared instance); always ok for the others. */
  checkLogin(end: AppEnd): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** A cache for failed connection tests (so a wrong password does not make the apps hammer qBittorrent). */
  testCache: FailedTestCache;
  signal?: AbortSignal;
}

/** A failed test result reused for a while; cleared when the link is written. */
export interface FailedTestCache {
  get(key: string): { message: string; appMessages: string[] } | undefined;
  set(key: string, value: { message: string; appMessages: string[] }): void;
  clear(prefix: string): void;
}

/** What `read` observed: the reading without the identity fields the engine adds. */
export interface Observation {
  state: LinkReading["state"];
  message?: string;
  appMessages?: string[];
  diff: FieldDiff[];
  facts?: string[];
  fix?: { verb: "create" | "update"; words: string };
  blocked?: string;
  helpHref?: string;
  /** The change through Git that fixes the link, when only a manifest can (see `LinkReading.gitChange`). */
  gitChange?: LinkReading["gitChange"];
  options?: PlanOption[];
  /** Opaque data `apply` may reuse (the resource read, its id). */
  handle?: unknown;
}

/** What `apply` did. */
export interface WriteResult {
  outcome: "created" | "updated";
  /** Labels of the fields written. */
  changed: string[];
  message: string;
}

/** One link the stack needs. */
export interface LinkDefinition {
  /** `sonarr->qbittorrent`, `prowlarr->sonarr`, `sonarr->rootfolder`. */
  id: string;
  kind: LinkKind;
  /** The app that holds the setting (the one written to). */
  from: AppKind;
  /** The app it points to, or `storage` for root folders. */
  to: AppKind | "storage";
  /** Name of a target that is not an app ("Root folder"). */
  targetName?: string;
  /** "download client", "application (full sync)". */
  title: string;
  /**
   * Order of application: a link of phase 2 may rely on phase 1 (Jellyseerr picks Sonarr's root
   * folder, which the root-folder link creates).
   */
  phase: 1 | 2;
  /** `each`: one link per target instance (Prowlarr -> every Sonarr); `first`: one link to the first target. */
  pairing: "each" | "first";
  read(ctx: LinkContext): Promise<Observation>;
  /** Writes the change `read` planned; `observation` is the fresh read taken under the app's lock. */
  apply(ctx: LinkContext, observation: Observation): Promise<WriteResult>;
}
