import type { NotificationRecord } from "./notifications";
import type { AlertGroup, SilenceView } from "./view";

/** What the Alerts page and the Settings page's notification card receive from the server. */

/** One source's reachability. */
export interface SourceState {
  configured: boolean;
  /** Its URL (no credentials: those come from the environment). */
  url: string | null;
  ok: boolean | null;
  error: string | null;
  checkedAt: number | null;
}

/** The panel's rule group as Prometheus has loaded it. */
export interface PanelRulesState {
  loaded: boolean;
  count: number;
  file: string | null;
  /** Rules Prometheus reports unhealthy, with its error. */
  unhealthy: string[];
}

/** Everything the Alerts page shows. */
export interface AlertsData {
  groups: AlertGroup[];
  count: number;
  prometheus: SourceState & { panelRules: PanelRulesState | null };
  alertmanager: SourceState;
  silences: SilenceView[];
  detector: { enabled: boolean; downProbes: number; probeIntervalSeconds: number; targets: number };
  notifications: NotificationRecord[];
  generatedAt: number;
}

/** The result of "send test notification", per target: delivered, or waiting with the error. */
export interface TestOutcome {
  target: string;
  status: NotificationRecord["status"];
  error: string | null;
  nextAttemptAt: number | null;
}

