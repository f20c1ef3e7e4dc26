/**
 * Entry point of the lab's application layer: the real programs around the cluster
 * (qBittorrent, Prometheus, Alertmanager, nginx as the ingress, git over smart HTTP, Gitea), the
 * forge simulator, and the app simulators of `./sims/` when present. `lab up` calls {@link startApps}
 * after seeding the cluster; `lab down` stops every pid in `<labDir>/pids`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startForge } from "../forge/index";
import type { ForgeInfo } from "../forge/index";
import { ensureLabRepo, planRepo } from "./git-repo";
import { loadObjects } from "../sims/discovery";
import type { GiteaInfo } from "./gitea";
import { startGitea } from "./gitea";
import { startGitBackend } from "./git-server";
import { ingressHosts, ingressRoutes, loadManifests, servicesForImage, workloadsForImage, type ManifestObject } from "../lib/manifests";
import { configClaimOfPodTemplate } from "../cluster/volumes";
import { defaultGitopsRepo, giteaWanted, labFiles } from "../paths";
import { choosePort, hasProgram, isAlive, readPid, rssKiB, stopAll } from "../lib/process";
import { readState, writeState } from "../lib/state";
import type { ExtraTarget } from "./monitoring";
import { prometheusRoutePrefix, startMonitoring, startPrometheusSync } from "./monitoring";
import { startNginx } from "./nginx";
import { DEFAULT_QBITTORRENT_VOLUME, restartQbittorrent, startQbittorrent, type QbittorrentInfo, type QbittorrentVolume } from "./qbittorrent";
import { ensureTlsCases } from "./tls";
import { qbittorrentExporterVenv } from "../executor/programs";
import { startNtfy } from "../sims/ntfy/index";

const here = dirname(fileURLToPath(import.meta.url));

/** What `lab up` hands to {@link startApps}. */
export interface AppsContext {
  /** Lab state directory (`${LAB_DIR:-<repo>/.lab}`). */
  labDir: string;
  /** Path of the admin kubeconfig of the lab cluster. */
  kubeconfig: string;
  /** Secret values the lab generated, keyed `<namespace>/<name>` then data key. */
  secrets: Record<string, Record<string, string>>;
  /** Progress output. */
  log: (msg: string) => void;
  /** Start the app simulators of `./sims/` too (default: true unless `LAB_APPS_SIMULATORS=0`). */
  simulators?: boolean;
  /** Start Gitea with the GitOps repository (default: true unless `LAB_GITEA=0`). */
  gitea?: boolean;
}

/** What {@link startApps} returns. */
export interface AppsResult {
  /** `<service>.<namespace>` -> `http://127.0.0.1:PORT`. */
  addressMap: Record<string, string>;
  /** Per-app connection facts (credentials, files, ports). */
  apps: Record<string, unknown>;
}

/** `apps.git`: the GitOps repository over smart HTTP. */
export interface GitInfo {
  url: string;
  username: string;
  password: string;
  bareDir: string;
  defaultBranch: string;
  branches: string[];
  owner: string;
  repo: string;
}

/**
 * Which user Services the real programs stand in for: a Service selecting a workload whose image
 * matches becomes `<service>.<namespace>` in the address map.
 */
const REAL_APP_IMAGES: Record<"qbittorrent" | "prometheus" | "alertmanager", RegExp> = {
  qbittorrent: /qbittorrent/i,
  prometheus: /(^|\/)prometheus(:|@|$)/i,
  alertmanager: /alertmanager/i,
};

const PROGRAMS = ["qbittorrent-nox", "prometheus", "prometheus-alertmanager", "nginx", "fcgiwrap", "git", "openssl", "unzip", "bwrap", "xmlstarlet", "certutil"];

/** The user's workloads the real qBittorrent stands in for. */
export function qbittorrentWorkloads(objects: ManifestObject[]): { namespace: string; name: string }[] {
  return workloadsForImage(objects, REAL_APP_IMAGES.qbittorrent);
}

/** The configuration volume of the user's qBittorrent workload (its `/config` claim). */
export function qbittorrentVolume(objects: ManifestObject[]): QbittorrentVolume {
  const w = workloadsForImage(objects, REAL_APP_IMAGES.qbittorrent)[0];
  if (w === undefined) return DEFAULT_QBITTORRENT_VOLUME;
  return { namespace: w.namespace, claim: configClaimOfPodTemplate(w.template) ?? `${w.name}-config` };
}

/** Runs install.sh when a program is missing (apt-get; prints its progress). */
async function ensurePrograms(log: (m: string) => void): Promise<void> {
  const missing = PROGRAMS.filter((p) => !hasProgram(p));
  if (!existsSync(join(qbittorrentExporterVenv(), "bin", "qbittorrent-exporter"))) missing.push("prometheus-qbittorrent-exporter");
  if (missing.length === 0) return;
  log(`apps: installing missing programs (${missing.join(", ")}) with lab/apps/install.sh`);
  await new Promise<void>((resolveRun, reject) => {
    const child = spawn("bash", [join(here, "install.sh")], { stdio: ["ignore", "pipe", "pipe"] });
    const forward = (d: Buffer): void => {
      for (const line of d.toString("utf8").split("\n")) if (line.trim() !== "") log(`apps: ${line}`);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolveRun() : reject(new Error(`install.sh exited ${code ?? "?"}`))));
  });
}

interface SimulatorsModule {
  startSimulators: (ctx: AppsContext & { qbittorrent: { url: string; username: string; password: string } }) => Promise<AppsResult>;
}

function isSimulatorsModule(m: unknown): m is SimulatorsModule {
  return typeof m === "object" && m !== null && typeof (m as { startSimulators?: unknown }).startSimulators === "function";
}

async function startSimulatorsIfPresent(
  ctx: AppsContext,
  qbittorrent: { url: string; username: string; password: string },
): Promise<AppsResult> {
  const file = join(here, "..", "sims", "index.ts");
  const wanted = ctx.simulators ?? process.env.LAB_APPS_SIMULATORS !== "0";
  if (!wanted || !existsSync(file)) {
    ctx.log(`apps: simulators ${wanted ? "not available (no sims/index.ts)" : "skipped"}`);
    return { addressMap: {}, apps: {} };
  }
  const mod: unknown = await import(pathToFileURL(file).href);
  if (!isSimulatorsModule(mod)) {
    ctx.log("apps: sims/index.ts has no startSimulators export; skipped");
    return { addressMap: {}, apps: {} };
  }
  return mod.startSimulators({ ...ctx, qbittorrent });
}

/** Scrape targets the simulators announce (`apps.<id>.metricsUrl`). */
function simMetricsTargets(apps: Record<string, unknown>): ExtraTarget[] {
  const out: ExtraTarget[] = [];
  for (const [id, info] of Object.entries(apps)) {
    const url = (info as { metricsUrl?: unknown } | null)?.metricsUrl;
    if (typeof url !== "string") continue;
    const u = new URL(url);
    out.push({ job: `sim-${id}`, url: `${u.protocol}//${u.host}`, metricsPath: u.pathname });
  }
  return out;
}

/** kwok's Prometheus service discovery (`/discovery/prometheus`) of the lab's cluster; none without one. */
function kwokDiscoveryUrl(labDir: string, kubeconfig: string): string | undefined {
  if (!kubeconfig) return undefined;
  try {
    const port = (JSON.parse(readFileSync(labFiles(labDir).ports, "utf8")) as { kwok?: unknown }).kwok;
    return typeof port === "number" ? `http://127.0.0.1:${port}/discovery/prometheus` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts (or reuses) every lab app process and returns the address map and connection facts.
 * Idempotent: a process alive per its pidfile that answers is reused; ports and generated
 * credentials are kept in `<labDir>/apps-state.json`.
 */
export async function startApps(ctx: AppsContext): Promise<AppsResult> {
  const t0 = Date.now();
  const { labDir, log } = ctx;
  mkdirSync(labDir, { recursive: true });
  await ensurePrograms(log);
  const state = readState(labDir);
  const source = defaultGitopsRepo();
  const objects = loadManifests(source);
  const routes = ingressRoutes(objects);
  const hosts = ingressHosts(routes);
  log(`apps: GitOps tree ${source}: ${routes.length} ingress routes on ${hosts.join(", ") || "no hosts"}`);

  // The git port is fixed first: the forge reports clone URLs on it before nginx serves it.
  state.ports.git = await choosePort(state.ports.git, isAlive(readPid(labDir, "nginx"), "nginx"));

  const [qb, repo, gitBackend, tlsCases] = await Promise.all([
    startQbittorrent({ labDir, state, log, volume: qbittorrentVolume(objects) }),
    ensureLabRepo({ labDir, gitopsDir: source, log }),
    startGitBackend({ labDir, state, log }),
    ensureTlsCases(join(labDir, "tls"), hosts),
  ]);
  const gitUrl = `http://127.0.0.1:${state.ports.git}/${repo.owner}/${repo.repo}.git`;

  const withGitea = ctx.gitea ?? giteaWanted();
  if (!withGitea) log("apps: gitea skipped (LAB_GITEA=0)");
  const [sims, forge, gitea, ntfy] = await Promise.all([
    startSimulatorsIfPresent(ctx, { url: qb.url, username: qb.username, password: qb.password }),
    startForge({ labDir, state, log, bareDir: repo.bareDir, owner: repo.owner, repo: repo.repo, cloneUrl: gitUrl }),
    withGitea ? startGitea({ labDir, state, log, source: { ...repo, branches: planRepo(source).branches } }) : Promise.resolve(undefined),
    startNtfy({ labDir, state, log }),
  ]);
  const monitoring = await startMonitoring({
    labDir,
    state,
    log,
    extraTargets: simMetricsTargets(sims.apps),
    kubeletSdUrl: kwokDiscoveryUrl(labDir, ctx.kubeconfig),
    routePrefix: prometheusRoutePrefix(
      workloadsForImage(objects, REAL_APP_IMAGES.prometheus).map((w) => w.template),
      REAL_APP_IMAGES.prometheus,
    ),
  });
  // Without a cluster (apps-only test labs) there is no ConfigMap to follow.
  const prometheusSync = ctx.kubeconfig
    ? await startPrometheusSync({
        labDir,
        log,
        kubeconfig: ctx.kubeconfig,
        prometheusUrl: monitoring.prometheus.url,
        namespace: workloadsForImage(objects, REAL_APP_IMAGES.prometheus)[0]?.namespace ?? "monitoring",
      })
    : undefined;

  const addressMap: Record<string, string> = { ...sims.addressMap };
  const realUrls: Record<keyof typeof REAL_APP_IMAGES, string> = {
    qbittorrent: qb.url,
    // The Service's address; the panel adds the URL base the manifests give (the route prefix).
    prometheus: monitoring.prometheus.origin,
    alertmanager: monitoring.alertmanager.url,
  };
  // The Services as the cluster holds them (a manifest without a namespace gets its Application's
  // destination only when rendered), over the repository's files.
  const rendered = await loadObjects({ kubeconfig: ctx.kubeconfig, gitopsDir: source, log });
  for (const [kind, image] of Object.entries(REAL_APP_IMAGES) as [keyof typeof REAL_APP_IMAGES, RegExp][]) {
    for (const key of servicesForImage(rendered, image)) addressMap[key] = realUrls[kind];
  }

  const nginx = await startNginx({
    labDir,
    state,
    log,
    hosts,
    routes,
    addressMap,
    tlsCases,
    git: { fcgiAddress: gitBackend.fcgiAddress, htpasswdFile: gitBackend.htpasswdFile, projectRoot: repo.projectRoot },
  });
  const git: GitInfo = {
    url: gitUrl,
    username: gitBackend.username,
    password: gitBackend.password,
    bareDir: repo.bareDir,
    defaultBranch: repo.defaultBranch,
    branches: repo.branches,
    owner: repo.owner,
    repo: repo.repo,
  };
  const apps: Record<string, unknown> = {
    ...sims.apps,
    qbittorrent: qb,
    prometheus: monitoring.prometheus,
    alertmanager: monitoring.alertmanager,
    ...(prometheusSync ? { prometheusSync } : {}),
    git,
    forge: forge satisfies ForgeInfo,
    ...(gitea ? { gitea: gitea satisfies GiteaInfo } : {}),
    ntfy,
    tls: nginx.tls,
    ingress: nginx.ingress,
  };
  const result: AppsResult = { addressMap, apps };
  state.result = result;
  writeState(labDir, state);
  const pids = {
    qbittorrent: qb.pid,
    prometheus: monitoring.prometheus.pid,
    alertmanager: monitoring.alertmanager.pid,
    ...(prometheusSync ? { "prometheus-sync": prometheusSync.pid } : {}),
    nginx: nginx.ingress.pid,
    fcgiwrap: gitBackend.pid,
    forge: forge.pid,
    ntfy: ntfy.pid,
    ...(gitea ? { gitea: gitea.pid } : {}),
  };
  const rss = Object.entries(pids)
    .map(([n, pid]) => `${n} ${Math.round(rssKiB(pid) / 1024)} MiB`)
    .join(", ");
  log(`apps: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (RSS: ${rss})`);
  return result;
}

/**
 * Stops every process recorded in `<labDir>/pids` (newest pidfile first), the way `lab down`
 * does; meant for throw-away lab directories of tests.
 */
export async function stopApps(labDir: string): Promise<void> {
  await stopAll(labDir, () => undefined, { graceMs: 15_000 });
}

/**
 * Restarts the lab's qBittorrent of `labDir` (stop, `between`, start; same ports and login) and
 * records the new process. `between` runs while it is stopped: restore files into its volume there.
 */
export async function restartLabQbittorrent(labDir: string, opts: { log?: (m: string) => void; between?: () => Promise<void> | void } = {}): Promise<QbittorrentInfo> {
  const state = readState(labDir);
  const info = await restartQbittorrent({
    labDir,
    state,
    log: opts.log ?? (() => undefined),
    volume: qbittorrentVolume(loadManifests(defaultGitopsRepo())),
    between: opts.between,
  });
  if (state.result !== undefined) state.result.apps.qbittorrent = info;
  writeState(labDir, state);
  return info;
}

/** The last `startApps` result recorded in `<labDir>/apps-state.json`, if any. */
export function readAppsResult(labDir: string): AppsResult | undefined {
  return readState(labDir).result;
}
