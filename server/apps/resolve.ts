import "server-only";
import { createHash } from "node:crypto";
import { AppsV1Api, type KubeConfig, type V1Container } from "@kubernetes/client-node";
import type { PanelConfig } from "@/lib/config-schema";
import { isAppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import { kubeCallOptions } from "@/server/k8s/abort";
import type { AppModule, AppTarget } from "./define";
import { getAppModule } from "./registry";

/**
 * Where to call an app and with which credentials, from a discovered service and the configuration.
 *
 * Address: the Service's in-cluster address (the port equal to the app's usual port when the Service
 * has several), with the URL base, rewritten through `addressMap` (`service.namespace:port` first,
 * then `service.namespace`) for a panel running outside the cluster.
 *
 * API key, first found wins:
 * 1. `apps.credentials.<app>.apiKeyEnv`: a variable of the panel's own environment;
 * 2. `apps.secretRefs.<app>`: that Secret, key `<APP>_API_KEY`;
 * 3. the workload's own variable (`SONARR__AUTH__APIKEY`), a literal or a `secretKeyRef`;
 * 4. `apps.secretRefs.default` (`media/starr-secrets`), key `<APP>_API_KEY`.
 * In a Secret, a second instance's own key (`SONARR_4K_API_KEY` for workload `sonarr-4k`,
 * `GLUETUN_VPN_API_KEY` for workload `vpn`) is looked for before the app's key.
 * A key that cannot be found is not an error here: the probe still runs (the app may be down, which
 * matters more) and, when the app refuses it, the health says what is missing and where.
 * Values are never logged nor put in messages.
 */

/** An environment variable of a workload's container, as far as the key lookup needs it. */
export interface WorkloadEnvVar {
  name: string;
  value?: string;
  secretKeyRef?: { name: string; key: string };
}

/** What resolution needs from the outside (injected in tests). */
export interface ResolveDeps {
  config: Pick<PanelConfig, "addressMap" | "apps">;
  /** `server/k8s/secrets.ts` `readSecretValue`. */
  readSecretValue(namespace: string, name: string, key: string): Promise<string | undefined>;
  /** Environment of the workload's containers (empty when it cannot be read). */
  readWorkloadEnv(service: DiscoveredService): Promise<WorkloadEnvVar[]>;
  /** The panel's own environment. */
  env: Record<string, string | undefined>;
  /** Timeout of one app request. */
  timeoutMs: number;
}

/** A service resolved to a callable app instance. */
export interface AppResolution {
  serviceId: string;
  module: AppModule;
  target: AppTarget;
  /** Why a credential is missing ("API key missing: Secret media/starr-secrets has no SONARR_API_KEY"). */
  credentialProblem?: string;
  /** Where the key or password came from (never the value): "Secret media/starr-secrets, key SONARR_API_KEY". */
  credentialSource?: string;
  /** Changes when the address or a credential changes (a hash; no secret in it). */
  fingerprint: string;
}

function hostOf(service: DiscoveredService): { host: string; svcName: string } {
  if (service.inClusterUrl) {
    try {
      const host = new URL(service.inClusterUrl).hostname;
      return { host, svcName: host.split(".")[0] ?? service.name };
    } catch {
      // fall through
    }
  }
  const svcName = service.service?.name ?? service.name;
  return { host: `${svcName}.${service.namespace}.svc.cluster.local`, svcName };
}

function portOf(service: DiscoveredService, module: AppModule): number | undefined {
  if (module.fixedPort !== undefined) return module.fixedPort;
  const ports = service.service?.ports ?? [];
  if (module.defaultPort !== undefined && ports.some((p) => p.port === module.defaultPort)) return module.defaultPort;
  if (service.inClusterUrl) {
    try {
      const u = new URL(service.inClusterUrl);
      if (u.port) return Number(u.port);
      return u.protocol === "https:" ? 443 : 80;
    } catch {
      // fall through
    }
  }
  return ports[0]?.port ?? module.defaultPort;
}

function normalizeBase(base: string): string {
  const trimmed = base.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** The base URL of an app instance, with its URL base, rewritten through the address map. */
export function baseUrlOf(service: DiscoveredService, module: AppModule, addressMap: Readonly<Record<string, string>>): string {
  const { host, svcName } = hostOf(service);
  const port = portOf(service, module);
  const urlBase = normalizeBase(service.urlBase || module.defaultUrlBase || "");
  const scheme = service.inClusterUrl?.startsWith("https:") ? "https" : "http";
  const key = `${svcName}.${service.namespace}`;
  const mapped = (port !== undefined ? addressMap[`${key}:${port}`] : undefined) ?? addressMap[key];
  if (mapped) return `${mapped.replace(/\/+$/, "")}${urlBase}`;
  return `${scheme}://${host}${port !== undefined ? `:${port}` : ""}${urlBase}`;
}

interface Found {
  value?: string;
  problem?: string;
  source?: string;
}

async function fromSecret(
  deps: ResolveDeps,
  ref: { namespace: string; name: string },
  keys: readonly string[],
  what: string,
  via = "",
): Promise<Found> {
  const where = `Secret ${ref.namespace}/${ref.name}`;
  try {
    for (const key of keys) {
      const value = await deps.readSecretValue(ref.namespace, ref.name, key);
      if (value) return { value, source: `${where}, key ${key}${via}` };
    }
    return { problem: `${what} missing: ${where} has no ${keys.join(" or ")}${via}` };
  } catch (error) {
    const reason = isAppError(error) ? error.message : "the Secret could not be read";
    return { problem: `${what} missing: ${reason}` };
  }
}

function envName(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_|_$/g, "");
}

/** Secret keys to try for an instance: its own (named after the workload) first, then the app's. */
export function secretKeysFor(service: Pick<DiscoveredService, "name">, app: Pick<AppModule, "id">, appKey: string): string[] {
  const suffix = appKey.slice(envName(app.id).length); // "_API_KEY", "_PASSWORD"
  if (!appKey.startsWith(envName(app.id)) || service.name === app.id) return [appKey];
  const workload = envName(service.name);
  const own = workload.startsWith(envName(app.id)) ? `${workload}${suffix}` : `${envName(app.id)}_${workload}${suffix}`;
  return [...new Set([own, appKey])];
}

async function findApiKey(service: DiscoveredService, module: AppModule, deps: ResolveDeps): Promise<Found> {
  const spec = module.apiKey;
  if (!spec) return {};
  const cred = deps.config.apps.credentials?.[module.id];
  if (cred?.apiKeyEnv) {
    const value = deps.env[cred.apiKeyEnv];
    return value ? { value, source: `environment variable ${cred.apiKeyEnv}` } : { problem: `API key missing: environment variable ${cred.apiKeyEnv} is not set` };
  }
  const refs = deps.config.apps.secretRefs;
  const own = refs[module.id];
  const keys = secretKeysFor(service, module, spec.secretKey);
  if (own) return fromSecret(deps, own, keys, "API key");
  if (spec.envConvention) {
    const vars = await deps.readWorkloadEnv(service).catch(() => []);
    const v = vars.find((e) => e.name === spec.envConvention);
    if (v?.value) return { value: v.value, source: `${service.workloadKind} ${service.id}, variable ${v.name}` };
    if (v?.secretKeyRef) {
      return fromSecret(deps, { namespace: service.namespace, name: v.secretKeyRef.name }, [v.secretKeyRef.key], "API key", ` (named by ${v.name})`);
    }
  }
  const fallback = refs.default;
  if (!fallback) return { problem: `API key missing: no apps.secretRefs entry for ${module.id} or default` };
  return fromSecret(deps, fallback, keys, "API key");
}

async function findLogin(service: DiscoveredService, module: AppModule, deps: ResolveDeps): Promise<{ username?: string; password?: string; problem?: string; source?: string }> {
  const spec = module.login;
  if (!spec) return {};
  const cred = deps.config.apps.credentials?.[module.id];
  const ref = deps.config.apps.secretRefs[module.id] ?? deps.config.apps.secretRefs.default;
  let username = cred?.username ?? (cred?.usernameEnv ? deps.env[cred.usernameEnv] : undefined);
  if (cred?.passwordEnv) {
    const password = deps.env[cred.passwordEnv];
    username ??= spec.defaultUsername;
    if (!password) return { username, problem: `${module.displayName} password missing: environment variable ${cred.passwordEnv} is not set` };
    return { username, password, source: `environment variable ${cred.passwordEnv}` };
  }
  if (!ref) return { username: username ?? spec.defaultUsername, problem: `${module.displayName} password missing: no apps.secretRefs entry` };
  const pw = await fromSecret(deps, ref, secretKeysFor(service, module, spec.passwordKey), `${module.displayName} password`);
  if (username === undefined) {
    const u = await fromSecret(deps, ref, secretKeysFor(service, module, spec.usernameKey), "user name");
    username = u.value ?? spec.defaultUsername;
  }
  return { username, password: pw.value, problem: pw.problem, source: pw.source };
}

function fingerprintOf(target: AppTarget): string {
  return createHash("sha256")
    .update(JSON.stringify([target.baseUrl, target.apiKey ?? "", target.username ?? "", target.password ?? "", target.timeoutMs]))
    .digest("hex")
    .slice(0, 16);
}

/** Resolves a discovered service to its app instance target; undefined for kinds without a module. */
export async function resolveApp(service: DiscoveredService, deps: ResolveDeps): Promise<AppResolution | undefined> {
  const app = getAppModule(service.appKind);
  if (!app) return undefined;
  const baseUrl = baseUrlOf(service, app, deps.config.addressMap);
  const [key, login] = await Promise.all([findApiKey(service, app, deps), findLogin(service, app, deps)]);
  const target: AppTarget = {
    baseUrl,
    timeoutMs: deps.timeoutMs,
    ...(key.value ? { apiKey: key.value } : {}),
    ...(login.username ? { username: login.username } : {}),
    ...(login.password ? { password: login.password } : {}),
  };
  const credentialProblem = key.problem ?? login.problem;
  const credentialSource = key.source ?? login.source;
  return {
    serviceId: service.id,
    module: app,
    target,
    ...(credentialProblem ? { credentialProblem } : {}),
    ...(credentialSource ? { credentialSource } : {}),
    fingerprint: fingerprintOf(target),
  };
}

const WORKLOAD_ENV_TTL_MS = 5 * 60_000;

/**
 * Reads the containers' environment of a service's workload through the API (get by name; the
 * informers keep only literal values), cached per workload for 5 minutes. Failures give an empty list.
 */
export function createWorkloadEnvReader(
  kc: KubeConfig | null,
  now: () => number = Date.now,
  timeoutMs = 10_000,
): (service: DiscoveredService) => Promise<WorkloadEnvVar[]> {
  const cache = new Map<string, { at: number; value: Promise<WorkloadEnvVar[]> }>();
  return (service) => {
    if (!kc) return Promise.resolve([]);
    const id = `${service.workloadKind}/${service.id}`;
    const hit = cache.get(id);
    if (hit && now() - hit.at < WORKLOAD_ENV_TTL_MS) return hit.value;
    const api = kc.makeApiClient(AppsV1Api);
    const args = { namespace: service.namespace, name: service.name };
    const options = kubeCallOptions(timeoutMs);
    const read =
      service.workloadKind === "StatefulSet"
        ? api.readNamespacedStatefulSet(args, options)
        : service.workloadKind === "DaemonSet"
          ? api.readNamespacedDaemonSet(args, options)
          : api.readNamespacedDeployment(args, options);
    const value = read
      .then((w) => envOf([...(w.spec?.template.spec?.containers ?? []), ...(w.spec?.template.spec?.initContainers ?? [])]))
      .catch(() => [] as WorkloadEnvVar[]);
    cache.set(id, { at: now(), value });
    return value;
  };
}

function envOf(containers: V1Container[]): WorkloadEnvVar[] {
  const out: WorkloadEnvVar[] = [];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      out.push({ name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(ref?.name ? { secretKeyRef: { name: ref.name, key: ref.key } } : {}) });
    }
  }
  return out;
}
