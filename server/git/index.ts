import "server-only";
import { Counter } from "prom-client";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { PrometheusApi } from "@/server/alerts/sources";
import { clusterServes, listApplications, listPodUsageEverywhere, listServices } from "@/server/k8s";
import { parseQuantity } from "@/lib/k8s/quantity";
import type { MeasuredUsage } from "@/lib/gitops/plans/resources";
import { getAppModule } from "@/server/apps/registry";
import { getRegistry } from "@/server/observability/metrics";
import { runPlanChecks } from "./plan-checks";
import { GitopsService } from "./service";

const holder = globalThis as typeof globalThis & { __panelGitops?: GitopsService | null; __panelGitopsCounter?: Counter };

function proposalsCounter(): Counter {
  holder.__panelGitopsCounter ??= new Counter({
    name: "panel_gitops_proposals_total",
    help: "Changes proposed through Git, by kind and outcome (opened, pushed, already_so, already_open).",
    labelNames: ["kind", "outcome"],
    registers: [getRegistry()],
  });
  return holder.__panelGitopsCounter;
}

/**
 * The most each container of a service's pods uses now (the metrics API), by container name;
 * undefined when the service is unknown or the cluster serves no figures for its pods.
 */
async function measuredUsage(target: string): Promise<Record<string, MeasuredUsage> | undefined> {
  const services = await listServices();
  const service = services.find((s) => s.id === target) ?? (target.includes("/") ? undefined : services.find((s) => s.name === target));
  if (!service) return undefined;
  const pods = new Set(service.kube.pods.map((p) => p.name));
  const out: Record<string, MeasuredUsage> = {};
  for (const pod of await listPodUsageEverywhere()) {
    if (pod.namespace !== service.namespace || !pods.has(pod.pod)) continue;
    for (const c of pod.containers) {
      const cpu = parseQuantity(c.cpu);
      const memory = parseQuantity(c.memory);
      const seen = (out[c.name] ??= {});
      if (cpu !== undefined) seen.cpu = Math.max(seen.cpu ?? 0, cpu);
      if (memory !== undefined) seen.memory = Math.max(seen.memory ?? 0, memory);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The process-wide GitOps service built from the configuration, or null when `gitops` is not
 * configured (changes through Git are off).
 */
export function getGitopsService(): GitopsService | null {
  if (holder.__panelGitops !== undefined) return holder.__panelGitops;
  const config = getConfig();
  if (!config.gitops) {
    holder.__panelGitops = null;
    return null;
  }
  const counter = proposalsCounter();
  holder.__panelGitops = new GitopsService({
    gitops: config.gitops,
    dataDir: config.server.dataDir,
    env: process.env,
    publicUrl: config.server.publicUrl,
    secretRefs: config.apps.secretRefs,
    metricsTokenRequired: !config.metrics.public,
    backups: {
      image: config.backups.image,
      serviceAccount: config.backups.serviceAccount,
      schedule: config.backups.schedule,
      keep: config.backups.keep,
      jobDeadlineSeconds: config.backups.jobTimeoutSeconds,
      configVolumeOf: (kind) => getAppModule(kind as Parameters<typeof getAppModule>[0])?.configVolume,
    },
    db: getDb(),
    listApplications,
    onProposed: (kind, outcome) => counter.inc({ kind, outcome }),
    alertRules: config.alerts.rules,
    prometheusRuleCrd: () => clusterServes("monitoring.coreos.com", "v1", "prometheusrules"),
    containerUsage: measuredUsage,
    checkPlan: async (plan) => {
      const prometheus = config.alerts.prometheus
        ? new PrometheusApi({ url: config.alerts.prometheus.url, token: config.alerts.prometheus.bearerTokenEnv ? process.env[config.alerts.prometheus.bearerTokenEnv] : undefined, timeoutMs: 5_000 })
        : undefined;
      return runPlanChecks(plan.checks ?? [], { checkExpression: prometheus ? (expr) => prometheus.checkExpression(expr) : undefined });
    },
  });
  return holder.__panelGitops;
}

export { GitopsService, withDeadline } from "./service";
export type { ChangePreview, ChangeSuggestion, ProposeOutcome } from "@/lib/gitops/proposal";
