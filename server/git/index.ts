import "server-only";
import { Counter } from "prom-client";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { PrometheusApi } from "@/server/alerts/sources";
import { clusterServes, listApplications } from "@/server/k8s";
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
    db: getDb(),
    listApplications,
    onProposed: (kind, outcome) => counter.inc({ kind, outcome }),
    alertRules: config.alerts.rules,
    prometheusRuleCrd: () => clusterServes("monitoring.coreos.com", "v1", "prometheusrules"),
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
