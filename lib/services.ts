/**
 * The service model shared by discovery (Kubernetes side), the app health modules (app side), the
 * prober and the UI. Plain serialisable data: it crosses the server/client boundary as JSON.
 */
import type { ArgoAppState } from "./gitops/argo-view";

import type { AppKind } from "./apps/catalogue";
import type { UrlBaseCandidate, UrlBaseSource } from "./k8s/url-base";

export type HealthStatus = "up" | "degraded" | "down" | "unknown";

/** Order used to put the worst first. */
export const STATUS_SEVERITY: Record<HealthStatus, number> = { down: 3, degraded: 2, unknown: 1, up: 0 };

/** One reason behind a verdict, as data (the UI words it; tests assert on it). */
export interface HealthReason {
  /** Where it comes from. */
  source: "kubernetes" | "app" | "probe";
  severity: "error" | "warning" | "info";
  /** Human text, e.g. "ready 0/1: CrashLoopBackOff" or the app's own message verbatim. */
  message: string;
  /** A link with more detail (the app's wiki link for an *arr health check). */
  url?: string;
}

/** A container of a pod. */
export interface ContainerState {
  name: string;
  image: string;
  ready: boolean;
  restarts: number;
  /** `waiting.reason` (CrashLoopBackOff, ImagePullBackOff, ...) or `terminated.reason`. */
  reason?: string;
  /** True for a sidecar (e.g. the Gluetun VPN next to qBittorrent); its failure degrades the service. */
  sidecar: boolean;
}

export interface PodState {
  name: string;
  phase: string;
  ready: boolean;
  nodeName?: string;
  restarts: number;
  /** Restarts seen within the last hour (from the last-termination times the API reports). */
  restartsLastHour: number;
  startedAt?: string;
  /** The pod's address in the cluster network (for an endpoint no Service port reaches). */
  podIP?: string;
  containers: ContainerState[];
}

export interface KubeEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  count: number;
  lastSeen: string;
  object: string;
}

/** Kubernetes-level state of a workload, from the informers' caches. */
export interface KubeHealth {
  desired: number;
  ready: number;
  available: number;
  updated: number;
  pods: PodState[];
  /** Recent Warning events of the workload and its pods, newest first. */
  warnings: KubeEvent[];
  /** Conditions of the workload that are not true (e.g. Available=False: MinimumReplicasUnavailable). */
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/** A workload discovered in a watched namespace, joined with its Service, Ingresses and PVCs. */
export interface DiscoveredService {
  /** `namespace/name`, stable and URL-safe once encoded. */
  id: string;
  namespace: string;
  name: string;
  workloadKind: "Deployment" | "StatefulSet" | "DaemonSet";
  appKind: AppKind;
  /** How the kind was decided: `annotation`, `config`, pod `labels`, `image` or `unknown`. */
  kindSource: "annotation" | "config" | "labels" | "image" | "unknown";
  displayName: string;
  description?: string;
  images: string[];
  /** The main Service and its ports. */
  service?: {
    name: string;
    ports: Array<{ name?: string; port: number; targetPort?: number | string }>;
    /** The Service's `spec.type` when it says one (`ClusterIP` when absent). */
    type?: string;
  };
  /**
   * URL base the app serves under (e.g. `/sonarr`) as discovery guesses it: the first of
   * `urlBaseCandidates`. The prober verifies it against the app (see `UrlBaseOutcome`).
   */
  urlBase: string;
  /** Where the guess was read (the annotation, the app's env or args, a config file, a probe path, a route, or `default`: the root). */
  urlBaseSource?: UrlBaseSource;
  /** Every URL base the manifests suggest, strongest first, ending with the root. */
  urlBaseCandidates?: UrlBaseCandidate[];
  /** Ports of the main container's HTTP probes by path (where a health endpoint on a port of its own is reached). */
  probePorts?: Record<string, number>;
  /** In-cluster address of the app, with the URL base: `http://sonarr.media.svc.cluster.local:8989/sonarr`. */
  inClusterUrl?: string;
  /** User-facing URLs from the routes (Ingresses, Traefik IngressRoutes, Gateway API HTTPRoutes): host + path. */
  ingressUrls: string[];
  pvcs: Array<{ name: string; phase: string; capacity?: string }>;
  /** Argo CD Application that manages it, when known (from the tracking label/annotation). */
  argocdApp?: { namespace: string; name: string };
  /** That Application's state, when the panel can read it (Argo CD's namespace watched, its CRDs served). */
  argoState?: ArgoAppState;
  /** The containers of the pod template as the workload declares them (probes, requests and limits). */
  containerSpecs?: ContainerSpecFacts[];
  kube: KubeHealth;
}

/** What a container of a workload's pod template declares: its probes and which resources it requests and limits. */
export interface ContainerSpecFacts {
  name: string;
  /** True for the container the app runs in. */
  main: boolean;
  readinessProbe: boolean;
  livenessProbe: boolean;
  /** Resource names with a request (`cpu`, `memory`). */
  requests: string[];
  /** Resource names with a limit. */
  limits: string[];
}

/** One URL base the panel tried against the app's identity endpoint, and what came back. */
export interface UrlBaseTrial {
  urlBase: string;
  source: UrlBaseSource;
  reason: string;
  /** True when the app answered as itself under it. */
  ok: boolean;
  /** What came back, in words: "answered as Jellyfin 10.11.0", "HTTP 404", "redirected (HTTP 302) to /sonarr/". */
  outcome: string;
}

/**
 * The URL base the panel uses for an app, and why: the first candidate under which the app answered
 * its identity endpoint as itself (`verified`), the best guess when none did (`unverified`: the app
 * did not answer, or answered none of them), or the guess of an app that has no identity endpoint
 * (`unchecked`). A verified base is kept until a request under it fails as a wrong base would.
 */
export interface UrlBaseOutcome {
  urlBase: string;
  source: UrlBaseSource;
  reason: string;
  state: "verified" | "unverified" | "unchecked";
  /** When it was decided (ms). */
  at: number;
  /** The candidates tried, in order (empty when nothing was tried). */
  tried: UrlBaseTrial[];
  /** Set when the `k8s-nas-panel/url-base` annotation names a base the app does not answer under while another one works. */
  wrongAnnotation?: string;
}

/** Where the panel reaches an app and with which credential, as the service page shows it (no secret). */
export interface ServiceAccess {
  /** The address the panel calls (after `addressMap`), with the URL base. */
  baseUrl: string;
  /** The app's address in the cluster, with the verified URL base. */
  inClusterUrl?: string;
  urlBase: UrlBaseOutcome;
  /** Where the key or password came from: "Secret media/starr-secrets, key SONARR_API_KEY". */
  credentialSource?: string;
  /** Why the panel has no credential: "API key missing: Secret media/starr-secrets has no SONARR_API_KEY". */
  credentialProblem?: string;
}

/** One check of an app's own health (a line of Sonarr's /api/v3/health, Jellyfin's /health, ...). */
export interface AppCheck {
  name: string;
  status: HealthStatus;
  message: string;
  url?: string;
  /**
   * Who says so: `app` for the app's own report (shown verbatim, "Sonarr reports: ..."), `probe` for
   * what the panel observed while reading it (a health list that could not be read). Default `app`.
   */
  origin?: "app" | "probe";
}

/** What an app health module returns; never thrown, always data. */
export interface AppHealth {
  status: HealthStatus;
  version?: string;
  /** Time of the main probe request, in ms. */
  latencyMs?: number;
  checks: AppCheck[];
  /** A one-line summary for the card, e.g. "Sonarr reports: Indexers unavailable due to failures". */
  detail?: string;
  /** Error code when the probe failed (unreachable, unauthorized, timeout, invalid_response, not_found). */
  errorCode?: string;
}

/** The verdict on a service: Kubernetes and app health folded into one status with its reasons. */
export interface ServiceVerdict {
  status: HealthStatus;
  reasons: HealthReason[];
}

/** Everything the Overview shows about one service. */
export interface ServiceSummary {
  service: DiscoveredService;
  /** How the panel reaches the app (after its last probe); undefined for a service without app module or before the first probe. */
  access?: ServiceAccess;
  app?: AppHealth & { checkedAt: number };
  verdict: ServiceVerdict;
  /** Latency of recent probes, oldest first (ms, null when the probe failed). */
  latency: Array<{ at: number; ms: number | null }>;
  uptime: { day: number | null; week: number | null; month: number | null };
}
