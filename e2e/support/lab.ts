import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./panel-env";

/**
 * The lab as the browser tests drive it: lab.json for addresses and credentials, the lab's CLI for
 * cluster controls, and the simulators' control endpoints. (Playwright loads specs as CommonJS, so the
 * lab's ESM modules are driven through their CLI and HTTP controls instead of imported.)
 */
export interface LabInfo {
  labDir: string;
  kubeconfig: string;
  namespaces: string[];
  apps: Record<string, Record<string, unknown>>;
  secrets: Record<string, Record<string, string>>;
}

export function labDir(): string {
  return process.env.LAB_DIR ?? path.join(ROOT, ".lab");
}

/** lab.json of the running lab; throws a clear message when the lab is not up. */
export function readLab(): LabInfo {
  const file = path.join(labDir(), "lab.json");
  if (!existsSync(file)) throw new Error("These tests need the lab: npm run lab -- up (npm test starts it).");
  return JSON.parse(readFileSync(file, "utf8")) as LabInfo;
}

/** Runs `npm run lab -- <args>` (the lab's CLI) and returns its output; throws on failure. */
export function labCli(...args: string[]): string {
  return execFileSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "lab", "cli.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, LAB_DIR: labDir() },
  });
}

/** Sends a command to a simulator's control endpoint (`apps.<id>.controlUrl`). */
export async function simControl(appId: string, command: Record<string, unknown>): Promise<void> {
  const url = readLab().apps[appId]?.controlUrl;
  if (typeof url !== "string") throw new Error(`the lab has no simulator "${appId}"`);
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(command) });
  if (!response.ok) throw new Error(`simulator control ${appId}: HTTP ${response.status} ${await response.text()}`);
}

/** `namespace/name` of every Deployment in the namespaces, read from the real API server. */
export function listDeployments(namespaces: string[]): string[] {
  const script = `
    const k8s = require("@kubernetes/client-node");
    const kc = new k8s.KubeConfig(); kc.loadFromFile(process.argv[1]);
    const api = kc.makeApiClient(k8s.AppsV1Api);
    Promise.all(process.argv.slice(2).map((namespace) => api.listNamespacedDeployment({ namespace })))
      .then((lists) => console.log(JSON.stringify(lists.flatMap((l) => l.items.map((d) => d.metadata.namespace + "/" + d.metadata.name)))))
      .catch((e) => { console.error(String(e)); process.exit(1); });`;
  const out = execFileSync(process.execPath, ["-e", script, readLab().kubeconfig, ...namespaces], { cwd: ROOT, encoding: "utf8" });
  return (JSON.parse(out) as string[]).sort();
}

/** Runs a small client-node script against the lab's API server with the admin kubeconfig. */
function kubeScript(body: string, args: string[]): string {
  const script = `
    const k8s = require("@kubernetes/client-node");
    const kc = new k8s.KubeConfig(); kc.loadFromFile(process.argv[1]);
    const args = process.argv.slice(2);
    (async () => { ${body} })().catch((e) => { console.error(String(e && e.body ? JSON.stringify(e.body) : e)); process.exit(1); });`;
  return execFileSync(process.execPath, ["-e", script, readLab().kubeconfig, ...args], { cwd: ROOT, encoding: "utf8" });
}

/**
 * Creates a Deployment of an image the panel does not know, in `namespace`, labelled as a test object
 * (the lab's reset removes leftovers). Returns when the API server has it.
 */
export function createUnknownWorkload(namespace: string, name: string, image = "ghcr.io/example/mystery-app:1.0"): void {
  kubeScript(
    `const apps = kc.makeApiClient(k8s.AppsV1Api);
     const [namespace, name, image] = args;
     const labels = { app: name, "lab.k8s-nas-panel/test": "true" };
     await apps.createNamespacedDeployment({ namespace, body: {
       apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace, labels },
       spec: { replicas: 1, selector: { matchLabels: { app: name } },
         template: { metadata: { labels }, spec: { containers: [{ name: "main", image }] } } } } });`,
    [namespace, name, image],
  );
}

/** Deletes a Deployment (ignores one that is already gone). */
export function deleteWorkload(namespace: string, name: string): void {
  kubeScript(
    `const apps = kc.makeApiClient(k8s.AppsV1Api);
     await apps.deleteNamespacedDeployment({ namespace: args[0], name: args[1], propagationPolicy: "Foreground" }).catch((e) => { if (e.code !== 404) throw e; });`,
    [namespace, name],
  );
}

/**
 * Creates a Deployment of busybox (which the lab executor runs for real) whose container prints a
 * numbered line every half second, labelled as a test object. For following a live log.
 */
export function createTickerWorkload(namespace: string, name: string): void {
  kubeScript(
    `const apps = kc.makeApiClient(k8s.AppsV1Api);
     const [namespace, name] = args;
     const labels = { app: name, "lab.k8s-nas-panel/test": "true" };
     const script = 'i=0; while true; do i=$((i+1)); echo "level=info msg=\\"tick $i\\""; sleep 0.5; done';
     await apps.createNamespacedDeployment({ namespace, body: {
       apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace, labels },
       spec: { replicas: 1, selector: { matchLabels: { app: name } },
         template: { metadata: { labels }, spec: { containers: [{ name: "ticker", image: "busybox:1.36", command: ["/bin/sh", "-c", script] }] } } } } });`,
    [namespace, name],
  );
}
