import { describeInterval, staleAfterHours } from "./schedule";
import type { BackupRecord, BackupResult, ProtectionMethod, ProtectionState, ServiceProtection } from "./types";

const HOUR_MS = 3_600_000;

/** What the protection of one service is computed from. */
export interface ProtectionInput {
  service: { id: string; namespace: string; name: string; displayName: string };
  /** True when the service keeps state of its own (a configuration volume, an app with its own backups). */
  holdsState: boolean;
  methods: ProtectionMethod[];
  /** The newest successful backup (any source), and the newest finished run. */
  lastGood?: Pick<BackupRecord, "id" | "finishedAt" | "startedAt" | "source" | "verification">;
  lastRun?: Pick<BackupRecord, "id" | "finishedAt" | "startedAt" | "result" | "reason">;
  now: number;
  backupNow?: "volume" | "app";
  enable: { offered: boolean; reason?: string };
}

/** How long ago, for a person: "40 min", "3 h", "2 days". */
export function ageText(hours: number): string {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

function methodText(m: ProtectionMethod): string {
  const every = m.intervalHours !== null ? describeInterval(m.intervalHours) : "unreadable schedule";
  if (m.kind === "volume") return m.suspended ? "volume backup (suspended)" : `${every} volume backup`;
  if (m.kind === "app") return `the app's own ${every} backup`;
  return `${every} Velero schedule ${m.name}`;
}

/** Whether a method backs the service up by itself (a suspended CronJob does not). */
function active(m: ProtectionMethod): boolean {
  return m.kind !== "volume" || !m.suspended;
}

/** The protection of one service: its state, the tightest schedule, the last good backup's age. */
export function protectionOf(input: ProtectionInput): ServiceProtection {
  const { service, now } = input;
  const running = input.methods.filter(active);
  const intervals = running.map((m) => m.intervalHours).filter((h): h is number => h !== null);
  const intervalHours = intervals.length > 0 ? Math.min(...intervals) : undefined;
  const staleAfter = intervalHours !== undefined ? staleAfterHours(intervalHours) : undefined;
  const goodAt = input.lastGood ? (input.lastGood.finishedAt ?? input.lastGood.startedAt) : undefined;
  const ageHours = goodAt !== undefined ? Math.max(0, (now - goodAt) / HOUR_MS) : undefined;

  let state: ProtectionState;
  if (running.length === 0) state = input.holdsState ? "unprotected" : "not-needed";
  else if (ageHours === undefined) state = "never";
  else if (staleAfter !== undefined && ageHours > staleAfter) state = "stale";
  else state = "fresh";

  const parts: string[] = [];
  if (state === "not-needed") parts.push("Nothing to back up: no configuration volume (its configuration is in Git)");
  else if (running.length === 0) parts.push(input.methods.length > 0 ? `Not protected: ${input.methods.map(methodText).join(", ")}` : "Not protected: no backup schedule");
  else parts.push(running.map(methodText).join(" and "));
  if (ageHours !== undefined && input.lastGood) {
    const verified = input.lastGood.verification === "verified" ? "verified" : input.lastGood.verification === "failed" ? "verification failed" : "not verified";
    parts.push(`last good backup ${ageText(ageHours)} ago (${verified})`);
  } else if (running.length > 0) parts.push("no good backup yet");
  if (state === "stale" && staleAfter !== undefined) parts.push(`stale: older than ${staleAfter} h`);
  const lastRun = input.lastRun;
  if (lastRun && lastRun.result === "failed") parts.push(`last run failed${lastRun.reason ? `: ${lastRun.reason}` : ""}`);

  return {
    serviceId: service.id,
    namespace: service.namespace,
    name: service.name,
    displayName: service.displayName,
    state,
    summary: parts.join("; "),
    methods: input.methods,
    ...(intervalHours !== undefined ? { intervalHours } : {}),
    ...(staleAfter !== undefined ? { staleAfterHours: staleAfter } : {}),
    ...(input.lastGood && goodAt !== undefined ? { lastGood: { id: input.lastGood.id, at: goodAt, source: input.lastGood.source, verification: input.lastGood.verification } } : {}),
    ...(lastRun ? { lastRun: { id: lastRun.id, at: lastRun.finishedAt ?? lastRun.startedAt, result: lastRun.result as BackupResult, ...(lastRun.reason ? { reason: lastRun.reason } : {}) } } : {}),
    ...(ageHours !== undefined ? { ageHours } : {}),
    ...(input.backupNow ? { backupNow: input.backupNow } : {}),
    enable: input.enable,
  };
}

/** Counts for the Overview's banner: services without protection, and protected ones gone stale (or never backed up). */
export function protectionCounts(list: readonly ServiceProtection[]): { unprotected: number; stale: number; protected: number; total: number } {
  let unprotected = 0;
  let stale = 0;
  let protectedCount = 0;
  for (const p of list) {
    if (p.state === "unprotected") unprotected++;
    else if (p.state === "stale" || p.state === "never") stale++;
    else if (p.state === "fresh") protectedCount++;
  }
  return { unprotected, stale, protected: protectedCount, total: list.filter((p) => p.state !== "not-needed").length };
}

/** The Overview banner's backup sentence, or undefined when every service that needs it is protected and fresh. */
export function protectionSentence(counts: ReturnType<typeof protectionCounts>): string | undefined {
  const parts: string[] = [];
  if (counts.unprotected > 0) parts.push(`${counts.unprotected} service${counts.unprotected === 1 ? "" : "s"} without backups`);
  if (counts.stale > 0) parts.push(`${counts.stale} with stale backups`);
  return parts.length > 0 ? `Backups: ${parts.join(", ")}` : undefined;
}

/**
 * What a person can do next about a service the table shows without a "back up now" button, in one
 * sentence (undefined when the row's button or its state says it all): enable backups through a pull
 * request, who may, and why it is not offered when it is not.
 */
export function protectionNextStep(p: Pick<ServiceProtection, "state" | "enable" | "backupNow">, viewer: { admin: boolean; gitops: boolean }): string | undefined {
  if (p.state !== "unprotected") return p.backupNow || p.state === "fresh" || p.state === "not-needed" ? undefined : "Backed up by a method the panel cannot start by hand: wait for its schedule.";
  if (!p.enable.offered) return `Enable backups is not offered: ${p.enable.reason ?? "the panel cannot tell why"}.`;
  if (!viewer.gitops) return "Not backed up yet. Enabling backups is a pull request, and the panel has no GitOps repository configured (gitops in the configuration).";
  if (!viewer.admin) return "Not backed up yet. An admin can enable backups (a pull request that adds a daily backup CronJob).";
  return "Not backed up yet: enable backups below (a pull request that adds a daily backup CronJob).";
}
