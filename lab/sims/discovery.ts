/**
 * Which simulators to run, under which Service names, ports and URL bases: derived from the
 * user's manifests, not from a hand-kept table.
 *
 * Objects come from the lab cluster (the rendered, applied manifests) when the kubeconfig
 * answers, merged over the GitOps checkout (`../shared/fixtures/k8s_nas`, or
 * `LAB_GITOPS_REPO`), so an app the kustomizations leave out (FlareSolverr in the fixture) is
 * still found. Apps are recognised by container image with the panel's app catalogue
 * (`lib/apps/catalogue.ts`, which also gives the default port of an app the manifests do not
 * deploy); one simulator per matching workload of a kind that has one (`sonarr`, a second
 * `sonarr-4k`, `gluetun-<workload>` for each VPN sidecar).
 *
 * URL base, first match wins:
 *   1. an env var named `*URLBASE` / `*URL_BASE` on the app container (Grafana: the path of
 *      `GF_SERVER_ROOT_URL` with `GF_SERVER_SERVE_FROM_SUB_PATH=true`);
 *   2. a ConfigMap key the pod mounts whose name ends in `BaseUrl`/`UrlBase`/`base_url`/`url_base`
 *      (Jellyfin's `network.xml_NetworkConfiguration_BaseUrl` override), else a file in such a
 *      ConfigMap that sets `<BaseUrl>`/`<UrlBase>` (a `network.xml` an init container copies in);
 *   3. the config written by the pod's scripts (`<UrlBase>/sonarr</UrlBase>`, `base_url: /bazarr`,
 *      `url_base = /sabnzbd`);
 *   4. an HTTP probe path `/<base>/ping` (Lidarr's `/lidarr/ping`).
 */
import { APP_CATALOGUE } from "../../lib/apps/catalogue";
import { recognizeImage } from "../../lib/k8s/recognize";
import { existsSync } from "node:fs";
import { configClaimOfPodTemplate } from "../cluster/volumes";
import { defaultExtrasDir, defaultGitopsRepo } from "../paths";
import { loadManifests, type ManifestObject } from "../lib/manifests";
import { SIM_KINDS, type SimKindId } from "./registry";
import { arr, rec, str } from "../lib/values";

/** One simulator instance found in the manifests. */
export interface DiscoveredInstance {
  id: string;
  kind: SimKindId;
  /** `<service>.<namespace>`, plus `:<port>` for a port the Service does not carry. */
  serviceKey: string;
  /** The port in-cluster clients use for this address. */
  servicePort: number;
  urlBase: string;
  /** `<namespace>/<workload>`, or `default` when the app is not in the manifests. */
  workload: string;
  /** Namespace of the workload (or of the app's default Service). */
  namespace: string;
  /**
   * The claim holding the app's configuration: the PVC its pods mount at the config path, else
   * `<workload>-config` (see `appConfigVolume` in `lab/cluster/volumes.ts`).
   */
  configClaim: string;
  /** Where the URL base came from (for the log). */
  urlBaseSource: string;
  /**
   * Where the workload gives the app its key (the catalogue's `workloadEnv`, `SONARR__AUTH__APIKEY`):
   * a literal, or a Secret key by `secretKeyRef` or `envFrom`. The simulator takes that key.
   */
  apiKeyRef?: { value: string } | { secret: string; key: string; via: string };
}

/** A real service the simulators call (qBittorrent). */
export interface DiscoveredService {
  serviceKey: string;
  servicePort: number;
}

type Rec = Record<string, unknown>;


/** Image name without registry, owner and tag: `docker.io/linuxserver/sonarr:latest` -> `sonarr`. */
export function imageName(image: string): string {
  const noDigest = image.split("@")[0] ?? image;
  const last = noDigest.split("/").pop() ?? noDigest;
  return (last.split(":")[0] ?? last).toLowerCase();
}

/** Images of apps the catalogue does not list that a simulator stands in for (Overseerr answers Seerr's API). */
const SIM_ALIASES: Record<string, SimKindId> = { overseerr: "seerr" };

function isSimKind(kind: string): kind is SimKindId {
  return Object.hasOwn(SIM_KINDS, kind);
}

/** The simulator kind of a container image (by the app catalogue's image rules), if one runs it. */
export function simKindOf(image: string): SimKindId | undefined {
  const kind = recognizeImage(image);
  if (isSimKind(kind)) return kind;
  return SIM_ALIASES[imageName(image)];
}

/** Where a simulated app the manifests do not deploy runs (Seerr, the Jellyseerr successor): namespace `media`, its usual port. */
function defaultsOf(kind: SimKindId): { namespace: string; port: number } {
  return { namespace: "media", port: APP_CATALOGUE[kind].port ?? 80 };
}

const GLUETUN_CONTROL_PORT = 8000;

function podTemplate(o: ManifestObject): Rec | undefined {
  if (!["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind)) return undefined;
  return rec(rec(o.body.spec).template);
}

function normaliseBase(v: string): string {
  const t = v.trim();
  if (t === "" || t === "/") return "";
  return `/${t.replace(/^\/+|\/+$/g, "")}`;
}

function containerPorts(c: Rec): { port: number; name?: string }[] {
  return arr(c.ports)
    .map(rec)
    .filter((p) => typeof p.containerPort === "number" && (p.protocol === undefined || p.protocol === "TCP"))
    .map((p) => ({ port: p.containerPort as number, name: str(p.name) }));
}

/** The Service (and its port) that reaches `targetPort` of the workload's pods. */
function serviceFor(objects: ManifestObject[], w: ManifestObject, labels: Rec, targets: { port: number; name?: string }[]): { name: string; port: number } | undefined {
  for (const svc of objects) {
    if (svc.kind !== "Service" || svc.namespace !== w.namespace) continue;
    const spec = rec(svc.body.spec);
    const selector = Object.entries(rec(spec.selector));
    if (selector.length === 0 || !selector.every(([k, v]) => labels[k] === v)) continue;
    for (const p of arr(spec.ports).map(rec)) {
      if (p.protocol !== undefined && p.protocol !== "TCP") continue;
      const target = p.targetPort ?? p.port;
      const hit = targets.some((t) => target === t.port || (t.name !== undefined && target === t.name));
      if (hit && typeof p.port === "number") return { name: svc.name, port: p.port };
    }
  }
  return undefined;
}

function urlBaseOf(objects: ManifestObject[], w: ManifestObject, tpl: Rec, container: Rec): { base: string; source: string } | undefined {
  // 1. Env.
  for (const e of arr(container.env).map(rec)) {
    const name = str(e.name) ?? "";
    const value = str(e.value);
    if (value !== undefined && /URL_?BASE$/i.test(name)) return { base: normaliseBase(value), source: `env ${name}` };
  }
  // Grafana serves under its root URL's path when told to.
  const envOf = (n: string) => str(arr(container.env).map(rec).find((e) => str(e.name) === n)?.value);
  const root = envOf("GF_SERVER_ROOT_URL");
  if (root !== undefined && envOf("GF_SERVER_SERVE_FROM_SUB_PATH")?.toLowerCase() === "true") {
    const m = /^[^/]*:\/\/[^/]+(\/[^?#\s]*)?/.exec(root.replace(/%\(\w+\)s/g, "x"));
    if (m) return { base: normaliseBase(m[1] ?? ""), source: "env GF_SERVER_ROOT_URL with GF_SERVER_SERVE_FROM_SUB_PATH" };
  }
  // 2. ConfigMap keys the pod uses.
  const spec = rec(tpl.spec);
  const cmNames = new Set<string>();
  for (const v of arr(spec.volumes).map(rec)) {
    const n = str(rec(v.configMap).name);
    if (n !== undefined) cmNames.add(n);
  }
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)].map(rec)) {
    for (const ef of arr(c.envFrom).map(rec)) {
      const n = str(rec(ef.configMapRef).name);
      if (n !== undefined) cmNames.add(n);
    }
  }
  for (const cm of objects) {
    if (cm.kind !== "ConfigMap" || cm.namespace !== w.namespace || !cmNames.has(cm.name)) continue;
    for (const [k, v] of Object.entries(rec(cm.body.data))) {
      if (typeof v === "string" && /(BaseUrl|UrlBase|base_url|url_base)$/i.test(k)) return { base: normaliseBase(v), source: `ConfigMap ${cm.name} key ${k}` };
    }
    // A configuration file the ConfigMap holds (Jellyfin's network.xml, copied in by an init container).
    for (const [k, v] of Object.entries(rec(cm.body.data))) {
      const m = typeof v === "string" ? /<(?:BaseUrl|UrlBase)>\s*(\/[^<\s]*)?\s*<\/(?:BaseUrl|UrlBase)>/i.exec(v) : null;
      if (m) return { base: normaliseBase(m[1] ?? ""), source: `ConfigMap ${cm.name} file ${k}` };
    }
  }
  // 3. Config written by the pod's scripts.
  const scripts = [...arr(spec.initContainers), container]
    .map(rec)
    .flatMap((c) => [...arr(c.command), ...arr(c.args)])
    .filter((x): x is string => typeof x === "string")
    .join("\n");
  const patterns: [RegExp, string][] = [
    [/<UrlBase>\s*([^<\s]*)\s*<\/UrlBase>/, "config.xml UrlBase"],
    [/(?:^|[\s"'])base_url:\s*(\/[^\s"']*)/m, "config.yaml base_url"],
    [/url_base\s*=\s*(\/[\w./-]*)/, "sabnzbd.ini url_base"],
  ];
  for (const [re, source] of patterns) {
    const m = re.exec(scripts);
    if (m?.[1] !== undefined) return { base: normaliseBase(m[1]), source: `init script (${source})` };
  }
  // 4. Probe path.
  for (const probeName of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    const path = str(rec(rec(container[probeName]).httpGet).path);
    const m = path !== undefined ? /^(\/[^/]+)\/(ping|health|system\/ping)$/i.exec(path) : null;
    if (m?.[1] !== undefined && !/^\/(api|ping|health)$/i.test(m[1])) return { base: normaliseBase(m[1]), source: `${probeName} ${path}` };
  }
  return undefined;
}

/** Where the container gives the app the key its catalogue entry names (`SONARR__AUTH__APIKEY`). */
export function apiKeyRefOf(kind: SimKindId, namespace: string, container: Rec): DiscoveredInstance["apiKeyRef"] {
  const credential = APP_CATALOGUE[kind].credential;
  const variable = credential.type === "api-key" ? credential.workloadEnv : null;
  if (variable === null) return undefined;
  for (const e of arr(container.env).map(rec)) {
    if (str(e.name) !== variable) continue;
    const value = str(e.value);
    if (value !== undefined && value !== "") return { value };
    const ref = rec(rec(e.valueFrom).secretKeyRef);
    const name = str(ref.name);
    const key = str(ref.key);
    if (name !== undefined && key !== undefined) return { secret: `${namespace}/${name}`, key, via: `env ${variable}` };
  }
  for (const ef of arr(container.envFrom).map(rec)) {
    const name = str(rec(ef.secretRef).name);
    const prefix = str(ef.prefix) ?? "";
    if (name !== undefined && variable.startsWith(prefix)) return { secret: `${namespace}/${name}`, key: variable.slice(prefix.length), via: "envFrom" };
  }
  return undefined;
}

/** Finds every simulator instance and the qBittorrent Service in `objects`. */
export function discoverFrom(objects: ManifestObject[]): { instances: DiscoveredInstance[]; qbittorrent: DiscoveredService | undefined } {
  const instances: DiscoveredInstance[] = [];
  let qbittorrent: DiscoveredService | undefined;
  const workloads = objects.filter((o) => podTemplate(o) !== undefined).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const w of workloads) {
    const tpl = podTemplate(w) ?? {};
    const labels = rec(rec(tpl.metadata).labels);
    const ns = w.namespace ?? "default";
    for (const container of arr(rec(tpl.spec).containers).map(rec)) {
      const image = str(container.image) ?? "";
      if (recognizeImage(image) === "qbittorrent") {
        const svc = serviceFor(objects, w, labels, containerPorts(container));
        if (svc !== undefined && qbittorrent === undefined) qbittorrent = { serviceKey: `${svc.name}.${ns}`, servicePort: svc.port };
        continue;
      }
      const kind = simKindOf(image);
      if (kind === undefined) continue;
      if (kind === "gluetun") {
        // The control server listens on :8000 inside the pod; in-cluster clients reach it on the
        // pod (or a Service port) at 8000, keyed by the Service that fronts the pod.
        const svc = serviceFor(objects, w, labels, [...containerPorts(container), ...arr(rec(tpl.spec).containers).map(rec).flatMap(containerPorts)]);
        const host = svc?.name ?? w.name;
        instances.push({
          id: `gluetun-${w.name}`,
          kind,
          serviceKey: `${host}.${ns}:${GLUETUN_CONTROL_PORT}`,
          servicePort: GLUETUN_CONTROL_PORT,
          urlBase: "",
          workload: `${ns}/${w.name}`,
          namespace: ns,
          configClaim: configClaimOfPodTemplate(tpl) ?? `${w.name}-config`,
          urlBaseSource: "none",
        });
        continue;
      }
      const ports = containerPorts(container);
      const svc = serviceFor(objects, w, labels, ports);
      const base = urlBaseOf(objects, w, tpl, container);
      const taken = instances.some((i) => i.id === kind);
      instances.push({
        id: !taken && (w.name === kind || !instances.some((i) => i.kind === kind)) ? kind : w.name,
        kind,
        serviceKey: `${svc?.name ?? w.name}.${ns}`,
        servicePort: svc?.port ?? ports[0]?.port ?? defaultsOf(kind).port,
        urlBase: base?.base ?? "",
        workload: `${ns}/${w.name}`,
        namespace: ns,
        configClaim: configClaimOfPodTemplate(tpl) ?? `${w.name}-config`,
        urlBaseSource: base?.source ?? "none found (app serves at /)",
      });
      const keyRef = apiKeyRefOf(kind, ns, container);
      if (keyRef !== undefined) (instances[instances.length - 1] as DiscoveredInstance).apiKeyRef = keyRef;
    }
  }
  for (const kind of Object.keys(SIM_KINDS) as SimKindId[]) {
    if (kind === "gluetun" || instances.some((i) => i.kind === kind)) continue;
    const d = defaultsOf(kind);
    instances.push({
      id: kind,
      kind,
      serviceKey: `${kind}.${d.namespace}`,
      servicePort: d.port,
      urlBase: "",
      workload: "default",
      namespace: d.namespace,
      configClaim: `${kind}-config`,
      urlBaseSource: "not in the manifests",
    });
  }
  return { instances, qbittorrent };
}

function toManifest(kind: string, apiVersion: string, item: unknown): ManifestObject | undefined {
  const body = rec(JSON.parse(JSON.stringify(item)) as unknown);
  const meta = rec(body.metadata);
  const name = str(meta.name);
  if (name === undefined) return undefined;
  return { kind, apiVersion, name, namespace: str(meta.namespace), body: { ...body, kind, apiVersion }, file: "(cluster)" };
}

/** Deployments, StatefulSets, DaemonSets, Services and ConfigMaps of the lab cluster. */
async function clusterObjects(kubeconfig: string, timeoutMs: number): Promise<ManifestObject[]> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const work = Promise.all([
    apps.listDeploymentForAllNamespaces(),
    apps.listStatefulSetForAllNamespaces(),
    apps.listDaemonSetForAllNamespaces(),
    core.listServiceForAllNamespaces(),
    core.listConfigMapForAllNamespaces(),
  ]);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref());
  const [deps, sts, ds, svcs, cms] = await Promise.race([work, timeout]);
  const out: ManifestObject[] = [];
  const add = (kind: string, apiVersion: string, items: unknown[]) => {
    for (const i of items) {
      const m = toManifest(kind, apiVersion, i);
      if (m !== undefined) out.push(m);
    }
  };
  add("Deployment", "apps/v1", deps.items);
  add("StatefulSet", "apps/v1", sts.items);
  add("DaemonSet", "apps/v1", ds.items);
  add("Service", "v1", svcs.items);
  add("ConfigMap", "v1", cms.items);
  return out;
}

/**
 * Objects to discover from: the cluster's (when `kubeconfig` answers) over the GitOps
 * checkout's. Returns where they came from for the log.
 */
export async function loadObjects(opts: { kubeconfig?: string; gitopsDir?: string; log?: (m: string) => void }): Promise<ManifestObject[]> {
  const log = opts.log ?? (() => undefined);
  const extras = opts.gitopsDir === undefined ? defaultExtrasDir() : undefined;
  const fromFiles = [...loadManifests(opts.gitopsDir ?? defaultGitopsRepo()), ...(extras !== undefined && existsSync(extras) ? loadManifests(extras) : [])];
  if (opts.kubeconfig === undefined || opts.kubeconfig === "") return fromFiles;
  try {
    const fromCluster = await clusterObjects(opts.kubeconfig, 5_000);
    const key = (o: ManifestObject) => `${o.kind}/${o.namespace ?? ""}/${o.name}`;
    // A file object without a namespace gets one only when rendered (the Application's destination):
    // the cluster holds it rendered, so only the files' namespaced objects are merged.
    const merged = new Map(fromFiles.filter((o) => o.namespace !== undefined).map((o) => [key(o), o]));
    for (const o of fromCluster) merged.set(key(o), o);
    log(`simulators: read ${fromCluster.length} objects from the lab cluster, ${fromFiles.length} from the GitOps files`);
    return [...merged.values()];
  } catch (err) {
    log(`simulators: cluster not readable (${err instanceof Error ? err.message : String(err)}); using the GitOps files only`);
    return fromFiles;
  }
}
