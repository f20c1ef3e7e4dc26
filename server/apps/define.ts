import "server-only";
import { isAppError } from "@/lib/errors";
import type { AppCheck, AppHealth, HealthStatus } from "@/lib/services";
import type { AppKind } from "@/lib/apps/catalogue";
import { STATUS_SEVERITY } from "@/lib/services";
import type { LinkDefinition } from "@/server/integrations/types";
import { scrubSecrets } from "./http";

/**
 * The contract of an app module. `defineApp({...})` takes the app's facts, how to build its client
 * for one instance, and how to read its health; it returns an `AppModule` whose `connect(target)`
 * binds one instance (a second Sonarr for 4K is a second instance). Capabilities added later
 * (integrations) are more fields of the definition, so a module lacking one is a compile error
 * where it is required.
 */

/** Where one app instance is reached and with which credentials (resolved by `resolve.ts`). */
export interface AppTarget {
  /** Base URL with the URL base: `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  baseUrl: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** Timeout of one request, in milliseconds. */
  timeoutMs: number;
}

/** Per-call options of a health read. */
export interface ProbeContext {
  /** Aborts every request of the read (the prober's deadline). */
  signal?: AbortSignal;
}

/** Where an app's API key comes from. */
export interface ApiKeySpec {
  /**
   * Key in the apps' Secret, e.g. `SONARR_API_KEY`. A second instance looks for its own key first,
   * named after its workload (`SONARR_4K_API_KEY` for `sonarr-4k`, `GLUETUN_VPN_API_KEY` for `vpn`).
   */
  secretKey: string;
  /** Environment variable the app itself reads its key from, e.g. `SONARR__AUTH__APIKEY`. */
  envConvention?: string;
  /** False when the app answers its health endpoints without a key (then a missing key is no problem). */
  required?: boolean;
}

/** Where an app's user name and password come from (qBittorrent's Web UI login). */
export interface LoginSpec {
  usernameKey: string;
  passwordKey: string;
  defaultUsername?: string;
}

/** Static facts of an app. */
export interface AppFacts<Id extends AppKind> {
  id: Id;
  displayName: string;
  /** Port the app listens on when the Service does not say. */
  defaultPort?: number;
  /**
   * Port to call whatever the Service lists (Gluetun's control server, 8000, is a container port the
   * user's Services usually leave out; the address map can still route `service.namespace:8000`).
   */
  fixedPort?: number;
  /** URL base the app's manifests usually set (`/sonarr`), used when discovery found none. */
  defaultUrlBase?: string;
  apiKey?: ApiKeySpec;
  login?: LoginSpec;
  /**
   * The links this app holds (its download clients, Prowlarr's applications, ...), read and fixed
   * by the Integrations page; defined in the app's `integration.ts`.
   */
  integrations?: readonly LinkDefinition[];
}

/** What a module file passes to `defineApp`. */
export interface AppDefinition<Id extends AppKind, C> extends AppFacts<Id> {
  /** A new client for one instance (instance-scoped state such as a session cookie lives in it). */
  createClient(target: AppTarget): C;
  /** The app's own health. May throw `AppError`s: the module wrapper turns them into data. */
  health(client: C, ctx: ProbeContext): Promise<AppHealth>;
}

/** One app instance bound to its target. */
export interface AppInstance<C = unknown> {
  readonly app: AppKind;
  readonly target: AppTarget;
  readonly client: C;
  /** The app's health; never throws, never carries a secret. */
  health(ctx?: ProbeContext): Promise<AppHealth>;
}

/** A typed app module as listed in the registry. */
export interface AppModule<Id extends AppKind = AppKind, C = unknown> extends AppFacts<Id> {
  connect(target: AppTarget): AppInstance<C>;
}

/** Builds an app module from its definition. */
export function defineApp<Id extends AppKind, C>(definition: AppDefinition<Id, C>): AppModule<Id, C> {
  const { createClient, health, ...facts } = definition;
  return {
    ...facts,
    connect(target: AppTarget): AppInstance<C> {
      const client = createClient(target);
      const secrets = [target.apiKey, target.password];
      return {
        app: definition.id,
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
