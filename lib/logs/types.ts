import type { LogLine } from "./lines";

/** Where the lines came from. */
export type LogSource = "kubernetes" | "loki";

/** A container of one of the service's pods, with what the page says about its runs. */
export interface LogContainer {
  pod: string;
  container: string;
  /** True for a sidecar (an init container that keeps running, like the VPN next to qBittorrent). */
  sidecar: boolean;
  restarts: number;
  /** `running`, or the waiting / terminated reason (`CrashLoopBackOff`, `Error`). */
  state: string;
  /** How the run before the last restart ended, when the container restarted. */
  lastTermination?: { exitCode?: number; reason?: string; startedAt?: string; finishedAt?: string };
}

/** The logs of a service, as the service page shows them. */
export interface ServiceLogs {
  source: LogSource;
  /** What the source is, in words ("the Kubernetes API, last 500 lines of each run", "Loki at ..., last 24 h"). */
  sourceLabel: string;
  /** Whether Loki can be asked (configured or found in the cluster), and why not. */
  loki: { available: boolean; reason?: string };
  containers: LogContainer[];
  lines: LogLine[];
  /** Problems reading some of it (a previous run whose log is gone, a container not started), in words. */
  notes: string[];
  /** True when a run's log was cut (`limitBytes`) or Loki hit its line limit. */
  truncated: boolean;
  /** When masking may be incomplete (a Secret the panel could not read). */
  maskingIncomplete?: string;
}
