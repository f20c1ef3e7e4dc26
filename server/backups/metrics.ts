import "server-only";
import { Gauge, type Registry } from "prom-client";
import type { ServiceProtection } from "@/lib/backups/types";
import { getDb } from "@/server/db";
import { getRegistry } from "@/server/observability/metrics";
import { lastRuns } from "./history";

const holder = globalThis as typeof globalThis & { __panelBackupProtection?: Map<string, Pick<ServiceProtection, "state" | "staleAfterHours">>; __panelBackupGauges?: boolean };

/** Remembers the protection the panel last computed (the Backups page, the Overview), for the scrape. */
export function rememberProtection(list: readonly ServiceProtection[]): void {
  holder.__panelBackupProtection = new Map(list.map((p) => [p.serviceId, { state: p.state, ...(p.staleAfterHours !== undefined ? { staleAfterHours: p.staleAfterHours } : {}) }]));
}

function gauge(registry: Registry, name: string, help: string, collect: (g: Gauge<"service">) => void): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      collect(this);
    },
  });
}

/**
 * Backup series per service, read at scrape time from the history and the protection last
 * computed: age of the last good backup, last result, verification, and whether it is stale.
 */
export function registerBackupMetrics(registry: Registry = getRegistry()): void {
  gauge(registry, "panel_backup_age_seconds", "Age of the service's last good backup, in seconds (absent: never backed up).", (g) => {
    const now = Date.now();
    for (const [service, r] of lastRuns(getDb())) {
      if (r.lastGood) g.set({ service }, Math.round((now - (r.lastGood.finishedAt ?? r.lastGood.startedAt)) / 1000));
    }
  });
  gauge(registry, "panel_backup_last_result", "Result of the service's last finished backup run: 1 succeeded, 0 failed.", (g) => {
    for (const [service, r] of lastRuns(getDb())) if (r.lastRun) g.set({ service }, r.lastRun.result === "succeeded" ? 1 : 0);
  });
  gauge(registry, "panel_backup_verified", "Verification of the service's last good backup: 1 verified, 0 verification failed, -1 not verified.", (g) => {
    for (const [service, r] of lastRuns(getDb())) {
      if (r.lastGood) g.set({ service }, r.lastGood.verification === "verified" ? 1 : r.lastGood.verification === "failed" ? 0 : -1);
    }
  });
  gauge(registry, "panel_backup_stale", "1 when the service holds state and its last good backup is older than its schedule allows (26 h for daily), never happened, or nothing backs it up; 0 when fresh.", (g) => {
    const now = Date.now();
    const runs = lastRuns(getDb());
    for (const [service, p] of holder.__panelBackupProtection ?? []) {
      if (p.state === "not-needed") continue;
      const good = runs.get(service)?.lastGood;
      const ageHours = good ? (now - (good.finishedAt ?? good.startedAt)) / 3_600_000 : undefined;
      const fresh = p.staleAfterHours !== undefined && ageHours !== undefined && ageHours <= p.staleAfterHours;
      g.set({ service }, fresh ? 0 : 1);
    }
  });
}
