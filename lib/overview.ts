import type { ServiceSummary } from "./services";

/** What the Overview shows: every service, plus the state of the panel's view of the cluster. */
export interface OverviewData {
  services: ServiceSummary[];
  kubernetes: { configured: boolean; connected: boolean; message: string };
  /** Time of the newest probe sweep, ms since epoch (null before the first). */
  lastSweepAt: number | null;
  generatedAt: number;
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
  summary: import("./services").ServiceSummary;
  history: ServiceHistory;
  links: Array<{ label: string; href: string; testId: string }>;
  /** The uptime target the figures are held against (`health.uptimeTargetPercent`). */
  uptimeTargetPercent: number;
  kubernetes: OverviewData["kubernetes"];
}
