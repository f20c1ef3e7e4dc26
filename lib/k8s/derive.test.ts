import { describe, expect, it } from "vitest";
import type { DiscoveredService } from "../services";
import { argocdAppOf, deriveServices, labelSelectorMatches, pickServicePort, podState, probePortsOf, troubleConditions } from "./derive";
import { podFor, readFixtureObjects, simulateCluster } from "./test-fixture";
import { emptySnapshot, type ClusterSnapshot, type CoreV1Event, type Ingress, type Pod, type Service, type Workload } from "./types";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const fixture = readFixtureObjects();
const byId = (list: DiscoveredService[], id: string) => {
  const s = list.find((x) => x.id === id);
  if (!s) throw new Error(`no service ${id} in ${list.map((x) => x.id).join(", ")}`);
  return s;
};

describe("deriveServices on the fixture's manifests", () => {
  const services = deriveServices(simulateCluster(fixture, { startTime: "2026-01-01T08:00:00Z" }), { now: NOW });
  const H = "https://home.brettswift.com";
  const want: Record<string, { kind: string; urlBase: string; source: string; inCluster?: string; urls: string[]; pvcs: string[] }> = {
    "homepage/homepage": { kind: "homepage", urlBase: "", source: "route", inCluster: "http://homepage.homepage.svc.cluster.local:80", urls: [`${H}/`], pvcs: [] },
    "media/bazarr": { kind: "bazarr", urlBase: "/bazarr", source: "config-file", inCluster: "http://bazarr.media.svc.cluster.local:6767/bazarr", urls: [`${H}/bazarr`], pvcs: ["bazarr-config"] },
    "media/flaresolverr": { kind: "flaresolverr", urlBase: "", source: "route", inCluster: "http://flaresolverr.media.svc.cluster.local:8191", urls: [`${H}/flaresolverr`], pvcs: [] },
    "media/jellyfin": { kind: "jellyfin", urlBase: "", source: "route", inCluster: "http://jellyfin.media.svc.cluster.local:80", urls: [`${H}/jellyfin/`], pvcs: ["jellyfin-config"] },
    "media/jellyseerr": { kind: "jellyseerr", urlBase: "", source: "route", inCluster: "http://jellyseerr.media.svc.cluster.local:5055", urls: ["https://jellyseerr.home.brettswift.com/"], pvcs: ["jellyseerr-config"] },
    "media/lidarr": { kind: "lidarr", urlBase: "/lidarr", source: "probe", inCluster: "http://lidarr.media.svc.cluster.local:8686/lidarr", urls: [`${H}/lidarr`], pvcs: ["lidarr-config"] },
    "media/prowlarr": { kind: "prowlarr", urlBase: "/prowlarr", source: "config-file", inCluster: "http://prowlarr.media.svc.cluster.local:9696/prowlarr", urls: [`${H}/prowlarr`], pvcs: ["prowlarr-config"] },
    "media/radarr": { kind: "radarr", urlBase: "/radarr", source: "config-file", inCluster: "http://radarr.media.svc.cluster.local:7878/radarr", urls: [`${H}/radarr`], pvcs: [] },
    "media/sabnzbd": { kind: "sabnzbd", urlBase: "/sabnzbd", source: "config-file", inCluster: "http://sabnzbd.media.svc.cluster.local:8080/sabnzbd", urls: [`${H}/sabnzbd`], pvcs: ["sabnzbd-config"] },
    "media/sonarr": { kind: "sonarr", urlBase: "/sonarr", source: "config-file", inCluster: "http://sonarr.media.svc.cluster.local:8989/sonarr", urls: [`${H}/sonarr`], pvcs: [] },
    "media/unpackerr": { kind: "unpackerr", urlBase: "", source: "default", urls: [], pvcs: [] },
    "media/vpn": { kind: "gluetun", urlBase: "", source: "default", inCluster: "http://vpn.media.svc.cluster.local:8888", urls: [], pvcs: [] },
    "monitoring/grafana": { kind: "grafana", urlBase: "/grafana", source: "env", inCluster: "http://grafana.monitoring.svc.cluster.local:3000/grafana", urls: [`${H}/grafana`], pvcs: [] },
    "monitoring/prometheus": { kind: "prometheus", urlBase: "/prometheus", source: "args", inCluster: "http://prometheus.monitoring.svc.cluster.local:9090/prometheus", urls: [`${H}/prometheus`], pvcs: [] },
    "qbittorrent/qbittorrent": { kind: "qbittorrent", urlBase: "", source: "route", inCluster: "http://qbittorrent.qbittorrent.svc.cluster.local:8080", urls: [`${H}/qbittorrent/`], pvcs: ["qbittorrent-config", "vuetorrent-webui"] },
  };

  it("lists every workload once, sorted by namespace/name", () => {
    expect(services.map((s) => s.id)).toEqual(Object.keys(want).sort());
  });

  for (const [id, w] of Object.entries(want)) {
    it(`${id}: ${w.kind}, URL base "${w.urlBase}" from ${w.source}, ${w.urls.join(" ") || "no ingress"}`, () => {
      const s = byId(services, id);
      expect({ kind: s.appKind, urlBase: s.urlBase, source: s.urlBaseSource, inCluster: s.inClusterUrl, urls: s.ingressUrls, pvcs: s.pvcs.map((p) => p.name) }).toEqual({
        kind: w.kind,
        urlBase: w.urlBase,
        source: w.source,
        inCluster: w.inCluster,
        urls: w.urls,
        pvcs: w.pvcs,
      });
      expect(s.kube).toMatchObject({ desired: 1, ready: 1, available: 1, updated: 1, warnings: [], conditions: [] });
      expect(s.kube.pods).toHaveLength(1);
      expect(s.kube.pods[0]).toMatchObject({ ready: true, phase: "Running", restarts: 0, restartsLastHour: 0, nodeName: "lab-node-1" });
    });
  }

  it("an app whose Ingress path is not rewritten serves under that path: the URL base equals the ingress path", () => {
    for (const id of ["media/sonarr", "media/radarr", "media/prowlarr", "media/bazarr", "media/sabnzbd"]) {
      const s = byId(services, id);
      expect(s.ingressUrls[0]?.endsWith(s.urlBase)).toBe(true);
    }
  });

  it("marks Gluetun next to qBittorrent and SABnzbd as a sidecar container", () => {
    for (const id of ["qbittorrent/qbittorrent", "media/sabnzbd"]) {
      const containers = byId(services, id).kube.pods[0]?.containers ?? [];
      expect(containers.map((c) => [c.name, c.sidecar])).toEqual([
        ["vpn", true],
        [id === "media/sabnzbd" ? "sabnzbd" : "qbittorrent", false],
      ]);
    }
  });

  it("the Service's ports and PVC status come along", () => {
    const jf = byId(services, "media/jellyfin");
    expect(jf.service).toEqual({ name: "jellyfin", ports: [{ name: "http", port: 80, targetPort: 8096 }, { name: "discovery", port: 7359, targetPort: 7359 }], type: "ClusterIP" });
    expect(jf.pvcs).toEqual([{ name: "jellyfin-config", phase: "Bound", capacity: "10Gi" }]);
    expect(byId(services, "media/unpackerr").service).toBeUndefined();
  });
});

/** A small cluster built by hand around one Deployment. */
function oneApp(opts: { name?: string; image?: string; replicas?: number; annotations?: Record<string, string> } = {}): ClusterSnapshot & { deployment: Workload; rs: Workload } {
  const name = opts.name ?? "sonarr";
  const deployment: Workload = {
    kind: "Deployment",
    metadata: { name, namespace: "media", uid: `d-${name}`, annotations: opts.annotations },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: opts.image ?? "linuxserver/sonarr", ports: [{ containerPort: 8989, name: "http" }] }] } },
    },
    status: { readyReplicas: opts.replicas ?? 1, availableReplicas: opts.replicas ?? 1, updatedReplicas: opts.replicas ?? 1 },
  };
  const rs: Workload = { metadata: { name: `${name}-abc`, namespace: "media", uid: `rs-${name}`, ownerReferences: [{ kind: "Deployment", name, uid: `d-${name}`, controller: true }] } };
  const pods = Array.from({ length: opts.replicas ?? 1 }, (_, i) => podFor(deployment, rs, i, "2026-01-01T08:00:00Z"));
  const service: Service = { metadata: { name, namespace: "media", uid: `s-${name}` }, spec: { selector: { app: name }, ports: [{ name: "http", port: 8989, targetPort: 8989 }] } };
  return { ...emptySnapshot(), deployments: [deployment], replicasets: [rs], pods, services: [service], deployment, rs };
}

const warning = (kind: string, name: string, reason: string, at: string, extra: Partial<CoreV1Event> = {}): CoreV1Event => ({
  metadata: { name: `${name}.${reason}.${at}`, namespace: "media", uid: `e-${name}-${reason}-${at}` },
  type: "Warning",
  reason,
  message: `${reason} on ${name}`,
  count: 1,
  lastTimestamp: at,
  involvedObject: { kind, name, namespace: "media" },
  ...extra,
});

describe("Kubernetes health of a service", () => {
  it("a CrashLoopBackOff pod is not ready even in phase Running, with its reason, restarts and restarts in the last hour", () => {
    const snap = oneApp();
    const pod = snap.pods[0] as Pod;
    pod.status = {
      ...pod.status,
      phase: "Running",
      conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
      containerStatuses: [
        { name: "sonarr", ready: false, restartCount: 5, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { reason: "Error", exitCode: 1, finishedAt: "2026-01-01T11:58:00Z" } } },
      ],
    };
    (snap.deployment.status ?? {}).readyReplicas = 0;
    const s = deriveServices(snap, { now: NOW })[0] as DiscoveredService;
    expect(s.kube.ready).toBe(0);
    expect(s.kube.pods[0]).toMatchObject({ phase: "Running", ready: false, restarts: 5, restartsLastHour: 1, containers: [{ name: "sonarr", ready: false, restarts: 5, reason: "CrashLoopBackOff", sidecar: false }] });
  });

  it("scaled to 0: desired 0, ready 0, no pods", () => {
    const snap = oneApp({ replicas: 0 });
    const s = deriveServices({ ...snap, pods: [] }, { now: NOW })[0] as DiscoveredService;
    expect(s.kube).toMatchObject({ desired: 0, ready: 0, pods: [] });
  });

  it("Warning events of the workload, its ReplicaSets and pods, newest first, at most 10; Normal events and other objects left out", () => {
    const snap = oneApp();
    const podName = snap.pods[0]?.metadata?.name ?? "";
    const events: CoreV1Event[] = [
      warning("Deployment", "sonarr", "ProgressDeadlineExceeded", "2026-01-01T11:00:00Z"),
      warning("ReplicaSet", "sonarr-abc", "FailedCreate", "2026-01-01T11:30:00Z", { count: 4 }),
      warning("Pod", podName, "BackOff", "2026-01-01T11:59:00Z"),
      warning("Pod", "radarr-xyz-p0", "BackOff", "2026-01-01T11:59:30Z"),
      { ...warning("Pod", podName, "Pulled", "2026-01-01T11:59:59Z"), type: "Normal" },
      warning("Pod", podName, "Unhealthy", "", { lastTimestamp: undefined, series: { count: 7, lastObservedTime: "2026-01-01T11:45:00.000000Z" }, count: undefined }),
      warning("Pod", podName, "FailedMount", "", { lastTimestamp: undefined, eventTime: "2026-01-01T11:59:00.500000Z" }),
    ];
    const s = deriveServices({ ...snap, events }, { now: NOW })[0] as DiscoveredService;
    expect(s.kube.warnings.map((w) => [w.reason, w.object, w.count])).toEqual([
      ["FailedMount", `pod/${podName}`, 1],
      ["BackOff", `pod/${podName}`, 1],
      ["Unhealthy", `pod/${podName}`, 7],
      ["FailedCreate", "replicaset/sonarr-abc", 4],
      ["ProgressDeadlineExceeded", "deployment/sonarr", 1],
    ]);
    const many = Array.from({ length: 15 }, (_, i) => warning("Deployment", "sonarr", `R${i}`, `2026-01-01T10:${String(i).padStart(2, "0")}:00Z`));
    const s2 = deriveServices({ ...snap, events: many }, { now: NOW })[0] as DiscoveredService;
    expect(s2.kube.warnings).toHaveLength(10);
    expect(s2.kube.warnings[0]?.reason).toBe("R14");
    expect(s2.kube.warnings[9]?.reason).toBe("R5");
  });

  it("conditions that signal trouble: any not True, and ReplicaFailure when True", () => {
    const w: Workload = {
      status: {
        conditions: [
          { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
          { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
          { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "pods is forbidden" },
        ],
      },
    };
    expect(troubleConditions(w)).toEqual([
      { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
      { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "pods is forbidden" },
    ]);
  });

  it("a pending pod the scheduler cannot place reports why; a deleted pod is Terminating", () => {
    const snap = oneApp();
    const pod = snap.pods[0] as Pod;
    pod.status = { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] };
    expect(podState(pod, new Set(), NOW).containers[0]).toMatchObject({ ready: false, reason: "Unschedulable" });
    const gone: Pod = { ...(snap.pods[0] as Pod), metadata: { ...snap.pods[0]?.metadata, deletionTimestamp: "2026-01-01T11:59:00Z" } };
    expect(podState(gone, new Set(), NOW).phase).toBe("Terminating");
  });

  it("without ReplicaSets in the cache, pods are joined by the Deployment's selector", () => {
    const snap = oneApp();
    const s = deriveServices({ ...snap, replicasets: [] }, { now: NOW })[0] as DiscoveredService;
    expect(s.kube.pods.map((p) => p.name)).toEqual([snap.pods[0]?.metadata?.name]);
  });
});

describe("links from annotations", () => {
  it("are shown only when they are http(s) URLs", () => {
    const url = (href: string) => deriveServices(oneApp({ annotations: { "gethomepage.dev/href": href } }), { now: NOW })[0]?.ingressUrls ?? [];
    expect(url("https://sonarr.example.com/")).toEqual(["https://sonarr.example.com/"]);
    expect(url("http://192.168.1.5:8989")).toEqual(["http://192.168.1.5:8989"]);
    for (const bad of ["javascript:alert(document.cookie)", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example", "file:///etc/passwd"]) {
      expect(url(bad), bad).toEqual([]);
    }
  });
});

describe("services of several workloads", () => {
  it("two instances of one app are two services, each with its own URL", () => {
    const a = oneApp({ name: "sonarr" });
    const b = oneApp({ name: "sonarr-4k" });
    const ingress: Ingress = {
      metadata: { name: "tv", namespace: "media" },
      spec: {
        tls: [{ hosts: ["tv.example.com"] }],
        rules: [
          {
            host: "tv.example.com",
            http: {
              paths: [
                { path: "/sonarr", pathType: "Prefix", backend: { service: { name: "sonarr", port: { number: 8989 } } } },
                { path: "/sonarr-4k", pathType: "Prefix", backend: { service: { name: "sonarr-4k", port: { name: "http" } } } },
              ],
            },
          },
        ],
      },
    };
    const snap: ClusterSnapshot = {
      ...a,
      deployments: [...a.deployments, ...b.deployments],
      replicasets: [...a.replicasets, ...b.replicasets],
      pods: [...a.pods, ...b.pods],
      services: [...a.services, ...b.services],
      ingresses: [ingress],
    };
    const services = deriveServices(snap, { now: NOW });
    expect(services.map((s) => [s.id, s.appKind, s.displayName, s.ingressUrls, s.inClusterUrl, s.kube.pods.length])).toEqual([
      ["media/sonarr", "sonarr", "Sonarr", ["https://tv.example.com/sonarr"], "http://sonarr.media.svc.cluster.local:8989/sonarr", 1],
      ["media/sonarr-4k", "sonarr", "sonarr-4k", ["https://tv.example.com/sonarr-4k"], "http://sonarr-4k.media.svc.cluster.local:8989/sonarr-4k", 1],
    ]);
  });

  it("an unknown image is `other` with Kubernetes health; an ignored workload is left out", () => {
    const a = oneApp({ name: "whoami", image: "traefik/whoami:v1.10" });
    const b = oneApp({ name: "hidden", annotations: { "k8s-nas-panel/ignore": "true" } });
    const services = deriveServices({ ...a, deployments: [...a.deployments, ...b.deployments] }, { now: NOW });
    expect(services.map((s) => [s.id, s.appKind, s.kindSource, s.kube.ready, s.kube.pods.length])).toEqual([["media/whoami", "other", "unknown", 1, 1]]);
  });

  it("StatefulSets own their pods and claims from volumeClaimTemplates; DaemonSets report scheduled counts", () => {
    const sts: Workload = {
      kind: "StatefulSet",
      metadata: { name: "prometheus", namespace: "monitoring", uid: "sts1" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "prometheus" } },
        template: { metadata: { labels: { app: "prometheus" } }, spec: { containers: [{ name: "prometheus", image: "prom/prometheus" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" } }],
      },
      status: { replicas: 2, readyReplicas: 1, updatedReplicas: 2 },
    };
    const ds: Workload = {
      kind: "DaemonSet",
      metadata: { name: "exporter", namespace: "monitoring", uid: "ds1" },
      spec: { selector: { matchLabels: { app: "exporter" } }, template: { metadata: { labels: { app: "exporter" } }, spec: { containers: [{ name: "x", image: "prom/node-exporter" }] } } },
      status: { desiredNumberScheduled: 3, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 3 },
    };
    const pvc = (name: string) => ({ metadata: { name, namespace: "monitoring", uid: name }, status: { phase: "Bound", capacity: { storage: "5Gi" } } });
    const snap: ClusterSnapshot = {
      ...emptySnapshot(),
      deployments: [],
      statefulsets: [sts],
      daemonsets: [ds],
      replicasets: [],
      pods: [podFor(sts, sts, 0, "2026-01-01T00:00:00Z"), podFor(sts, sts, 1, "2026-01-01T00:00:00Z"), podFor(ds, ds, 0, "2026-01-01T00:00:00Z")],
      services: [],
      ingresses: [],
      pvcs: [pvc("data-prometheus-0"), pvc("data-prometheus-1"), pvc("data-prometheus-old"), pvc("other")],
      events: [],
      applications: [],
      applicationsets: [],
    };
    const [exporter, prom] = deriveServices(snap, { now: NOW });
    expect([prom?.workloadKind, prom?.kube.desired, prom?.kube.ready, prom?.kube.pods.length, prom?.pvcs.map((p) => p.name)]).toEqual([
      "StatefulSet",
      2,
      1,
      2,
      ["data-prometheus-0", "data-prometheus-1"],
    ]);
    expect([exporter?.workloadKind, exporter?.appKind, exporter?.kube.desired, exporter?.kube.ready, exporter?.kube.pods.length]).toEqual(["DaemonSet", "other", 3, 2, 1]);
  });

  it("a claim the pod names but the cluster lacks shows as Missing", () => {
    const snap = oneApp();
    snap.deployment.spec?.template?.spec?.volumes?.push({ name: "x", persistentVolumeClaim: { claimName: "nope" } });
    if (snap.deployment.spec?.template?.spec) snap.deployment.spec.template.spec.volumes = [{ name: "config", persistentVolumeClaim: { claimName: "sonarr-config" } }];
    expect(deriveServices(snap, { now: NOW })[0]?.pvcs).toEqual([{ name: "sonarr-config", phase: "Missing" }]);
  });

  it("Argo CD application from the tracking-id annotation (the lab's) or the instance label", () => {
    const snap = oneApp({ annotations: { "argocd.argoproj.io/tracking-id": "media-services-production-cluster:apps/Deployment:media/sonarr" } });
    expect(deriveServices(snap, { now: NOW })[0]?.argocdApp).toEqual({ namespace: "argocd", name: "media-services-production-cluster" });
  });
});

describe("argocdAppOf", () => {
  const cases: Array<[string, Workload["metadata"], { namespace: string; name: string } | undefined]> = [
    ["instance label", { labels: { "argocd.argoproj.io/instance": "media" } }, { namespace: "argocd", name: "media" }],
    ["tracking id", { annotations: { "argocd.argoproj.io/tracking-id": "qbit-production-cluster:apps/Deployment:qbittorrent/qbittorrent" } }, { namespace: "argocd", name: "qbit-production-cluster" }],
    ["apps in any namespace", { annotations: { "argocd.argoproj.io/tracking-id": "team_media:apps/Deployment:media/sonarr" } }, { namespace: "team", name: "media" }],
    ["tracking id wins over the label", { labels: { "argocd.argoproj.io/instance": "old" }, annotations: { "argocd.argoproj.io/tracking-id": "new:apps/Deployment:media/sonarr" } }, { namespace: "argocd", name: "new" }],
    ["none", { labels: { app: "x" } }, undefined],
  ];
  for (const [name, meta, want] of cases) it(name, () => expect(argocdAppOf({ metadata: meta })).toEqual(want));
  it("another Argo CD namespace", () => expect(argocdAppOf({ metadata: { labels: { "argocd.argoproj.io/instance": "a" } } }, "gitops")).toEqual({ namespace: "gitops", name: "a" }));
});

describe("labelSelectorMatches", () => {
  const labels = { app: "sonarr", tier: "media" };
  const cases: Array<[string, Parameters<typeof labelSelectorMatches>[0], boolean]> = [
    ["matchLabels subset", { matchLabels: { app: "sonarr" } }, true],
    ["matchLabels mismatch", { matchLabels: { app: "radarr" } }, false],
    ["In", { matchExpressions: [{ key: "tier", operator: "In", values: ["media", "x"] }] }, true],
    ["NotIn", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["media"] }] }, false],
    ["Exists", { matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
    ["DoesNotExist", { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
    ["empty selects nothing", {}, false],
    ["undefined selects nothing", undefined, false],
  ];
  for (const [name, sel, want] of cases) it(name, () => expect(labelSelectorMatches(sel, labels)).toBe(want));
});

describe("pickServicePort", () => {
  const svc: Service = { spec: { ports: [{ name: "metrics", port: 9000, targetPort: 9000 }, { name: "web", port: 80, targetPort: "http" }, { name: "dns", port: 53, protocol: "UDP" }] } };
  it("prefers the port an Ingress uses", () => expect(pickServicePort(svc, undefined, [9000])?.port).toBe(9000));
  it("else the port reaching the main container (by name or number)", () => expect(pickServicePort(svc, { name: "c", ports: [{ name: "http", containerPort: 8080 }] }, [])?.port).toBe(80));
  it("else a port named http/web, else the first TCP port", () => {
    expect(pickServicePort(svc, undefined, [])?.port).toBe(80);
    expect(pickServicePort({ spec: { ports: [{ name: "dns", port: 53, protocol: "UDP" }, { port: 7 }] } }, undefined, [])?.port).toBe(7);
  });
});

describe("probePortsOf", () => {
  it("gives each HTTP probe path its port, a named port resolved through the container's ports", () => {
    expect(
      probePortsOf({
        name: "traefik",
        ports: [{ name: "traefik", containerPort: 9000 }, { name: "web", containerPort: 8000 }],
        readinessProbe: { httpGet: { path: "/ping", port: "traefik" } },
        livenessProbe: { httpGet: { path: "/ping", port: 8080 } },
        startupProbe: { httpGet: { path: "/started", port: 8000 } },
      }),
    ).toEqual({ "/ping": 9000, "/started": 8000 });
    expect(probePortsOf(undefined)).toEqual({});
  });
});
