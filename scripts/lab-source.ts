import { KubeConfig } from "@kubernetes/client-node";
import { parsePanelConfig, type PanelConfigInput } from "@/lib/config-schema";
import { labIntegrationSettings, type LabIntegrationJson, type LabIntegrationSettings } from "@/e2e/support/lab-integrations";
import type { EndsSource } from "@/server/integrations/ends";
import { createDiscovery } from "@/server/k8s/discovery";
import { createInformerSet } from "@/server/k8s/informers";
import { SecretReader } from "@/server/k8s/secrets";
import { createWorkloadEnvReader } from "@/server/k8s/workloads";

/**
 * An integrations source over the lab (integration tests and the benchmark): its own informers and
 * Secret reader on the lab's kubeconfig, the lab's address map and credentials, and an environment
 * the test can change (a new qBittorrent password) without touching the process's.
 */
export interface LabSource {
  source: EndsSource;
  /** The environment the config's `...Env` names read from; change it to change a credential. */
  env: Record<string, string | undefined>;
  settings: LabIntegrationSettings;
  /** Forgets cached Secret values (after a Secret changed). */
  clearSecrets(): void;
  close(): void;
}

/** Builds the source; `extra` is merged into the generated config (e.g. other integrations settings). */
export async function createLabSource(lab: LabIntegrationJson, extra: Partial<PanelConfigInput> = {}): Promise<LabSource> {
  const settings = labIntegrationSettings(lab);
  const raw: PanelConfigInput = {
    kubernetes: { mode: "kubeconfig", kubeconfig: lab.kubeconfig },
    addressMap: settings.config.addressMap,
    apps: { credentials: settings.config.apps.credentials, keyRecipients: settings.config.apps.keyRecipients },
    integrations: { vpn: settings.config.integrations.vpn },
    ...extra,
  };
  const parsed = parsePanelConfig(raw);
  if (!parsed.ok) throw new Error(`lab config: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  const config = parsed.config;
  const kc = new KubeConfig();
  kc.loadFromFile(lab.kubeconfig);
  const informers = createInformerSet({ kc, namespaces: config.kubernetes.namespaces, requestTimeoutMs: 10_000 }).start();
  const discovery = createDiscovery(informers, { syncTimeoutMs: 20_000 });
  const secrets = new SecretReader(kc, { timeoutMs: 10_000 });
  const env: Record<string, string | undefined> = { ...settings.env };
  const source: EndsSource = {
    config,
    listServices: () => discovery.listServices(),
    resolveDeps: {
      config,
      readSecretValue: (ns, name, key) => secrets.readSecretValue(ns, name, key),
      readWorkloadEnv: createWorkloadEnvReader(kc, { timeoutMs: 10_000 }),
      env,
      timeoutMs: config.integrations.requestTimeoutMs,
    },
  };
  await discovery.listServices();
  return {
    source,
    env,
    settings,
    clearSecrets: () => secrets.clear(),
    close: () => {
      discovery.close();
      informers.stop();
    },
  };
}
