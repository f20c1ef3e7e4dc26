import { toArgoAppState, type ArgoAppState } from "../gitops/argo-status";
import type { ContainerState, DiscoveredService, KubeEvent, KubeHealth, PodState } from "../services";
import { podContainers, recognizeWorkload, type Recognition } from "./recognize";
import { routesTo, userUrls, type Route } from "./routes";
import { urlBaseCandidates } from "./url-base";
import { podRestartsInWindow, type RestartHistory } from "./restarts";
import { isHttpUrl } from "../safe-url";
import type {
  ClusterSnapshot,
  Container,
  ContainerStatus,
  CoreV1Event,
  HTTPRoute,
  Ingress,
  LabelSelector,
  PersistentVolumeClaim,
  Pod,
  Service,
  ServicePort,
  TraefikIngressRoute,
  TraefikMiddleware,
  Workload,
} from "./types";

/**
 * Pure derivation of the panel's services from the informers' caches: each Deployment, StatefulSet and
 * DaemonSet of a watched namespace becomes a DiscoveredService, joined with its pods (by owner
 * reference, else by selector), Services (selector ⊆ pod template labels), routes (Ingresses, Traefik
 * IngressRoutes and Gateway API HTTPRoutes naming those Services), PVCs (claims of the pod template)
 * and Warning events.
 */

export type WorkloadKind = DiscoveredService["workloadKind"];

export interface DeriveOptions {
  /** Current time (ms), for restarts within the last hour. */
  now: number;
  /** `discovery.kindOverrides`. */
  kindOverrides?: Readonly<Record<string, string>>;
  /** Restart counts sampled by the server (see restarts.ts). */
  restartHistory?: RestartHistory;
  /** Namespace of Argo CD Applications named by the `argocd.argoproj.io/instance` label (default `argocd`). */
  argocdNamespace?: string;
  /** Most Warning events kept per service (default 10). */
  maxWarnings?: number;
}

/** Code-point order: Kubernetes names are ASCII, and this is stable across locales and fast. */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** True when every key/value of `selector` is in `labels` (a Service selector; empty selects nothing). */
export function selectorSubset(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels?.[k] === v);
}

/** A workload's LabelSelector (matchLabels and matchExpressions) against labels; an empty selector matches nothing. */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  const match = selector?.matchLabels ?? {};
  const exprs = selector?.matchExpressions ?? [];
  if (Object.keys(match).length === 0 && exprs.length === 0) return false;
  if (!Object.entries(match).every(([k, v]) => labels?.[k] === v)) return false;
  return exprs.every((e) => {
    const value = labels?.[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Services and ports

function portMatches(target: number | string | undefined, port: ServicePort, container: Container | undefined): boolean {
  const t = target ?? port.port;
  return (container?.ports ?? []).some((cp) => (typeof t === "number" ? cp.containerPort === t : cp.name === t));
}

/** The Service port the panel talks to: one an Ingress uses, else one reaching the main container, else `http`/`web`, else the first TCP port. */
export function pickServicePort(service: Service, main: Container | undefined, ingressPorts: ReadonlyArray<number | string | undefined>): ServicePort | undefined {
  const ports = (service.spec?.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP");
  return (
    ports.find((p) => ingressPorts.some((ip) => ip !== undefined && (ip === p.port || ip === p.name))) ??
    ports.find((p) => portMatches(p.targetPort, p, main)) ??
    ports.find((p) => /^(http|web)(-|$)/i.test(p.name ?? "")) ??
    ports[0]
  );
}

/** Ports of the main container's HTTP probes, by path (a named port resolved through the container's ports). */
export function probePortsOf(main: Container | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const probe of [main?.readinessProbe, main?.livenessProbe, main?.startupProbe]) {
    const get = probe?.httpGet;
    if (!get?.path) continue;
    const port = typeof get.port === "number" ? get.port : main?.ports?.find((p) => p.name === get.port)?.containerPort;
    if (port !== undefined && out[get.path] === undefined) out[get.path] = port;
  }
  return out;
}

/** Services of the namespace whose selector is a subset of the workload's pod template labels, the main one first. */
export function matchingServices(workload: Workload, services: readonly Service[], routedServices: { has(name: string): boolean }): Service[] {
  const labels = workload.spec?.template?.metadata?.labels;
  const name = workload.metadata?.name;
  const rank = (s: Service) => (s.metadata?.name === name ? 0 : routedServices.has(s.metadata?.name ?? "") ? 1 : 2);
  return services
    .filter((s) => selectorSubset(s.spec?.selector, labels))
    .sort((a, b) => rank(a) - rank(b) || byString(a.metadata?.name ?? "", b.metadata?.name ?? ""));
}

/** `http://<svc>.<ns>.svc.cluster.local:<port><urlBase>`. */
export function inClusterUrl(serviceName: string, namespace: string, port: number, urlBase: string): string {
  return `http://${serviceName}.${namespace}.svc.cluster.local:${port}${urlBase}`;
}

// ---------------------------------------------------------------------------------------------
// Pods, events, health

function podReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

function containerReason(status: ContainerStatus | undefined, pod: Pod): string | undefined {
  const s = status?.state;
  if (s?.waiting?.reason) return s.waiting.reason;
  if (s?.terminated?.reason) return s.terminated.reason;
  if (!status) {
    const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    return unscheduled?.reason ?? pod.status?.reason;
  }
  return undefined;
}

/** The state of one pod as the panel shows it; readiness comes from the Ready condition, never the phase. */
export function podState(pod: Pod, sidecars: ReadonlySet<string>, now: number, history?: RestartHistory): PodState {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const specContainers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always")];
  const containers: ContainerState[] = specContainers.map((c) => {
    const st = statuses.find((s) => s.name === c.name);
    const reason = containerReason(st, pod);
    return {
      name: c.name,
      image: c.image ?? st?.image ?? "",
      ready: st?.ready ?? false,
      restarts: st?.restartCount ?? 0,
      ...(reason ? { reason } : {}),
      sidecar: sidecars.has(c.name),
    };
  });
  return {
    name: pod.metadata?.name ?? "",
    phase: pod.metadata?.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Unknown"),
    ready: podReady(pod),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    restarts: containers.reduce((n, c) => n + c.restarts, 0),
    restartsLastHour: podRestartsInWindow(pod, now, history),
    ...(pod.status?.startTime ? { startedAt: pod.status.startTime } : {}),
    ...(pod.status?.podIP ? { podIP: pod.status.podIP } : {}),
    containers,
  };
}

function eventTime(e: CoreV1Event): string {
  return e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "";
}

/** An Event as the panel shows it. */
export function toKubeEvent(e: CoreV1Event): KubeEvent {
  const kind = (e.involvedObject?.kind ?? "object").toLowerCase();
  return {
    type: e.type === "Warning" ? "Warning" : "Normal",
    reason: e.reason ?? "",
    message: (e.message ?? "").trim(),
    count: e.series?.count ?? e.count ?? 1,
    lastSeen: eventTime(e),
    object: `${kind}/${e.involvedObject?.name ?? ""}`,
  };
}

/** Conditions of a workload that signal trouble: any not True, except ReplicaFailure which is trouble when True. */
export function troubleConditions(workload: Workload): KubeHealth["conditions"] {
  return (workload.status?.conditions ?? [])
    .filter((c) => (c.type === "ReplicaFailure" ? c.status === "True" : c.status !== "True"))
    .map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }));
}

function replicaCounts(kind: WorkloadKind, w: Workload): Pick<KubeHealth, "desired" | "ready" | "available" | "updated"> {
  const s = w.status ?? {};
  if (kind === "DaemonSet") {
    return { desired: s.desiredNumberScheduled ?? 0, ready: s.numberReady ?? 0, available: s.numberAvailable ?? 0, updated: s.updatedNumberScheduled ?? 0 };
  }
  return { desired: w.spec?.replicas ?? 1, ready: s.readyReplicas ?? 0, available: s.availableReplicas ?? (kind === "StatefulSet" ? (s.readyReplicas ?? 0) : 0), updated: s.updatedReplicas ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// Argo CD

/** The Argo CD Application managing an object, from the `argocd.argoproj.io/instance` label or the tracking-id annotation. */
export function argocdAppOf(workload: Workload, defaultNamespace = "argocd"): { namespace: string; name: string } | undefined {
  const meta = workload.metadata ?? {};
  const tracking = meta.annotations?.["argocd.argoproj.io/tracking-id"];
  if (tracking) {
    const app = tracking.split(":")[0] ?? "";
    const us = app.indexOf("_");
    if (us > 0) return { namespace: app.slice(0, us), name: app.slice(us + 1) };
    if (app) return { namespace: defaultNamespace, name: app };
  }
  const instance = meta.labels?.["argocd.argoproj.io/instance"];
  if (instance) {
    const us = instance.indexOf("_");
    if (us > 0) return { namespace: instance.slice(0, us), name: instance.slice(us + 1) };
    return { namespace: defaultNamespace, name: instance };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The join

function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

function controllerUid(obj: { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }): string | undefined {
  const refs = obj.metadata?.ownerReferences ?? [];
  return (refs.find((r) => r.controller) ?? refs[0])?.uid;
}

const WORKLOAD_SOURCES: ReadonlyArray<[WorkloadKind, keyof ClusterSnapshot]> = [
  ["Deployment", "deployments"],
  ["StatefulSet", "statefulsets"],
  ["DaemonSet", "daemonsets"],
];

/** Indexes built once per snapshot so the join stays linear in the number of objects. */
interface SnapshotIndex {
  podsByOwner: Map<string, Pod[]>;
  podsByNs: Map<string, Pod[]>;
  rsByOwner: Map<string, Workload[]>;
  servicesByNs: Map<string, Service[]>;
  ingressesByNs: Map<string, Ingress[]>;
  ingressRoutesByNs: Map<string, TraefikIngressRoute[]>;
  middlewaresByNs: Map<string, TraefikMiddleware[]>;
  httpRoutesByNs: Map<string, HTTPRoute[]>;
  pvcsByNs: Map<string, PersistentVolumeClaim[]>;
  warningsByObject: Map<string, CoreV1Event[]>;
  /** Services with a selector, per namespace and `key=value` of their first selector label. */
  servicesBySelector: Map<string, Map<string, Service[]>>;
  /** Routes per namespace and Service name (filled lazily). */
  routesByNs: Map<string, Map<string, Route[]>>;
}

function indexSnapshot(s: ClusterSnapshot): SnapshotIndex {
  return {
    podsByOwner: groupBy(s.pods, controllerUid),
    podsByNs: groupBy(s.pods, (p) => p.metadata?.namespace),
    rsByOwner: groupBy(s.replicasets, controllerUid),
    servicesByNs: groupBy(s.services, (o) => o.metadata?.namespace),
    ingressesByNs: groupBy(s.ingresses, (o) => o.metadata?.namespace),
    ingressRoutesByNs: groupBy(s.ingressroutes, (o) => o.metadata?.namespace),
    middlewaresByNs: groupBy(s.middlewares, (o) => o.metadata?.namespace),
    httpRoutesByNs: groupBy(s.httproutes, (o) => o.metadata?.namespace),
    pvcsByNs: groupBy(s.pvcs, (o) => o.metadata?.namespace),
    warningsByObject: groupBy(
      s.events.filter((e) => e.type === "Warning"),
      (e) => `${e.involvedObject?.namespace ?? e.metadata?.namespace ?? ""}/${e.involvedObject?.kind ?? ""}/${e.involvedObject?.name ?? ""}`,
    ),
    servicesBySelector: groupServicesBySelector(s.services),
    routesByNs: new Map(),
  };
}

function firstSelectorPair(selector: Readonly<Record<string, string>> | undefined): string | undefined {
  const keys = Object.keys(selector ?? {}).sort();
  const k = keys[0];
  return k === undefined ? undefined : `${k}=${selector?.[k] ?? ""}`;
}

function groupServicesBySelector(services: readonly Service[]): Map<string, Map<string, Service[]>> {
  const out = new Map<string, Map<string, Service[]>>();
  for (const svc of services) {
    const pair = firstSelectorPair(svc.spec?.selector);
    if (pair === undefined) continue;
    const ns = svc.metadata?.namespace ?? "";
    let byPair = out.get(ns);
    if (!byPair) out.set(ns, (byPair = new Map()));
    byPair.set(pair, [...(byPair.get(pair) ?? []), svc]);
  }
  return out;
}

/** Services whose first selector label the workload's pod template carries (the full subset check follows). */
function candidateServices(idx: SnapshotIndex, ns: string, w: Workload): Service[] {
  const byPair = idx.servicesBySelector.get(ns);
  if (!byPair) return [];
  const out: Service[] = [];
  for (const [k, v] of Object.entries(w.spec?.template?.metadata?.labels ?? {})) {
    const hit = byPair.get(`${k}=${v}`);
    if (hit) out.push(...hit);
  }
  return out;
}

function podsOf(kind: WorkloadKind, w: Workload, idx: SnapshotIndex): { pods: Pod[]; replicasets: Workload[] } {
  const uid = w.metadata?.uid ?? "";
  const ns = w.metadata?.namespace ?? "";
  if (kind === "Deployment") {
    const replicasets = idx.rsByOwner.get(uid) ?? [];
    if (replicasets.length > 0) {
      return { pods: replicasets.flatMap((rs) => idx.podsByOwner.get(rs.metadata?.uid ?? "") ?? []), replicasets };
    }
  } else {
    const owned = idx.podsByOwner.get(uid);
    if (owned) return { pods: owned, replicasets: [] };
  }
  // No owner chain in the caches (e.g. ReplicaSets not readable): fall back to the selector.
  const pods = (idx.podsByNs.get(ns) ?? []).filter((p) => labelSelectorMatches(w.spec?.selector, p.metadata?.labels));
  return { pods, replicasets: [] };
}

function claimsOf(kind: WorkloadKind, w: Workload, pvcs: readonly PersistentVolumeClaim[]): DiscoveredService["pvcs"] {
  const names = new Set<string>();
  for (const v of w.spec?.template?.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) names.add(v.persistentVolumeClaim.claimName);
  if (kind === "StatefulSet") {
    const sts = w.metadata?.name ?? "";
    for (const t of w.spec?.volumeClaimTemplates ?? []) {
      const prefix = `${t.metadata?.name ?? ""}-${sts}-`;
      for (const p of pvcs) {
        const n = p.metadata?.name ?? "";
        if (n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))) names.add(n);
      }
    }
  }
  return [...names].sort().map((name) => {
    const pvc = pvcs.find((p) => p.metadata?.name === name);
    const capacity = pvc?.status?.capacity?.storage ?? pvc?.spec?.resources?.requests?.storage;
    return { name, phase: pvc ? (pvc.status?.phase ?? "Pending") : "Missing", ...(capacity ? { capacity } : {}) };
  });
}

function warningsOf(ns: string, kind: WorkloadKind, w: Workload, replicasets: readonly Workload[], pods: readonly Pod[], idx: SnapshotIndex, max: number): KubeEvent[] {
  const keys = [
    `${ns}/${kind}/${w.metadata?.name ?? ""}`,
    ...replicasets.map((rs) => `${ns}/ReplicaSet/${rs.metadata?.name ?? ""}`),
    ...pods.map((p) => `${ns}/Pod/${p.metadata?.name ?? ""}`),
  ];
  const events = keys.flatMap((k) => idx.warningsByObject.get(k) ?? []);
  const time = (e: KubeEvent) => Date.parse(e.lastSeen) || 0;
  return events
    .map(toKubeEvent)
    .sort((a, b) => time(b) - time(a))
    .slice(0, max);
}

/** One workload joined into a DiscoveredService (undefined when it carries `k8s-nas-panel/ignore`). */
export function deriveService(kind: WorkloadKind, w: Workload, snapshot: ClusterSnapshot, options: DeriveOptions): DiscoveredService | undefined {
  return joinWorkload(kind, w, options, indexSnapshot(snapshot), snapshot);
}

function joinWorkload(kind: WorkloadKind, w: Workload, options: DeriveOptions, idx: SnapshotIndex, snapshot: ClusterSnapshot): DiscoveredService | undefined {
  const ns = w.metadata?.namespace ?? "";
  const name = w.metadata?.name ?? "";
  const services = idx.servicesByNs.get(ns) ?? [];
  // Routes of the namespace, computed once per snapshot and namespace.
  let routesBySvc = idx.routesByNs.get(ns);
  if (!routesBySvc) {
    const all = routesTo(
      {
        ingresses: idx.ingressesByNs.get(ns) ?? [],
        ingressroutes: idx.ingressRoutesByNs.get(ns) ?? [],
        // Traefik resolves a middleware in its own namespace; an annotation may name one elsewhere.
        middlewares: snapshot.middlewares,
        httproutes: idx.httpRoutesByNs.get(ns) ?? [],
        gateways: snapshot.gateways,
      },
      new Set(services.map((s) => s.metadata?.name ?? "")),
    );
    routesBySvc = new Map();
    for (const r of all) routesBySvc.set(r.serviceName, [...(routesBySvc.get(r.serviceName) ?? []), r]);
    idx.routesByNs.set(ns, routesBySvc);
  }
  const matched = matchingServices(w, candidateServices(idx, ns, w), routesBySvc);
  const routes = matched.flatMap((svc) => routesBySvc.get(svc.metadata?.name ?? "") ?? []);
  const recognition: Recognition = recognizeWorkload(w, { kindOverrides: options.kindOverrides, ingressAnnotations: routes.map((r) => r.annotations) });
  if (recognition.ignored) return undefined;

  const containers = podContainers(w);
  const main = containers.find((c) => c.name === recognition.mainContainer);
  const mainService = matched[0];
  const mainRoutes = routes.filter((r) => r.serviceName === mainService?.metadata?.name);
  const candidates = urlBaseCandidates({
    ...(recognition.urlBase !== undefined ? { annotation: recognition.urlBase } : {}),
    ...(main ? { main } : {}),
    initContainers: w.spec?.template?.spec?.initContainers ?? [],
    volumes: w.spec?.template?.spec?.volumes ?? [],
    routes: mainRoutes.length > 0 ? mainRoutes : routes,
  });
  const { urlBase, source: urlBaseSource } = candidates[0] ?? { urlBase: "", source: "default" as const };
  const probePorts = probePortsOf(main);
  const port = mainService ? pickServicePort(mainService, main, mainRoutes.map((r) => r.servicePort)) : undefined;

  const { pods, replicasets } = podsOf(kind, w, idx);
  const sidecars = new Set(recognition.sidecars);
  const podStates = pods
    .map((p) => podState(p, sidecars, options.now, options.restartHistory))
    .sort((a, b) => byString(a.name, b.name));
  const urls = userUrls(routes);
  // A link from an annotation is shown only when it is a web link (never `javascript:` or `data:`).
  if (isHttpUrl(recognition.href) && !urls.includes(recognition.href)) urls.unshift(recognition.href);
  const argocdApp = argocdAppOf(w, options.argocdNamespace);

  return {
    id: `${ns}/${name}`,
    namespace: ns,
    name,
    workloadKind: kind,
    appKind: recognition.appKind,
    kindSource: recognition.kindSource,
    displayName: recognition.displayName,
    ...(recognition.description ? { description: recognition.description } : {}),
    images: containers.map((c) => c.image ?? ""),
    ...(mainService
      ? {
          service: {
            name: mainService.metadata?.name ?? "",
            ports: (mainService.spec?.ports ?? []).map((p) => ({
              ...(p.name ? { name: p.name } : {}),
              port: p.port,
              ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
            })),
            ...(mainService.spec?.type ? { type: mainService.spec.type } : {}),
          },
        }
      : {}),
    urlBase,
    urlBaseSource,
    urlBaseCandidates: candidates,
    ...(Object.keys(probePorts).length > 0 ? { probePorts } : {}),
    ...(mainService && port ? { inClusterUrl: inClusterUrl(mainService.metadata?.name ?? "", ns, port.port, urlBase) } : {}),
    ingressUrls: urls,
    pvcs: claimsOf(kind, w, idx.pvcsByNs.get(ns) ?? []),
    ...(argocdApp ? { argocdApp } : {}),
    containerSpecs: containers.map((c) => ({
      name: c.name,
      main: c === main,
      readinessProbe: c.readinessProbe !== undefined && c.readinessProbe !== null,
      livenessProbe: c.livenessProbe !== undefined && c.livenessProbe !== null,
      requests: Object.keys(c.resources?.requests ?? {}),
      limits: Object.keys(c.resources?.limits ?? {}),
    })),
    kube: {
      ...replicaCounts(kind, w),
      pods: podStates,
      warnings: warningsOf(ns, kind, w, replicasets, pods, idx, options.maxWarnings ?? 10),
      conditions: troubleConditions(w),
    },
  };
}

/** Every workload of the snapshot as a DiscoveredService, sorted by namespace then name. */
export function deriveServices(snapshot: ClusterSnapshot, options: DeriveOptions): DiscoveredService[] {
  const idx = indexSnapshot(snapshot);
  const apps = new Map<string, ArgoAppState>();
  for (const raw of snapshot.applications ?? []) {
    const app = toArgoAppState(raw);
    if (app) apps.set(`${app.namespace}/${app.name}`, app);
  }
  const out: DiscoveredService[] = [];
  for (const [kind, key] of WORKLOAD_SOURCES) {
    for (const w of snapshot[key] as readonly Workload[]) {
      if (w.metadata?.deletionTimestamp) continue;
      const s = joinWorkload(kind, w, options, idx, snapshot);
      if (!s) continue;
      const argo = s.argocdApp ? apps.get(`${s.argocdApp.namespace}/${s.argocdApp.name}`) : undefined;
      out.push(argo ? { ...s, argoState: argo } : s);
    }
  }
  return out.sort((a, b) => byString(a.namespace, b.namespace) || byString(a.name, b.name));
}
