import "server-only";
import type { ConfigVolumeFacts } from "@/lib/backups/config-volume";
import { APP_CATALOGUE, type CredentialFacts, type KnownAppKind } from "@/lib/apps/catalogue";
import { isAppError } from "@/lib/errors";
import type { VpnObservation } from "@/lib/integrations/vpn";
import type { AppCheck, AppHealth, HealthStatus, UrlBaseOutcome } from "@/lib/services";
import { STATUS_SEVERITY } from "@/lib/services";
import { scrubSecrets } from "./http";
import type { LinkDefinition } from "./links";

/**
 * The contract of an app module. `defineApp({...})` takes the app's id (its facts come from its
 * entry in the app catalogue, `lib/apps/catalogue.ts`), how to build its client for one instance,
 * how to read its health, and its capabilities; it returns an `AppModule` whose `connect(target)`
 * binds one instance (a second Sonarr for 4K is a second instance). Whoever needs a capability
 * (the key check, the integrations engine, the VPN check) loops over the registry and asks each
 * module for it: no code outside an app's folder names the app. A capability the app's credential
 * makes necessary (checking a key, logging in) is required by the types: a module without it does
 * not compile.
 */

/** Where one app instance is reached and with which credentials (resolved by `resolve.ts`). */
export interface AppTarget {
  /** Base URL with the URL base: `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  baseUrl: string;
  /** The URL base inside `baseUrl` (`/sonarr`; `""` or absent for the root). */
  urlBase?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** Timeout of one request, in milliseconds. */
  timeoutMs: number;
}

/** Per-call options of an app read (health, key check, login). */
export interface CallContext {
  /** Aborts every request of the call (the prober's deadline, the page's timeout). */
  signal?: AbortSignal;
}

/** Per-call options of a health read. */
export type ProbeContext = CallContext;

/** Static facts of an app module, from its catalogue entry. */
export interface AppFacts<Id extends KnownAppKind> {
  id: Id;
  displayName: string;
  /** Port the app listens on when the Service does not say. */
  defaultPort?: number;
  /** Port to call whatever the Service lists (Gluetun's control server). */
  fixedPort?: number;
  /**
   * Path of the endpoint served on `fixedPort` (a controller's health server): a container probe of
   * this path names the port the workload really uses, and a pod address is called when no Service
   * port reaches it.
   */
  statusPath?: string;
  /** URL base the app serves under when discovery found none (`""`: the root). */
  defaultUrlBase: string;
  /** How the app's key or login is found. */
  credential: CredentialFacts;
}

/**
 * The download-client role: the *arr apps can send downloads to this app, and the Integrations page
 * wires it into each of them. The credential fields follow the app's credential (a login, or a key).
 */
export interface DownloadClientRole {
  /** The implementation name in the *arr apps' download-client schema (`QBittorrent`, `Sabnzbd`). */
  implementation: string;
}

/**
 * The VPN role: the app is a VPN client running as a sidecar of download clients (Gluetun), and its
 * control server says where their traffic leaves the tunnel. The VPN check reads it for every
 * workload that runs it beside another app.
 */
export interface VpnRole<C> {
  /** Whether the VPN runs and its exit address (errors are returned as `error`, never thrown). */
  observe(client: C, ctx: CallContext): Promise<VpnObservation>;
}

/** One backup an app holds, as its own API lists it. */
export interface AppBackup {
  /** The app's id of the backup (what a restore or a download names). */
  id: string;
  name: string;
  /** ISO time the app made it. */
  createdAt: string;
  sizeBytes?: number;
  /** The app's word for why it was made (`scheduled`, `manual`, `update`), when it says. */
  kind?: string;
}

/**
 * Backup through the app's own API (the *arr `system/backup` and `Backup` command, Bazarr's
 * `system/backups`): the slot the backups feature fills for apps that have one.
 */
export interface BackupCapability<C> {
  /** The backups the app holds, newest first. */
  list(client: C, ctx: CallContext): Promise<AppBackup[]>;
  /** Asks the app to make a backup now; resolves with it once the app lists it. */
  create(client: C, ctx: CallContext): Promise<AppBackup>;
}

/** Restore of one of the app's own backups through its API: the slot the restore feature fills. */
export interface RestoreCapability<C> {
  /** Restores the backup `backupId` (the app restarts to apply it). */
  restore(client: C, backupId: string, ctx: CallContext): Promise<void>;
}

/**
 * Where the app keeps its configuration and what a volume backup of it must know (what to skip,
 * what must parse, what exists only while it runs): the facts "enable backups" and the backup Jobs use.
 */
export type ConfigVolume = ConfigVolumeFacts;

/** The runbook page of an app: what to check when it is down, linked from its service page. */
export interface Runbook {
  /** Path of the page under the runbook base URL (the Settings page's), e.g. `sonarr`. */
  path: string;
}

/** A key check: one authenticated read that resolves when the app accepts the credential and throws its AppError when not. */
export type CredentialCheck<C> = (client: C, ctx: CallContext) => Promise<void>;

/** Capabilities every module may have, whatever its credential. */
interface OptionalCapabilities<C> {
  /**
   * The links this app holds (its download clients, Prowlarr's applications, ...), read and fixed by
   * the Integrations page. Given every registered module, so a link to "every download client" or
   * "every app Prowlarr can sync to" needs no list of app ids.
   */
  integrations?: (apps: readonly AppModule[]) => readonly LinkDefinition[];
  downloadClient?: DownloadClientRole;
  vpn?: VpnRole<C>;
  backup?: BackupCapability<C>;
  restore?: RestoreCapability<C>;
  configVolume?: ConfigVolume;
  runbook?: Runbook;
}

type CredentialTypeOf<Id extends KnownAppKind> = (typeof APP_CATALOGUE)[Id]["credential"]["type"];

/**
 * Capabilities the app's credential requires: a key needs `checkCredentials`; a login needs
 * `checkCredentials` and `login` (a session the instance keeps); an app without credential has neither.
 */
type CredentialCapabilities<Id extends KnownAppKind, C> =
  CredentialTypeOf<Id> extends "none"
    ? { checkCredentials?: never; login?: never }
    : CredentialTypeOf<Id> extends "login"
      ? { checkCredentials: CredentialCheck<C>; login: CredentialCheck<C> }
      : { checkCredentials: CredentialCheck<C>; login?: never };

/** What a module file passes to `defineApp`. */
export type AppDefinition<Id extends KnownAppKind, C> = {
  id: Id;
  /** A new client for one instance (instance-scoped state such as a session cookie lives in it). */
  createClient(target: AppTarget): C;
  /** The app's own health. May throw `AppError`s: the module turns them into data. */
  health(client: C, ctx: ProbeContext): Promise<AppHealth>;
} & CredentialCapabilities<Id, C> &
  OptionalCapabilities<C>;

/** One app instance bound to its target. */
export interface AppInstance<C = unknown> {
  readonly app: KnownAppKind;
  readonly target: AppTarget;
  readonly client: C;
  /** The app's health; never throws, never carries a secret. */
  health(ctx?: ProbeContext): Promise<AppHealth>;
  /** One authenticated read; throws the app's AppError when the credential is refused. Absent for apps without credential. */
  checkCredentials?(ctx?: CallContext): Promise<void>;
  /** Logs in (apps with a login); throws `unauthorized` when refused. */
  login?(ctx?: CallContext): Promise<void>;
  /** The VPN's state (apps with the VPN role). */
  observeVpn?(ctx?: CallContext): Promise<VpnObservation>;
}

/** A typed app module as listed in the registry. */
export interface AppModule<Id extends KnownAppKind = KnownAppKind, C = unknown> extends AppFacts<Id> {
  connect(target: AppTarget): AppInstance<C>;
  /** The links this app holds, given every registered module (none by default). */
  integrations(apps: readonly AppModule[]): readonly LinkDefinition[];
  /** True when the app's credential is a login (the instance keeps a session). */
  readonly hasLogin: boolean;
  readonly downloadClient?: DownloadClientRole;
  /** True for a VPN client (its keys are shown with the VPN, not with the apps' keys). */
  readonly isVpn: boolean;
  readonly backup?: BackupCapability<C>;
  readonly restore?: RestoreCapability<C>;
  readonly configVolume?: ConfigVolume;
  readonly runbook?: Runbook;
}

/** The definition with every capability optional (how `defineApp` reads it). */
type AnyDefinition<C> = {
  id: KnownAppKind;
  createClient(target: AppTarget): C;
  health(client: C, ctx: ProbeContext): Promise<AppHealth>;
  checkCredentials?: CredentialCheck<C>;
  login?: CredentialCheck<C>;
} & OptionalCapabilities<C>;

/** A module's facts from its catalogue entry. */
export function factsOf<Id extends KnownAppKind>(id: Id): AppFacts<Id> {
  const entry = APP_CATALOGUE[id];
  return {
    id,
    displayName: entry.label,
    ...(entry.port !== null ? { defaultPort: entry.port } : {}),
    ...(entry.fixedPort !== null ? { fixedPort: entry.fixedPort } : {}),
    defaultUrlBase: entry.urlBase,
    credential: entry.credential,
  };
}

/** Builds an app module from its definition; its facts come from the catalogue. */
export function defineApp<Id extends KnownAppKind, C>(definition: AppDefinition<Id, C>): AppModule<Id, C> {
  const def = definition as unknown as AnyDefinition<C>;
  const facts = factsOf(definition.id);
  const { createClient, health, checkCredentials, login, vpn } = def;
  return {
    ...facts,
    hasLogin: facts.credential.type === "login",
    isVpn: vpn !== undefined,
    integrations: (apps) => def.integrations?.(apps) ?? [],
    ...(def.downloadClient ? { downloadClient: def.downloadClient } : {}),
    ...(def.backup ? { backup: def.backup } : {}),
    ...(def.restore ? { restore: def.restore } : {}),
    ...(def.configVolume ? { configVolume: def.configVolume } : {}),
    ...(def.runbook ? { runbook: def.runbook } : {}),
    connect(target: AppTarget): AppInstance<C> {
      const client = createClient(target);
      const secrets = [target.apiKey, target.password];
      return {
        app: facts.id,
        target,
        client,
        async health(ctx: ProbeContext = {}): Promise<AppHealth> {
          let result: AppHealth;
          try {
            result = await health(client, ctx);
          } catch (error) {
            result = healthFromError(error);
          }
          return scrubHealth(result, secrets);
        },
        ...(checkCredentials ? { checkCredentials: (ctx: CallContext = {}) => checkCredentials(client, ctx) } : {}),
        ...(login ? { login: (ctx: CallContext = {}) => login(client, ctx) } : {}),
        ...(vpn ? { observeVpn: (ctx: CallContext = {}) => vpn.observe(client, ctx) } : {}),
      };
    },
  };
}

/** Health status for a failed main request: a refused key means "we cannot tell", anything else is down. */
export function healthFromError(error: unknown, latencyMs?: number): AppHealth {
  if (isAppError(error)) {
    const status: HealthStatus = error.code === "unauthorized" || error.code === "forbidden" ? "unknown" : "down";
    return { status, checks: [], detail: error.message, errorCode: error.code, ...(latencyMs !== undefined ? { latencyMs } : {}) };
  }
  return { status: "down", checks: [], detail: "The health check failed inside the panel (see its log).", errorCode: "internal" };
}

/** The worst of some statuses (`up` for none). */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = "up";
  for (const s of statuses) if (STATUS_SEVERITY[s] > STATUS_SEVERITY[worst]) worst = s;
  return worst;
}

/**
 * Folds a reachable app's checks into its status: any error check -> degraded (the app answers, but
 * reports a problem), warnings too; notices are informational.
 */
export function statusFromChecks(checks: AppCheck[]): HealthStatus {
  return checks.some((c) => c.status === "down" || c.status === "degraded") ? "degraded" : "up";
}

/**
 * The one-line summary of the worst check: "Sonarr reports: <its message>" for the app's own
 * report, the panel's observation as is. Undefined when every check is fine.
 */
export function detailOf(appName: string, checks: AppCheck[]): string | undefined {
  const worst = checks.find((c) => c.status === "down") ?? checks.find((c) => c.status === "degraded");
  if (!worst) return undefined;
  return worst.origin === "probe" ? worst.message : `${appName} reports: ${worst.message}`;
}

function scrubHealth(health: AppHealth, secrets: Array<string | undefined>): AppHealth {
  const scrub = (s: string): string => scrubSecrets(s, secrets);
  return {
    ...health,
    ...(health.detail !== undefined ? { detail: scrub(health.detail) } : {}),
    ...(health.version !== undefined ? { version: scrub(health.version) } : {}),
    checks: health.checks.map((c) => ({ ...c, name: scrub(c.name), message: scrub(c.message) })),
  };
}

/** A service resolved to a callable app instance (by `resolve.ts`). */
export interface AppResolution {
  serviceId: string;
  module: AppModule;
  target: AppTarget;
  /** Why a credential is missing or unreadable ("API key missing: Secret media/starr-secrets has no SONARR_API_KEY"). */
  credentialProblem?: string;
  /** What kept the credential from the panel: nothing where it looked, a refusal to read it, or a failed read. */
  credentialError?: CredentialError;
  /** Where the key or password came from (never the value): "Secret media/starr-secrets, key SONARR_API_KEY". */
  credentialSource?: string;
  /** Changes when the address or a credential changes (a hash; no secret in it). */
  fingerprint: string;
  /** The URL base used and why (see `url-base.ts`). */
  urlBase?: UrlBaseOutcome;
  /** True when the URL base was decided by this resolution (requests were made), false when it was remembered. */
  urlBaseCheckedNow?: boolean;
  /** The app's address in the cluster with that URL base (no address map). */
  inClusterUrl?: string;
}

/**
 * Why a credential is not available: `missing` (not where the panel looked), `forbidden` (the
 * cluster refuses the panel the Secret or the workload: RBAC), `unreadable` (the read failed: the
 * API server is unreachable, timed out, or refused the panel's own credentials), `withheld` (the
 * panel has it but does not send it to this workload: see `keyRefusal` in `resolve.ts`).
 */
export type CredentialError = "missing" | "forbidden" | "unreadable" | "withheld";
