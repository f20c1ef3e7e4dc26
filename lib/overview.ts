import type { DiscoveredService, HealthReason, HealthStatus, ServiceSummary } from "./services";
import type { AppKind } from "./apps/catalogue";
import type { CertState } from "./certs/types";

/** A certificate problem as a service card, the banner or a service page shows it. */
export interface CertificateNote {
  state: CertState;
  /** What it is about: `Certificate home-brettswift-com-dns`, a host, an Ingress. */
  subject: string;
  message: string;
}
import { argoSeverity, argoSummary, shortRevision, type ArgoProblem } from "./gitops/argo-view";

/**
 * One service as the Overview and the Services list show it: the summary without pods, events and
 * checks (those are on the service's own page), so the list stays small at thousands of pods.
 */
export interface ServiceCardData {
  id: string;
  namespace: string;
  name: string;
  displayName: string;
  appKind: AppKind;
  workloadKind: DiscoveredService["workloadKind"];
  ingressUrl?: string;
  ready: number;
  desired: number;
  status: HealthStatus;
  /** The first reasons of the verdict, worst first (at most three). */
  reasons: HealthReason[];
  version?: string;
  latencyMs?: number;
  /** Latency of the last hour's probes, oldest first (null: the probe failed). */
  latency: Array<{ at: number; ms: number | null }>;
  uptimeDay: number | null;
  /** The worst certificate problem of the service's Ingresses and hosts, if any. */
  certificate?: CertificateNote;
  /** The service's Argo CD Application, when known. */
  argoState?: ArgoCardState;
}

/** An Application as a card shows it. */
export interface ArgoCardState {
  namespace: string;
  name: string;
  syncStatus: string;
  health: string;
  revision: string;
  /** 0 fine, 1 settling, 2 OutOfSync, 3 an error or Degraded. */
  severity: number;
  /** "ComparisonError: ..." or "OutOfSync · Healthy: Deployment sonarr differs from Git". */
  summary: string;
  operating: boolean;
}

/** The card data of a full summary. */
export function toCardData(summary: ServiceSummary): ServiceCardData {
  const { service, app, verdict } = summary;
  return {
    id: service.id,
    namespace: service.namespace,
    name: service.name,
    displayName: service.displayName,
    appKind: service.appKind,
    workloadKind: service.workloadKind,
    ...(service.ingressUrls[0] ? { ingressUrl: service.ingressUrls[0] } : {}),
    ready: service.kube.ready,
    desired: service.kube.desired,
    status: verdict.status,
    reasons: verdict.reasons.slice(0, 3),
    ...(app?.version ? { version: app.version } : {}),
    ...(app?.latencyMs !== undefined ? { latencyMs: app.latencyMs } : {}),
    latency: summary.latency,
    uptimeDay: summary.uptime.day,
    ...(service.argoState
      ? {
          argoState: {
            namespace: service.argoState.namespace,
            name: service.argoState.name,
            syncStatus: service.argoState.syncStatus,
            health: service.argoState.health,
            revision: shortRevision(service.argoState.revision),
            severity: argoSeverity(service.argoState),
            summary: argoSummary(service.argoState),
            operating: service.argoState.operating,
          },
        }
      : {}),
  };
}

/** What the Overview shows: every service, plus the state of the panel's view of the cluster. */
export interface OverviewData {
  services: ServiceCardData[];
  kubernetes: { configured: boolean; connected: boolean; message: string };
  /** Argo CD Applications that are OutOfSync, Degraded or fail to render (the banner names them). */
  applications: { problems: ArgoProblem[] };
  /** Time of the newest probe sweep, ms since epoch (null before the first). */
  lastSweepAt: number | null;
  generatedAt: number;
  /** The certificates' worst signal, for the banner (absent without a cluster). */
  certificates?: { state: CertState; headline: string; worst?: CertificateNote; problems: number };
}

export const HISTORY_WINDOWS = ["24h", "7d", "30d"] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

/** The charts of a service page for one window. */
export interface ServiceHistory {
  window: HistoryWindow;
  /** Bucketed latency: average and worst of the successful probes in each bucket. */
  latency: Array<{ at: number; avgMs: number | null; maxMs: number | null }>;
  /** Share of available probes per bucket (0..1; null when the bucket has no probes). */
  availability: Array<{ at: number; ratio: number | null }>;
}

/** Everything the service page shows. */
export interface ServiceDetail {
  summary: ServiceSummary;
  history: ServiceHistory;
  links: Array<{ label: string; href: string; testId: string }>;
  /** The uptime target the figures are held against (`health.uptimeTargetPercent`). */
  uptimeTargetPercent: number;
  kubernetes: OverviewData["kubernetes"];
  /** Certificate problems of the service's Ingresses and hosts, worst first. */
  certificates?: CertificateNote[];
}

/**
 * What a live event (`/api/events`, events `services` and `probes`) says changed: the services
 * (ids, `namespace/name`; removed ones included) and their app kinds. A view refetches when it shows
 * one of them.
 */
export interface LiveChange {
  at: number;
  services: string[];
  appKinds: string[];
  /** `certificates` events: the Ingress hosts that were probed. */
  hosts?: string[];
  /** True when Argo CD's Applications or ApplicationSets changed. */
  applications?: boolean;
  /** The connection to the cluster changed (lost or back): it concerns every view. */
  cluster?: boolean;
}
