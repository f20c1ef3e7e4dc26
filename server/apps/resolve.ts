import "server-only";
import { createHash } from "node:crypto";
import type { CredentialFacts } from "@/lib/apps/catalogue";
import type { PanelConfig } from "@/lib/config-schema";
import { isAppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import { normalizeUrlBase } from "@/lib/url-base";
import type { WorkloadEnvVar, WorkloadRef } from "@/server/k8s/workloads";
import type { AppModule, AppResolution, AppTarget, CredentialError } from "./define";
import { getHealthModule } from "./registry";
import type { UrlBaseVerifier } from "./url-base";

/**
 * Where to call an app and with which credentials, from a discovered service and the configuration.
 *
 * Address: the Service's in-cluster address (the port equal to the app's usual port when the Service
 * has several), with the URL base, rewritten through `addressMap` (`service.namespace:port` first,
 * then `service.namespace`) for a panel running outside the cluster. The URL base is the one the
 * verifier (`url-base.ts`) found the app answering under, when one is given. An endpoint on a port of
 * its own (a controller's health server) is called on the port the workload's probe of that path
 * names, through a Service port that reaches it, else on a ready pod's address.
 *
 * API key, first found wins:
 * 1. `apps.credentials.<app>.apiKeyEnv`: a variable of the panel's own environment;
 * 2. `apps.secretRefs.<app>`: that Secret, key `<APP>_API_KEY`;
 * 3. the workload's own variable (`SONARR__AUTH__APIKEY`), a literal, a `secretKeyRef`, or a key of a
 *    Secret the container takes whole by `envFrom` (less its `prefix`);
 * 4. `apps.secretRefs.default` (`media/starr-secrets`), key `<APP>_API_KEY`.
 * In a Secret, a second instance's own key (`SONARR_4K_API_KEY` for workload `sonarr-4k`,
 * `GLUETUN_VPN_API_KEY` for workload `vpn`) is looked for before the app's key.
 * A key that cannot be found is not an error here: the probe still runs (the app may be down, which
 * matters more) and, when the app refuses it, the health says what is missing and where.
 * Values are never logged nor put in messages.
 *
 * Who may receive it (`keyRefusal`): a credential goes only to a workload in the namespace it comes
 * from (the Secret's; the panel's own environment counts as the namespace of the app's Secret
 * reference) behind a ClusterIP Service. Anything else (another namespace, a NodePort or
 * LoadBalancer Service, no Service) only when `apps.keyRecipients` names the workload; an
 * ExternalName Service never, since its address is a name outside the cluster. A workload refused
 * its credential is still probed, without it, and says why.
 */

/** What resolution needs from the outside (injected in tests). */
export interface ResolveDeps {
  config: { addressMap: PanelConfig["addressMap"]; apps: Pick<PanelConfig["apps"], "secretRefs" | "credentials"> & { keyRecipients?: readonly string[] } };
  /** A key of a Secret (`server/k8s/secrets.ts`); throws the read's AppError (`forbidden`, `not_found`, ...). */
  readSecretValue(namespace: string, name: string, key: string): Promise<string | undefined>;
  /** Environment of a workload's containers (`server/k8s/workloads.ts`); throws the read's AppError. */
  readWorkloadEnv(workload: WorkloadRef): Promise<WorkloadEnvVar[]>;
  /** The panel's own environment. */
  env: Record<string, string | undefined>;
  /** Timeout of one app request. */
  timeoutMs: number;
  /** Verifies the URL base against the app; without it the discovered guess is used. */
  urlBases?: UrlBaseVerifier;
}

/** Per-call options of a resolution. */
export interface ResolveContext {
  /** Aborts the URL base verification's requests (the prober's deadline). */
  signal?: AbortSignal;
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

function portOf(service: DiscoveredService, module: Pick<AppModule, "fixedPort" | "defaultPort" | "statusPath">): number | undefined {
  if (module.fixedPort !== undefined) return (module.statusPath !== undefined ? service.probePorts?.[module.statusPath] : undefined) ?? module.fixedPort;
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

/**
 * For an endpoint on a container port of its own: the Service port that reaches it, else a ready
 * pod's address (`host` undefined: keep the Service's host).
 */
function ownPortAddress(service: DiscoveredService, containerPort: number): { host?: string; port: number } | undefined {
  const exposed = (service.service?.ports ?? []).find((p) => (p.targetPort ?? p.port) === containerPort);
  if (exposed) return { port: exposed.port };
  const pod = service.kube.pods.find((p) => p.ready && p.podIP) ?? service.kube.pods.find((p) => p.podIP);
  return pod?.podIP ? { host: pod.podIP.includes(":") ? `[${pod.podIP}]` : pod.podIP, port: containerPort } : undefined;
}

/** The base URL of an app instance, with its URL base, rewritten through the address map. */
export function baseUrlOf(
  service: DiscoveredService,
  module: Pick<AppModule, "fixedPort" | "defaultPort" | "defaultUrlBase" | "statusPath">,
  addressMap: Readonly<Record<string, string>>,
): string {
  const { host, svcName } = hostOf(service);
  const port = portOf(service, module);
  const urlBase = normalizeUrlBase(service.urlBase || module.defaultUrlBase);
  const scheme = service.inClusterUrl?.startsWith("https:") ? "https" : "http";
  const key = `${svcName}.${service.namespace}`;
  const mapped = (port !== undefined ? addressMap[`${key}:${port}`] : undefined) ?? addressMap[key];
  if (mapped && (module.statusPath === undefined || addressMap[`${key}:${port}`] !== undefined)) return `${mapped.replace(/\/+$/, "")}${urlBase}`;
  if (module.statusPath !== undefined && port !== undefined) {
    const own = ownPortAddress(service, port);
    if (own) return `${scheme}://${own.host ?? host}:${own.port}${urlBase}`;
  }
  return `${scheme}://${host}${port !== undefined ? `:${port}` : ""}${urlBase}`;
}

interface Found {
  value?: string;
  problem?: string;
  error?: CredentialError;
  source?: string;
  /** Namespace the credential belongs to (its Secret's, or the one the panel's environment stands for). */
  home?: string;
}

/** The kind of failure behind a credential read, and how it is worded. */
function failureOf(error: unknown): { error: CredentialError; reason: string } {
  if (!isAppError(error)) return { error: "unreadable", reason: "it could not be read" };
  if (error.code === "not_found") return { error: "missing", reason: error.message };
  return { error: error.code === "forbidden" ? "forbidden" : "unreadable", reason: error.message };
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
      if (value) return { value, source: `${where}, key ${key}${via}`, home: ref.namespace };
    }
    return { problem: `${what} missing: ${where} has no ${keys.join(" or ")}${via}`, error: "missing" };
  } catch (error) {
    const failure = failureOf(error);
    return { problem: `${what} ${failure.error === "missing" ? "missing" : "not readable"}: ${failure.reason}`, error: failure.error };
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

type ApiKeyFacts = Extract<CredentialFacts, { type: "api-key" }>;
type LoginFacts = Extract<CredentialFacts, { type: "login" }>;

/** The key from the variable the app itself reads (`SONARR__AUTH__APIKEY`): a literal, or the Secret it names. */
async function fromWorkloadEnv(service: DiscoveredService, variable: string, deps: ResolveDeps): Promise<Found> {
  let vars: WorkloadEnvVar[];
  try {
    vars = await deps.readWorkloadEnv({ kind: service.workloadKind, namespace: service.namespace, name: service.name });
  } catch (error) {
    const failure = failureOf(error);
    return { problem: `API key not readable: ${variable} of ${service.workloadKind} ${service.id} could not be read (${failure.reason})`, error: failure.error };
  }
  const v = vars.find((e) => e.name === variable);
  if (v?.value) return { value: v.value, source: `${service.workloadKind} ${service.id}, variable ${v.name}`, home: service.namespace };
  if (v?.secretKeyRef) {
    return fromSecret(deps, { namespace: service.namespace, name: v.secretKeyRef.name }, [v.secretKeyRef.key], "API key", ` (named by ${v.name})`);
  }
  // A Secret the container takes whole: the variable is its key less the prefix (env wins over envFrom).
  for (const e of vars) {
    if (!e.envFrom || !variable.startsWith(e.envFrom.prefix)) continue;
    const found = await fromSecret(deps, { namespace: service.namespace, name: e.envFrom.secretName }, [variable.slice(e.envFrom.prefix.length)], "API key", ` (envFrom, as ${variable})`);
    if (found.value || (found.error && found.error !== "missing")) return found;
  }
  return {};
}

async function findApiKey(service: DiscoveredService, module: AppModule, spec: ApiKeyFacts, deps: ResolveDeps): Promise<Found> {
  const cred = deps.config.apps.credentials?.[module.id];
  if (cred?.apiKeyEnv) {
    const value = deps.env[cred.apiKeyEnv];
    return value
      ? { value, source: `environment variable ${cred.apiKeyEnv}`, ...envHome(module, deps) }
      : { problem: `API key missing: environment variable ${cred.apiKeyEnv} is not set`, error: "missing" };
  }
  const refs = deps.config.apps.secretRefs;
  const own = refs[module.id];
  const keys = secretKeysFor(service, module, spec.secretKey);
  if (own) return fromSecret(deps, own, keys, "API key");
  const fromEnv = spec.workloadEnv ? await fromWorkloadEnv(service, spec.workloadEnv, deps) : {};
  if (fromEnv.value || (fromEnv.problem && fromEnv.error !== "forbidden" && fromEnv.error !== "unreadable")) return fromEnv;
  const fallback = refs.default;
  if (!fallback) return fromEnv.problem ? fromEnv : { problem: `API key missing: no apps.secretRefs entry for ${module.id} or default`, error: "missing" };
  const found = await fromSecret(deps, fallback, keys, "API key");
  // The workload could not be read and the Secret has no key either: the refusal is the reason.
  if (!found.value && fromEnv.problem) return { ...fromEnv, problem: `${fromEnv.problem}; ${found.problem ?? ""}`.replace(/; $/, "") };
  return found;
}

async function findLogin(service: DiscoveredService, module: AppModule, spec: LoginFacts, deps: ResolveDeps): Promise<Found & { username?: string }> {
  const cred = deps.config.apps.credentials?.[module.id];
  const ref = deps.config.apps.secretRefs[module.id] ?? deps.config.apps.secretRefs.default;
  let username = cred?.username ?? (cred?.usernameEnv ? deps.env[cred.usernameEnv] : undefined);
  if (cred?.passwordEnv) {
    const password = deps.env[cred.passwordEnv];
    username ??= spec.defaultUsername;
    if (!password) return { username, problem: `${module.displayName} password missing: environment variable ${cred.passwordEnv} is not set`, error: "missing" };
    return { username, value: password, source: `environment variable ${cred.passwordEnv}`, ...envHome(module, deps) };
  }
  if (!ref) return { username: username ?? spec.defaultUsername, problem: `${module.displayName} password missing: no apps.secretRefs entry`, error: "missing" };
  const pw = await fromSecret(deps, ref, secretKeysFor(service, module, spec.passwordKey), `${module.displayName} password`);
  if (username === undefined) {
    const u = await fromSecret(deps, ref, secretKeysFor(service, module, spec.usernameKey), "user name");
    username = u.value ?? spec.defaultUsername;
  }
  return { ...pw, username };
}

/** The namespace a credential from the panel's own environment stands for: that of the app's Secret reference. */
function envHome(module: AppModule, deps: ResolveDeps): { home?: string } {
  const ref = deps.config.apps.secretRefs[module.id] ?? deps.config.apps.secretRefs.default;
  return ref ? { home: ref.namespace } : {};
}

/**
 * Why a workload may not be sent a credential that belongs to namespace `home` (undefined when it
 * may). The workload's Service decides where the request goes: an ExternalName Service is a name
 * outside the cluster (never), a NodePort or LoadBalancer Service or none at all is not what the
 * owner set up for the app by default (opt-in), nor is another namespace (opt-in).
 */
export function keyRefusal(
  service: Pick<DiscoveredService, "id" | "namespace" | "service">,
  home: string | undefined,
  keyRecipients: readonly string[],
  what = "API key",
): string | undefined {
  const type = service.service?.type ?? "ClusterIP";
  if (service.service && type === "ExternalName") {
    return `${what} withheld: Service ${service.namespace}/${service.service.name} is of type ExternalName, whose address leaves the cluster; the panel never sends a credential there`;
  }
  if (keyRecipients.includes(service.id)) return undefined;
  const optIn = `; add ${service.id} to apps.keyRecipients to send it anyway`;
  if (!service.service) return `${what} withheld: ${service.id} has no ClusterIP Service${optIn}`;
  if (type !== "ClusterIP") return `${what} withheld: Service ${service.namespace}/${service.service.name} is of type ${type}, not ClusterIP${optIn}`;
  if (home === undefined) return `${what} withheld: no namespace owns it${optIn}`;
  if (home !== service.namespace) return `${what} withheld: it belongs to namespace ${home} and ${service.id} is in namespace ${service.namespace}${optIn}`;
  return undefined;
}

function fingerprintOf(target: AppTarget): string {
  return createHash("sha256")
    .update(JSON.stringify([target.baseUrl, target.apiKey ?? "", target.username ?? "", target.password ?? "", target.timeoutMs]))
    .digest("hex")
    .slice(0, 16);
}

/** Resolves a discovered service to its app instance target; undefined for kinds without a module. */
export async function resolveApp(service: DiscoveredService, deps: ResolveDeps, ctx: ResolveContext = {}): Promise<AppResolution | undefined> {
  const app = getHealthModule(service.appKind);
  if (!app) return undefined;
  const verified = deps.urlBases
    ? await deps.urlBases.resolve(service, app, {
        baseUrlFor: (urlBase) => baseUrlOf({ ...service, urlBase }, app, deps.config.addressMap),
        timeoutMs: deps.timeoutMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      })
    : undefined;
  const effective = verified ? { ...service, urlBase: verified.outcome.urlBase } : service;
  const baseUrl = baseUrlOf(effective, app, deps.config.addressMap);
  const credential = app.credential;
  let key = credential.type === "api-key" ? await findApiKey(service, app, credential, deps) : undefined;
  let login = credential.type === "login" ? await findLogin(service, app, credential, deps) : undefined;
  const what = credential.type === "login" ? `${app.displayName} password` : "API key";
  const got = key ?? login;
  const refusal = got?.value ? keyRefusal(service, got.home, deps.config.apps.keyRecipients ?? [], what) : undefined;
  if (refusal) {
    // The value is dropped here, before anything can send it; only the reason travels on.
    const withheld: Found = { problem: refusal, error: "withheld" };
    if (key) key = withheld;
    if (login) login = { ...withheld, ...(login.username ? { username: login.username } : {}) };
  }
  const found: Found = key ?? login ?? {};
  const target: AppTarget = {
    baseUrl,
    urlBase: normalizeUrlBase(effective.urlBase || app.defaultUrlBase),
    timeoutMs: deps.timeoutMs,
    ...(key?.value ? { apiKey: key.value } : {}),
    ...(login?.username ? { username: login.username } : {}),
    ...(login?.value ? { password: login.value } : {}),
  };
  return {
    serviceId: service.id,
    module: app,
    target,
    ...(found.problem ? { credentialProblem: found.problem, credentialError: found.error ?? "missing" } : {}),
    ...(found.source ? { credentialSource: found.source } : {}),
    fingerprint: fingerprintOf(target),
    ...(verified ? { urlBase: verified.outcome, urlBaseCheckedNow: verified.checkedNow } : {}),
    ...(service.service ? { inClusterUrl: baseUrlOf(effective, app, {}) } : {}),
  };
}
