// Writes the panel's config file for the local lab from the lab's lab.json (kubeconfig, namespaces,
// address map of the apps, VPN expectations, the lab's git server and forge), and next to it
// `<out>.env` with the variables the config names for credentials the cluster's Secret does not hold.
// Usage: tsx scripts/demo-config.ts <lab.json> <out.yaml>
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { labIntegrationSettings, type LabIntegrationJson } from "../e2e/support/lab-integrations";
import { parsePanelConfig } from "../lib/config-schema";

interface LabInfo {
  kubeconfig: string;
  namespaces?: string[];
  addressMap?: Record<string, string>;
  apps?: {
    git?: { url?: string; username?: string };
    forge?: { apiUrl?: string };
    ingress?: { controller?: { httpsPort?: number; httpPort?: number } };
    prometheus?: { url?: string };
    alertmanager?: { url?: string };
    ntfy?: { url?: string; topic?: string; token?: string };
  };
}

const [labJson, out] = process.argv.slice(2);
if (!labJson || !out) {
  console.error("usage: tsx scripts/demo-config.ts <lab.json> <out.yaml>");
  process.exit(2);
}
const lab = JSON.parse(readFileSync(labJson, "utf8")) as LabInfo;
const integration = labIntegrationSettings(lab as unknown as LabIntegrationJson);
// The certificate probes reach the hosts through the lab's ingress controller (the hosts' names do not
// resolve here), trusting the lab's CAs, as a panel in the cluster reaches them through its ingress.
const controller = lab.apps?.ingress?.controller;
const labDir = path.dirname(labJson);
const cas = [path.join(labDir, "certs", "ca.crt"), path.join(labDir, "tls", "ca.crt")].filter((f) => existsSync(f));
const caBundle = path.join(path.dirname(out), "lab-ca.pem");
if (cas.length > 0) writeFileSync(caBundle, cas.map((f) => readFileSync(f, "utf8").trimEnd()).join("\n") + "\n");
const certificates =
  controller?.httpsPort && controller.httpPort
    ? { ...(cas.length > 0 ? { caFile: caBundle } : {}), httpsAddress: `127.0.0.1:${controller.httpsPort}`, httpAddress: `127.0.0.1:${controller.httpPort}` }
    : undefined;
// The lab's real Prometheus and Alertmanager feed the Alerts page; the lab's ntfy receives the
// detector's messages (its token through the environment file, like every credential).
const prometheusUrl = lab.apps?.prometheus?.url;
const alertmanagerUrl = lab.apps?.alertmanager?.url;
const ntfy = lab.apps?.ntfy?.url && lab.apps.ntfy.topic ? lab.apps.ntfy : undefined;
const alerts =
  prometheusUrl || alertmanagerUrl
    ? { ...(prometheusUrl ? { prometheus: { url: prometheusUrl } } : {}), ...(alertmanagerUrl ? { alertmanager: { url: alertmanagerUrl } } : {}), pollSeconds: 15 }
    : undefined;
const env: Record<string, string> = { ...integration.env, ...(ntfy?.token ? { DEMO_NTFY_TOKEN: ntfy.token } : {}) };
const config = {
  server: {
    publicUrl: process.env.DEMO_URL ?? "http://127.0.0.1:3000",
    // The lab's nginx, the one proxy whose forwarded headers count (lab panel-front).
    ...(process.env.DEMO_TRUSTED_PROXY ? { trustedProxies: [`${process.env.DEMO_TRUSTED_PROXY}/32`] } : {}),
  },
  kubernetes: {
    mode: "kubeconfig",
    // The panel's own identity (deploy/'s ServiceAccount and RBAC) when the lab made one, as in a cluster.
    kubeconfig: existsSync(path.join(path.dirname(labJson), "panel.kubeconfig"))
      ? path.join(path.dirname(labJson), "panel.kubeconfig")
      : lab.kubeconfig,
    // The default namespaces (the ones deploy/'s Roles grant: the panel runs with that identity), less
    // those the lab's repository does not have (the example stack has no homepage): no role there.
    ...watchedNamespaces(lab.namespaces),
  },
  addressMap: integration.config.addressMap,
  apps: integration.config.apps,
  integrations: integration.config.integrations,
  ...(lab.apps?.git?.url
    ? {
        gitops: {
          repoUrl: lab.apps.git.url,
          forge: lab.apps.forge?.apiUrl ? "github" : "none",
          ...(lab.apps.forge?.apiUrl ? { apiUrl: lab.apps.forge.apiUrl } : {}),
          tokenEnv: "GITOPS_TOKEN",
          ...(lab.apps.git.username ? { username: lab.apps.git.username, passwordEnv: "GITOPS_GIT_PASSWORD" } : {}),
          pollSeconds: 10,
        },
      }
    : {}),
  ...(certificates ? { certificates } : {}),
  ...(alerts ? { alerts } : {}),
  ...(ntfy
    ? { notifications: { targets: [{ type: "ntfy", name: "lab-ntfy", url: ntfy.url, topic: ntfy.topic, ...(ntfy.token ? { tokenEnv: "DEMO_NTFY_TOKEN" } : {}), minSeverity: "warning" }] } }
    : {}),
  auth: { localUsers: [{ username: "admin", role: "admin", passwordHashEnv: "PANEL_ADMIN_PASSWORD_HASH" }] },
};
const parsed = parsePanelConfig(config);
if (!parsed.ok) {
  console.error("The generated demo config is not valid:");
  for (const p of parsed.problems) console.error(`  - ${p.path}: ${p.message}`);
  process.exit(1);
}
writeFileSync(out, `# Generated by scripts/demo-config.ts from ${labJson}\n${stringify(config)}`);
const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
writeFileSync(
  `${out}.env`,
  Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join("\n") + "\n",
  { mode: 0o600 },
);
console.log(`panel config written: ${out}`);

/** The default namespaces the lab has, when it lacks some of them; nothing (the defaults) otherwise. */
function watchedNamespaces(labNamespaces: string[] | undefined): { namespaces?: string[] } {
  const parsed = parsePanelConfig({});
  if (!parsed.ok || !labNamespaces) return {};
  const defaults = parsed.config.kubernetes.namespaces;
  const present = defaults.filter((ns) => labNamespaces.includes(ns));
  return present.length < defaults.length && present.length > 0 ? { namespaces: present } : {};
}
