import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { getLab } from "../cluster/test-cluster";
import { freePort } from "../lib/process";
import { ruleKeysOf, syncOnce } from "./prometheus-sync";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

/**
 * The lab's configmap-reload against the lab's real API server and a real Prometheus of its own
 * (the lab's Prometheus keeps following the monitoring namespace meanwhile).
 */
const NS = "prometheus-sync-test";
let lab: AppsHandle;
let api: CoreV1Api;
let prom: ChildProcess | undefined;
let promUrl = "";
let rulesDir = "";
let kubeconfig = "";

const PROM_YML = (ruleFiles: string[]) => `global:\n  scrape_interval: 15s\n\n# rules\nrule_files:\n${ruleFiles.map((f) => `  - ${f}\n`).join("")}\nscrape_configs: []\n`;
const RULES = stringify({ groups: [{ name: "k8s-nas-panel", rules: [{ alert: "ServiceDown", expr: "vector(1)", for: "1m", labels: { severity: "critical" } }] }] });

async function setConfigMap(data: Record<string, string>): Promise<void> {
  await api.deleteNamespacedConfigMap({ name: "prometheus-config", namespace: NS }).catch(() => undefined);
  await api.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "prometheus-config" }, data } });
}

async function loadedGroups(): Promise<string[]> {
  const res = await fetch(`${promUrl}/api/v1/rules`);
  const body = (await res.json()) as { data: { groups: Array<{ name: string; file: string }> } };
  return body.data.groups.map((g) => g.name);
}

beforeAll(async () => {
  lab = await useLabApps();
  kubeconfig = getLab().kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
  await api.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "prom-sync-"));
  rulesDir = join(dir, "rules");
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(join(dir, "prometheus.yml"), stringify({ global: { evaluation_interval: "1s" }, rule_files: [join(rulesDir, "cm-*")] }));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--web.enable-lifecycle"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  prom?.kill("SIGTERM");
  await api?.deleteNamespace({ name: NS }).catch(() => undefined);
  await lab?.release();
});

describe("the lab's Prometheus takes its rules from the monitoring ConfigMap", () => {
  it("rule_files entries are matched to the ConfigMap's keys (names and globs)", () => {
    expect(ruleKeysOf(PROM_YML(["/etc/prometheus/k8s-nas-panel.rules.yml"]), ["prometheus.yml", "k8s-nas-panel.rules.yml", "other.yml"])).toEqual(["k8s-nas-panel.rules.yml"]);
    expect(ruleKeysOf(PROM_YML(["/etc/prometheus/*.rules.yml"]), ["a.rules.yml", "b.yml"])).toEqual(["a.rules.yml"]);
    expect(ruleKeysOf("rule_files:\n  # - first.yml\n", ["first.yml"])).toEqual([]);
  });

  it("a rule file added to the ConfigMap and listed in rule_files is loaded (reload), removed again it is unloaded", async () => {
    const opts = { kubeconfig, namespace: NS, rulesDir, prometheusUrl: promUrl };
    await setConfigMap({ "prometheus.yml": PROM_YML([]), "k8s-nas-panel.rules.yml": RULES });
    expect(await syncOnce(opts, api)).toMatchObject({ files: [], changed: false });
    expect(await loadedGroups()).toEqual([]);

    await setConfigMap({ "prometheus.yml": PROM_YML(["/etc/prometheus/k8s-nas-panel.rules.yml"]), "k8s-nas-panel.rules.yml": RULES });
    expect(await syncOnce(opts, api)).toMatchObject({ configMap: `${NS}/prometheus-config`, files: ["cm-k8s-nas-panel.rules.yml"], changed: true, reloaded: true });
    expect(await loadedGroups()).toEqual(["k8s-nas-panel"]);
    // Nothing changed: no reload.
    expect(await syncOnce(opts, api)).toMatchObject({ changed: false, reloaded: false });

    // A rule file Prometheus cannot load: the reload is refused, with Prometheus' reason; the old rules stay.
    await setConfigMap({ "prometheus.yml": PROM_YML(["k8s-nas-panel.rules.yml"]), "k8s-nas-panel.rules.yml": "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: 'up ==='\n" });
    const bad = await syncOnce(opts, api);
    expect(bad).toMatchObject({ changed: true, reloaded: false });
    expect(bad.error).toMatch(/HTTP 500/);
    expect(await loadedGroups()).toEqual(["k8s-nas-panel"]);

    await setConfigMap({ "prometheus.yml": PROM_YML([]) });
    expect(await syncOnce(opts, api)).toMatchObject({ files: [], changed: true, reloaded: true });
    expect(await loadedGroups()).toEqual([]);
  }, 60_000);

  it("the lab runs the sync for the monitoring namespace and its Prometheus loads the configmap rule folder", async () => {
    const info = (lab.apps as unknown as { prometheusSync?: { namespace: string; rulesDir: string } }).prometheusSync;
    expect(info?.namespace).toBe("monitoring");
    const cfg = await (await fetch(`${lab.apps.prometheus.url}/api/v1/status/config`)).json() as { data: { yaml: string } };
    expect(cfg.data.yaml).toContain(join(info!.rulesDir, "cm-*"));
  });
});
