import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { urlBaseCandidates } from "../../lib/k8s/url-base";
import type { Container } from "../../lib/k8s/types";
import { REPO_ROOT } from "../paths";
import { choosePort, isAlive, readPid, spawnDaemon, stopPid, waitUntil } from "../lib/process";
import type { AppsState } from "../lib/state";
import { writePrivate } from "../lib/state";

/** `apps.prometheus`. */
export interface PrometheusInfo {
  /** Where its API and pages are: the origin plus the route prefix (`http://127.0.0.1:P/prometheus`). */
  url: string;
  /** What the user's Prometheus Service stands for (`http://127.0.0.1:P`): the address map's value. */
  origin: string;
  /** The route prefix the user's manifests give their Prometheus (`/prometheus`; `""` for the root). */
  routePrefix: string;
  pid: number;
  configFile: string;
  rulesFile: string;
  /** `host:port` of the panel's metrics endpoint that Prometheus scrapes. */
  panelTarget: string;
  /** Folder of file_sd JSON files; every `*.json` dropped there becomes a scrape target list. */
  fileSdDir: string;
}

/** `apps.alertmanager`. */
export interface AlertmanagerInfo {
  url: string;
  pid: number;
  configFile: string;
}

/** A scrape target another part of the lab wants Prometheus to scrape. */
export interface ExtraTarget {
  job: string;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  metricsPath?: string;
}

const PROM = "prometheus";
const AM = "alertmanager";

async function ready(url: string): Promise<boolean> {
  const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

async function reload(url: string): Promise<void> {
  const res = await fetch(`${url}/-/reload`, { method: "POST", signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`reload ${url}: HTTP ${res.status} ${text}`);
}

/** The alert rules the lab loads: an always-firing Watchdog and the panel/target-down alerts. */
export function labRules(): unknown {
  return {
    groups: [
      {
        name: "lab",
        rules: [
          {
            alert: "Watchdog",
            expr: "vector(1)",
            labels: { severity: "none" },
            annotations: { summary: "Always firing: shows that the alerting pipeline works end to end." },
          },
          {
            alert: "PanelMetricsDown",
            expr: 'up{job="k8s-nas-panel"} == 0',
            for: "1m",
            labels: { severity: "warning" },
            annotations: { summary: "Prometheus cannot scrape the panel's /api/metrics." },
          },
          {
            alert: "TargetDown",
            expr: 'up{job!="k8s-nas-panel"} == 0',
            for: "2m",
            labels: { severity: "warning" },
            annotations: { summary: "Scrape target {{ $labels.job }} / {{ $labels.instance }} is down." },
          },
        ],
      },
    ],
  };
}

/**
 * The route prefix of the user's Prometheus, as its container's arguments set it: `--web.route-prefix`,
 * else the path of `--web.external-url` (Prometheus' own rule); `""` when neither is given or no
 * workload runs a Prometheus image. The lab's Prometheus serves under the same prefix, so that what
 * the user's Service and Ingress stand for answers where the manifests say.
 */
export function prometheusRoutePrefix(templates: ReadonlyArray<Record<string, unknown>>, image: RegExp): string {
  for (const template of templates) {
    const containers = ((template.spec as { containers?: unknown } | undefined)?.containers ?? []) as Container[];
    const main = containers.find((c) => image.test(c.image ?? ""));
    if (!main) continue;
    return urlBaseCandidates({ main }).find((c) => c.source === "args")?.urlBase ?? "";
  }
  return "";
}

/**
 * Starts Alertmanager then Prometheus (or reloads the running ones with freshly generated config).
 * Prometheus scrapes itself, Alertmanager, the panel at `127.0.0.1:${LAB_PANEL_PORT:-3000}/api/metrics`
 * (bearer token from `LAB_PANEL_METRICS_TOKEN` when set; `setPanelScrape` changes both later) and
 * `extraTargets`. Prometheus serves under `routePrefix` (see {@link prometheusRoutePrefix}; default: the root).
 * With `kubeletSdUrl` (kwok's `/discovery/prometheus`), its `kubelet` job scrapes the nodes' resource
 * metrics (`/metrics/resource`: the containers' CPU and memory) that kwok plays for the lab's nodes.
 */
export async function startMonitoring(opts: {
  labDir: string;
  state: AppsState;
  log: (m: string) => void;
  extraTargets?: ExtraTarget[];
  routePrefix?: string;
  kubeletSdUrl?: string;
}): Promise<{ prometheus: PrometheusInfo; alertmanager: AlertmanagerInfo }> {
  const alertmanager = await startAlertmanager(opts);
  const prometheus = await startPrometheus({ ...opts, alertmanagerUrl: alertmanager.url });
  return { prometheus, alertmanager };
}

async function startAlertmanager(opts: { labDir: string; state: AppsState; log: (m: string) => void }): Promise<AlertmanagerInfo> {
  const { labDir, state, log } = opts;
  const dir = join(labDir, AM);
  const configFile = join(dir, "alertmanager.yml");
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(
    configFile,
    stringify({
      route: { receiver: "lab", group_by: ["alertname"], group_wait: "1s", group_interval: "5s", repeat_interval: "1h" },
      receivers: [{ name: "lab" }],
    }),
  );
  let pid = readPid(labDir, AM);
  const alive = isAlive(pid, "prometheus-alertmanager");
  const port = await choosePort(state.ports[AM], alive);
  const url = `http://127.0.0.1:${port}`;
  if (alive && (await ready(url).catch(() => false))) {
    await reload(url);
    log(`alertmanager: reused at ${url}`);
  } else {
    if (alive && pid !== undefined) await stopPid(pid);
    log(`alertmanager: starting on ${url}`);
    pid = spawnDaemon({
      name: AM,
      labDir,
      command: "prometheus-alertmanager",
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // No HA gossip: it would listen on 0.0.0.0:9094.
        "--cluster.listen-address=",
      ],
    });
    await waitUntil("alertmanager", () => ready(url), { timeoutMs: 20_000, pid, labDir, name: AM });
    log(`alertmanager: ready at ${url}`);
  }
  state.ports[AM] = port;
  if (pid === undefined) throw new Error("alertmanager: no pid");
  return { url, pid, configFile };
}

async function startPrometheus(opts: {
  labDir: string;
  state: AppsState;
  log: (m: string) => void;
  extraTargets?: ExtraTarget[];
  routePrefix?: string;
  kubeletSdUrl?: string;
  alertmanagerUrl: string;
}): Promise<PrometheusInfo> {
  const { labDir, state, log } = opts;
  const dir = join(labDir, PROM);
  const configFile = join(dir, "prometheus.yml");
  const rulesFile = join(dir, "rules", "lab.rules.yml");
  const fileSdDir = join(dir, "targets");
  mkdirSync(join(dir, "data"), { recursive: true });
  mkdirSync(join(dir, "rules", "configmap"), { recursive: true });
  mkdirSync(fileSdDir, { recursive: true });

  let pid = readPid(labDir, PROM);
  const alive = isAlive(pid, PROM);
  const port = await choosePort(state.ports[PROM], alive);
  const origin = `http://127.0.0.1:${port}`;
  const routePrefix = opts.routePrefix ?? "";
  const url = `${origin}${routePrefix}`;
  const { target: panelTarget, targetFile: panelTargetFile, tokenFile } = setPanelScrape(labDir, {
    port: Number(process.env.LAB_PANEL_PORT ?? "3000"),
    token: process.env.LAB_PANEL_METRICS_TOKEN,
  });

  const hostPort = (u: string): string => new URL(u).host;
  const extra = opts.extraTargets ?? [];
  // Written through a rename: Prometheus watches the folder and must never read half a file.
  const sdFile = join(fileSdDir, "lab-apps.json");
  writeFileSync(
    `${sdFile}.tmp`,
    `${JSON.stringify(
      extra.map((t) => ({ targets: [hostPort(t.url)], labels: { job: t.job, __metrics_path__: t.metricsPath ?? "/metrics" } })),
      null,
      2,
    )}\n`,
  );
  renameSync(`${sdFile}.tmp`, sdFile);
  writeFileSync(rulesFile, stringify(labRules()));
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: "5s", evaluation_interval: "5s", scrape_timeout: "4s" },
      // The lab's own rules, and those the monitoring ConfigMap in the cluster holds (prometheus-sync.ts).
      rule_files: [rulesFile, join(dir, "rules", "configmap", "cm-*")],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [hostPort(opts.alertmanagerUrl)] }] }] },
      scrape_configs: [
        { job_name: "prometheus", metrics_path: `${routePrefix}/metrics`, static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
        { job_name: "alertmanager", static_configs: [{ targets: [hostPort(opts.alertmanagerUrl)] }] },
        {
          // The panel's address and token are files, so `npm run lab -- panel-scrape` can point this job
          // at another panel (the e2e panel's port) without touching the rest of the configuration.
          job_name: "k8s-nas-panel",
          metrics_path: "/api/metrics",
          file_sd_configs: [{ files: [panelTargetFile], refresh_interval: "5s" }],
          authorization: { type: "Bearer", credentials_file: tokenFile },
        },
        { job_name: "lab-apps", file_sd_configs: [{ files: [join(fileSdDir, "*.json")], refresh_interval: "10s" }] },
        ...(opts.kubeletSdUrl
          ? [
              {
                job_name: "kubelet",
                http_sd_configs: [{ url: opts.kubeletSdUrl, refresh_interval: "10s" }],
                relabel_configs: [
                  // kwok lists each of its endpoints per node; the kubelet's resource metrics only.
                  { source_labels: ["__metrics_path__"], regex: "/metrics/nodes/[^/]+/metrics/resource", action: "keep" },
                  { source_labels: ["__metrics_path__"], regex: "/metrics/nodes/([^/]+)/.*", target_label: "node", replacement: "$1" },
                  { regex: "metrics_name", action: "labeldrop" },
                ],
              },
            ]
          : []),
      ],
    }),
  );

  // A running Prometheus under another prefix is not ready at this URL: it is started again.
  if (alive && (await ready(url).catch(() => false))) {
    await reload(url);
    log(`prometheus: reused at ${url} (config reloaded)`);
  } else {
    if (alive && pid !== undefined) await stopPid(pid);
    log(`prometheus: starting on ${url}`);
    pid = spawnDaemon({
      name: PROM,
      labDir,
      command: PROM,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=2d",
        // Send firing alerts to Alertmanager within seconds instead of the default minute.
        "--rules.alert.resend-delay=5s",
        // The route prefix follows the external URL's path, as in the user's manifests.
        ...(routePrefix ? [`--web.external-url=${url}/`] : []),
      ],
    });
    await waitUntil("prometheus", () => ready(url), { timeoutMs: 30_000, pid, labDir, name: PROM });
    log(`prometheus: ready at ${url}`);
  }
  state.ports[PROM] = port;
  if (pid === undefined) throw new Error("prometheus: no pid");
  return { url, origin, routePrefix, pid, configFile, rulesFile, panelTarget, fileSdDir };
}

/** Files of the lab Prometheus' `k8s-nas-panel` job: the target (file_sd) and the bearer token. */
export function panelScrapeFiles(labDir: string): { targetFile: string; tokenFile: string } {
  return { targetFile: join(labDir, PROM, "panel-target.json"), tokenFile: join(labDir, PROM, "panel-metrics-token") };
}

/**
 * Points the lab Prometheus' `k8s-nas-panel` job at the panel on `127.0.0.1:<port>` with `token` (none:
 * an empty credential, which a panel with `metrics.public` ignores and any other refuses). Prometheus
 * reads the target file within seconds (file_sd) and the token on every scrape; no reload is needed.
 */
export function setPanelScrape(labDir: string, opts: { port: number; token?: string }): { target: string; targetFile: string; tokenFile: string } {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65_535) throw new Error(`not a port: ${opts.port}`);
  const { targetFile, tokenFile } = panelScrapeFiles(labDir);
  mkdirSync(join(labDir, PROM), { recursive: true });
  const target = `127.0.0.1:${opts.port}`;
  writePrivate(tokenFile, opts.token ?? "");
  // Through a rename: Prometheus watches the file and must never read half of it.
  writeFileSync(`${targetFile}.tmp`, `${JSON.stringify([{ targets: [target], labels: {} }], null, 2)}\n`);
  renameSync(`${targetFile}.tmp`, targetFile);
  return { target, targetFile, tokenFile };
}

/** `apps.prometheusSync`: the lab's configmap-reload. */
export interface PrometheusSyncInfo {
  pid: number;
  namespace: string;
  rulesDir: string;
}

/**
 * Starts the lab's configmap-reload (`./prometheus-sync.ts`) for the Prometheus at `prometheusUrl`:
 * the rule files of the ConfigMap holding `prometheus.yml` in `namespace` become loaded rules.
 * Restarted on every call (it keeps no state besides the files it writes).
 */
export async function startPrometheusSync(opts: { labDir: string; log: (m: string) => void; kubeconfig: string; prometheusUrl: string; namespace: string }): Promise<PrometheusSyncInfo> {
  const name = "prometheus-sync";
  const old = readPid(opts.labDir, name);
  if (old !== undefined && isAlive(old, process.execPath)) await stopPid(old);
  const rulesDir = join(opts.labDir, PROM, "rules", "configmap");
  const configFile = join(opts.labDir, PROM, "sync.json");
  writeFileSync(configFile, `${JSON.stringify({ kubeconfig: opts.kubeconfig, namespace: opts.namespace, rulesDir, prometheusUrl: opts.prometheusUrl, intervalMs: 2000 }, null, 2)}\n`);
  const pid = spawnDaemon({
    name,
    labDir: opts.labDir,
    command: process.execPath,
    args: ["--import", "tsx", join(REPO_ROOT, "lab", "apps", "prometheus-sync-main.ts"), configFile],
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  opts.log(`prometheus-sync: rules from the ConfigMaps of ${opts.namespace} -> ${rulesDir} (pid ${pid})`);
  return { pid, namespace: opts.namespace, rulesDir };
}
