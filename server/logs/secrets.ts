import "server-only";
import type { PanelConfig } from "@/lib/config-schema";
import type { DiscoveredService } from "@/lib/services";
import type { AppResolution } from "@/server/apps/define";

/**
 * Every secret value the panel holds, so that none of them is shown in a log line: the values of the
 * apps' Secrets (`apps.secretRefs`, every key), the app credentials as resolved for each service (a
 * key from the panel's environment or a workload variable), and every variable the configuration
 * names for a secret (`...Env` keys: passwords, tokens, the OIDC client secret, the metrics token,
 * `AUTH_SECRET`). Values only live in memory, for a short while.
 */

/** Where the values come from (injected, so the collection is tested without a cluster). */
export interface SecretSources {
  config: Pick<PanelConfig, "apps"> & Record<string, unknown>;
  env: Record<string, string | undefined>;
  readSecretData(namespace: string, name: string): Promise<Readonly<Record<string, string>>>;
  listServices(): Promise<DiscoveredService[]>;
  resolve(service: DiscoveredService): Promise<AppResolution | undefined>;
}

/** Variables that hold secrets whatever the configuration says. */
const ALWAYS_SECRET_ENV = ["AUTH_SECRET", "PANEL_METRICS_TOKEN", "GITOPS_TOKEN"];

/** Names of the variables the configuration names in `...Env` keys, at any depth. */
export function configuredEnvNames(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) configuredEnvNames(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (/Env$/.test(key) && typeof v === "string") out.add(v);
      else configuredEnvNames(v, out);
    }
  }
  return out;
}

/**
 * Collects the values. A source that cannot be read (a Secret the cluster refuses) is skipped and
 * named in `unavailable`, so the caller can say that masking may be incomplete.
 */
export async function collectSecretValues(sources: SecretSources): Promise<{ values: string[]; unavailable: string[] }> {
  const values = new Set<string>();
  const unavailable: string[] = [];
  const add = (v: string | undefined) => {
    if (typeof v === "string" && v.trim() !== "") values.add(v.trim());
  };
  for (const name of [...configuredEnvNames(sources.config), ...ALWAYS_SECRET_ENV]) add(sources.env[name]);
  const refs = new Map<string, { namespace: string; name: string }>();
  for (const ref of Object.values(sources.config.apps.secretRefs)) refs.set(`${ref.namespace}/${ref.name}`, ref);
  await Promise.all(
    [...refs.entries()].map(async ([id, ref]) => {
      try {
        for (const v of Object.values(await sources.readSecretData(ref.namespace, ref.name))) add(v);
      } catch {
        unavailable.push(`Secret ${id}`);
      }
    }),
  );
  let services: DiscoveredService[] = [];
  try {
    services = await sources.listServices();
  } catch {
    unavailable.push("the services' credentials");
  }
  await Promise.all(
    services.map(async (service) => {
      try {
        const r = await sources.resolve(service);
        add(r?.target.apiKey);
        add(r?.target.password);
      } catch {
        // A service whose credentials cannot be resolved holds none the panel could show.
      }
    }),
  );
  return { values: [...values], unavailable };
}
