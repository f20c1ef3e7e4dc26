/**
 * The raw Kubernetes objects discovery reads, as the API server sends them over list and watch (plain
 * JSON: timestamps are RFC 3339 strings, not Dates). Only the fields the panel uses are typed; every
 * field is optional because a watch can deliver partial objects (a DELETED tombstone, a BOOKMARK).
 */

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  /** Opaque: compare for equality only, never order. */
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

/** Anything with metadata: the unit an informer caches. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name?: string; key: string }; secretKeyRef?: { name?: string; key: string } };
}

export interface EnvFromSource {
  configMapRef?: { name?: string };
  secretRef?: { name?: string };
  prefix?: string;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  /** `Always` on an init container makes it a native sidecar. */
  restartPolicy?: string;
  /** Requests and limits as quantities (`500m`, `1Gi`). */
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name?: string; items?: Array<{ key: string; path: string }> };
  secret?: { secretName?: string; items?: Array<{ key: string; path: string }> };
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  nodeName?: string;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpec;
}

export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  /** DaemonSet fields. */
  desiredNumberScheduled?: number;
  numberReady?: number;
  numberAvailable?: number;
  updatedNumberScheduled?: number;
  conditions?: WorkloadCondition[];
}

/** A Deployment, StatefulSet, DaemonSet or ReplicaSet. */
export interface Workload extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplate;
    /** StatefulSet: claims created per replica as `<template>-<statefulset>-<ordinal>`. */
    volumeClaimTemplates?: Array<{ metadata?: { name?: string } }>;
  };
  status?: WorkloadStatus;
}

export interface ContainerStateDetail {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerStateDetail;
  lastState?: ContainerStateDetail;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    reason?: string;
    startTime?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; type?: string };
}

export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: Array<{ hosts?: string[]; secretName?: string }>;
    rules?: Array<{
      host?: string;
      http?: { paths?: Array<{ path?: string; pathType?: string; backend?: IngressBackend }> };
    }>;
  };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

/** A Traefik router (`traefik.io/v1alpha1`, or `traefik.containo.us/v1alpha1` of Traefik v2). */
export interface TraefikIngressRoute extends KubeObject {
  spec?: {
    entryPoints?: string[];
    routes?: Array<{
      match?: string;
      kind?: string;
      middlewares?: Array<{ name?: string; namespace?: string }>;
      services?: Array<{ name?: string; namespace?: string; kind?: string; port?: number | string }>;
    }>;
    tls?: { secretName?: string; certResolver?: string; domains?: Array<{ main?: string; sans?: string[] }> } | null;
  };
}

/** A Traefik middleware; the panel reads the ones that change the path the app sees. */
export interface TraefikMiddleware extends KubeObject {
  spec?: {
    stripPrefix?: { prefixes?: string[] };
    stripPrefixRegex?: { regex?: string[] };
    addPrefix?: { prefix?: string };
    replacePath?: { path?: string };
    replacePathRegex?: { regex?: string; replacement?: string };
    redirectRegex?: { regex?: string; replacement?: string };
    redirectScheme?: { scheme?: string };
    chain?: { middlewares?: Array<{ name?: string; namespace?: string }> };
  };
}

/** A Gateway API reference to a parent (a Gateway, or one of its listeners). */
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

/** A Gateway API HTTPRoute (`gateway.networking.k8s.io/v1`). */
export interface HTTPRoute extends KubeObject {
  spec?: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: Array<{
      matches?: Array<{ path?: { type?: string; value?: string } }>;
      filters?: Array<{
        type?: string;
        urlRewrite?: { hostname?: string; path?: { type?: string; replacePrefixMatch?: string; replaceFullPath?: string } };
        requestRedirect?: unknown;
      }>;
      backendRefs?: Array<{ group?: string; kind?: string; name?: string; namespace?: string; port?: number }>;
    }>;
  };
}

/** A Gateway API Gateway: its listeners give the hosts and the scheme of the routes attached to it. */
export interface Gateway extends KubeObject {
  spec?: {
    gatewayClassName?: string;
    listeners?: Array<{ name?: string; hostname?: string; port?: number; protocol?: string; tls?: unknown }>;
  };
  status?: { addresses?: Array<{ type?: string; value?: string }> };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: { resources?: { requests?: Record<string, string> } };
  status?: { phase?: string; capacity?: Record<string, string> };
}

/** A core/v1 Event (the same objects events.k8s.io/v1 serves under other field names). */
export interface CoreV1Event extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

/** A status condition of a cert-manager object (Ready, Issuing, Approved...). */
export interface CertManagerCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** A cert-manager.io/v1 Certificate: what is asked for and what cert-manager reports it issued. */
export interface CertManagerCertificate extends KubeObject {
  spec?: {
    secretName?: string;
    commonName?: string;
    dnsNames?: string[];
    duration?: string;
    renewBefore?: string;
    issuerRef?: { name?: string; kind?: string; group?: string };
  };
  status?: {
    conditions?: CertManagerCondition[];
    notBefore?: string;
    notAfter?: string;
    renewalTime?: string;
    revision?: number;
    lastFailureTime?: string;
    failedIssuanceAttempts?: number;
    nextPrivateKeySecretName?: string;
  };
}

/** A cert-manager.io/v1 CertificateRequest (one issuance attempt of a Certificate). */
export interface CertManagerCertificateRequest extends KubeObject {
  spec?: { issuerRef?: { name?: string; kind?: string; group?: string } };
  status?: { conditions?: CertManagerCondition[]; failureTime?: string };
  /** Added by the cache (server/k8s/slim.ts): the public facts of the certificate it produced; the PEM is dropped. */
  issued?: { serial: string; notBefore: string; notAfter: string };
}

/** A cert-manager.io/v1 Issuer or ClusterIssuer. */
export interface CertManagerIssuer extends KubeObject {
  spec?: {
    acme?: { server?: string; email?: string; solvers?: Array<Record<string, unknown>> };
    ca?: Record<string, unknown>;
    selfSigned?: Record<string, unknown>;
    vault?: Record<string, unknown>;
    venafi?: Record<string, unknown>;
  };
  status?: { conditions?: CertManagerCondition[] };
}

/**
 * A batch/v1 CronJob as the panel's cache keeps it: its schedule, its status, and the words its
 * jobs' commands, arguments and environment values mention (the rest of the template is dropped).
 */
export interface CronJob extends KubeObject {
  spec?: { schedule?: string; suspend?: boolean; timeZone?: string };
  status?: { lastScheduleTime?: string; lastSuccessfulTime?: string; active?: Array<{ name?: string }> };
  /** Added by the cache (server/k8s/slim.ts): the distinct words of the jobs' containers. */
  mentions?: string[];
}

/**
 * Everything the informers' caches hold, one list per kind. Discovery joins the first nine; the
 * certificate view reads the cert-manager kinds and CronJobs, which are optional here so a snapshot
 * built for discovery alone need not name them.
 */
export interface ClusterSnapshot {
  deployments: readonly Workload[];
  statefulsets: readonly Workload[];
  daemonsets: readonly Workload[];
  replicasets: readonly Workload[];
  pods: readonly Pod[];
  services: readonly Service[];
  ingresses: readonly Ingress[];
  pvcs: readonly PersistentVolumeClaim[];
  events: readonly CoreV1Event[];
  certificates?: readonly CertManagerCertificate[];
  certificaterequests?: readonly CertManagerCertificateRequest[];
  issuers?: readonly CertManagerIssuer[];
  clusterissuers?: readonly CertManagerIssuer[];
  cronjobs?: readonly CronJob[];
  /** Argo CD Applications (argoproj.io/v1alpha1), in Argo CD's namespace only. */
  applications?: readonly KubeObject[];
  /** Argo CD ApplicationSets, in Argo CD's namespace only. */
  applicationsets?: readonly KubeObject[];
  /** Velero's Backups and Schedules (velero.io/v1), in Velero's namespace only, when its CRDs exist. */
  velerobackups?: readonly KubeObject[];
  veleroschedules?: readonly KubeObject[];
  /** Traefik's routers and middlewares, when the cluster serves their CRDs. */
  ingressroutes: readonly TraefikIngressRoute[];
  middlewares: readonly TraefikMiddleware[];
  /** Gateway API routes and gateways, when the cluster serves their CRDs. */
  httproutes: readonly HTTPRoute[];
  gateways: readonly Gateway[];
}

/** An empty snapshot (for tests and for a panel without a cluster). */
export function emptySnapshot(): ClusterSnapshot {
  return {
    deployments: [],
    statefulsets: [],
    daemonsets: [],
    replicasets: [],
    pods: [],
    services: [],
    ingresses: [],
    pvcs: [],
    events: [],
    applications: [],
    applicationsets: [],
    ingressroutes: [],
    middlewares: [],
    httproutes: [],
    gateways: [],
  };
}
