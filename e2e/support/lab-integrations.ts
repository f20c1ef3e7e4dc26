import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The panel configuration a test panel needs to wire the lab's apps: the address map, the
 * credentials the cluster's Secret does not hold (the lab generates Jellyfin's and Gluetun's keys and
 * runs a real qBittorrent with its own password), and the VPN expectations of the Gluetun simulators.
 * Values travel as environment variables; the config only names them. Shared by the e2e panel
 * (`panel-env.ts`), the integration tests and the benchmark.
 */

/** The parts of `<labDir>/lab.json` used here. */
export interface LabIntegrationJson {
  kubeconfig: string;
  addressMap: Record<string, string>;
  secrets: Record<string, Record<string, string>>;
  apps: Record<string, unknown>;
}

/** What a panel needs to run the integrations against the lab. */
export interface LabIntegrationSettings {
  /** Config keys (addressMap, apps.credentials, integrations) as a plain object. */
  config: {
    addressMap: Record<string, string>;
    apps: { credentials: Record<string, Record<string, string>>; keyRecipients: string[] };
    integrations: {
      vpn: { mustDifferFrom: string[]; expectedCountries: string[]; controlServers: Record<string, { apiKeyEnv: string }> };
    };
  };
  /** Environment variables the config names. */
  env: Record<string, string>;
  /** Every secret value of the lab's apps (for the "no key leaks" checks). */
  secretValues: string[];
}

interface LabApp {
  kind?: string;
  apiKey?: string;
  apiKeySource?: string;
  apiKeySecretKey?: string;
  workload?: string;
  password?: string;
  username?: string;
}

/** The Gluetun simulators' home address (`homeIp`), reported when set to leak. */
export const LAB_HOME_IP = "203.0.113.45";

/** Reads lab.json when the lab is up (LAB_DIR or `<repo>/.lab`). */
export function readLabIntegrationJson(root: string): LabIntegrationJson | undefined {
  const file = path.join(process.env.LAB_DIR ?? path.join(root, ".lab"), "lab.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LabIntegrationJson;
  } catch {
    return undefined;
  }
}

function envName(prefix: string, id: string): string {
  return `${prefix}_${id.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/** Config and environment wiring a panel to the lab's apps. */
export function labIntegrationSettings(lab: LabIntegrationJson): LabIntegrationSettings {
  const env: Record<string, string> = {};
  const credentials: Record<string, Record<string, string>> = {};
  const controlServers: Record<string, { apiKeyEnv: string }> = {};
  const secretValues = new Set<string>();
  // The user's qBittorrent runs in its own namespace beside its Gluetun sidecar, away from the apps'
  // Secret in media: the owner opts it in to receive its login, as deploy/config.yaml does.
  const keyRecipients = new Set<string>();
  for (const values of Object.values(lab.secrets)) {
    // User names are not secrets (qBittorrent's is "admin" and shows on the key panel).
    for (const [key, v] of Object.entries(values)) if (v && !/USER(NAME)?$/i.test(key)) secretValues.add(v);
  }
  for (const [id, raw] of Object.entries(lab.apps)) {
    const app = (raw ?? {}) as LabApp;
    if (id === "qbittorrent" && app.password) {
      env.LAB_QBITTORRENT_PASSWORD = app.password;
      credentials.qbittorrent = { username: app.username ?? "admin", passwordEnv: "LAB_QBITTORRENT_PASSWORD" };
      keyRecipients.add(app.workload ?? "qbittorrent/qbittorrent");
      secretValues.add(app.password);
      continue;
    }
    if (!app.kind || !app.apiKey) continue;
    secretValues.add(app.apiKey);
    // A key the cluster's Secret holds is read from there, as in production.
    const secretKey = app.apiKeySecretKey;
    if (secretKey && Object.values(lab.secrets).some((values) => values[secretKey] === app.apiKey)) continue;
    if (app.kind === "gluetun" && app.workload) {
      const name = envName("LAB_GLUETUN_KEY", app.workload);
      env[name] = app.apiKey;
      controlServers[app.workload] = { apiKeyEnv: name };
      continue;
    }
    // Keys the cluster's Secret does not hold (the lab generated them) come from the environment;
    // only for the user's own instance of an app (lab id = app kind), not for extra ones a
    // benchmark adds in other namespaces.
    if (app.apiKeySource === "generated" && id === app.kind) {
      const name = envName("LAB_API_KEY", app.kind);
      env[name] = app.apiKey;
      credentials[app.kind] = { apiKeyEnv: name };
    }
  }
  return {
    config: {
      addressMap: lab.addressMap,
      apps: { credentials, keyRecipients: [...keyRecipients] },
      integrations: { vpn: { mustDifferFrom: [LAB_HOME_IP], expectedCountries: ["Canada", "United States"], controlServers } },
    },
    env,
    secretValues: [...secretValues],
  };
}

/** Lines of a panel YAML config (flow style, so Service keys with ports need no quoting rules). */
export function labIntegrationConfigLines(settings: LabIntegrationSettings): string[] {
  return [
    `addressMap: ${JSON.stringify(settings.config.addressMap)}`,
    `apps: ${JSON.stringify(settings.config.apps)}`,
    `integrations: ${JSON.stringify(settings.config.integrations)}`,
  ];
}
