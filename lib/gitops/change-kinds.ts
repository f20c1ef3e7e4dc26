import { z } from "zod";
import { planAppExporters, planExporterScrape } from "./plans/exporters";
import { panelConfigSchema, type AlertRuleThresholds } from "../config-schema";
import { planAlertRules } from "./plans/alert-rules";
import { planEnableBackups, type BackupPlanSettings } from "./plans/enable-backups";
import { planHealthProbes } from "./plans/health-probes";
import { planHttpsOnly } from "./plans/https-only";
import { planPrometheusScrape } from "./plans/prometheus-scrape";
import { planResources, type MeasuredUsage } from "./plans/resources";
import { planUnpackerrWiring } from "./plans/unpackerr";
import type { ChangeKind, ChangePlan, PlanContext } from "./types";

const workloadTarget = z
  .string()
  .trim()
  .min(1, "Name the workload.")
  .max(128)
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "Use namespace/name or a workload name.");

/** What a person asks for: one of the change kinds with its input. Validated by every action. */
export const changeRequestSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("health-probes"),
    target: workloadTarget,
    urlBase: z.string().trim().max(128).regex(/^(\/[\w.~-]*)*$/, "A URL base is a path such as /sonarr.").optional(),
  }),
  z.object({ kind: z.literal("unpackerr-wiring") }),
  z.object({ kind: z.literal("resources"), target: workloadTarget }),
  z.object({
    kind: z.literal("https-only"),
    ingress: z
      .string()
      .trim()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "Name the Ingress as namespace/name."),
  }),
  z.object({
    kind: z.literal("enable-backups"),
    target: workloadTarget,
    /** More workloads enabled in the same pull request, with the same claim and schedule. */
    also: z.array(workloadTarget).max(50).optional(),
    backupClaim: z
      .string()
      .trim()
      .min(1, "Pick the claim the archives go to.")
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "A claim's name is lower case letters, digits, - and ."),
    schedule: z
      .string()
      .trim()
      .max(100)
      .regex(/^(@[a-z]+|[\d*,/?A-Za-z-]+( [\d*,/?A-Za-z-]+){4})$/, 'A cron schedule has five fields, such as "30 3 * * *".')
      .optional(),
  }),
  z.object({
    kind: z.literal("prometheus-scrape"),
    target: z
      .string()
      .trim()
      .max(253)
      .regex(/^[a-z0-9.-]+:\d{1,5}$/i, "Give the panel's address as host:port.")
      .optional(),
  }),
  z.object({ kind: z.literal("app-exporters") }),
  z.object({ kind: z.literal("exporter-scrape") }),
  z.object({
    kind: z.literal("alert-rules"),
    /** Extra alerting rules of the person's own, YAML. */
    customRules: z.string().max(20_000, "At most 20,000 characters of rules.").optional(),
  }),
]);

export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** Planning context plus what only some kinds need. */
export type KindContext = PlanContext & {
  metricsTokenRequired?: boolean;
  /** Thresholds of the alert rules (`alerts.rules`); the configuration's defaults when not given. */
  alertRules?: AlertRuleThresholds;
  /** The cluster serves the PrometheusRule CRD. */
  prometheusRuleCrd?: boolean;
  /** What "enable backups" needs (`backups.*`, the app modules' configuration volumes). */
  backups?: BackupPlanSettings;
  /** Measured usage of the target workload's containers, by container name ("set resources"). */
  usage?: Readonly<Record<string, MeasuredUsage>>;
};

/** The defaults of `alerts.rules`, from the configuration schema. */
export const DEFAULT_ALERT_RULES: AlertRuleThresholds = panelConfigSchema.parse({}).alerts.rules;

interface ChangeKindSpec<K extends ChangeKind> {
  /** Button text. */
  label: (request: Extract<ChangeRequest, { kind: K }>) => string;
  plan: (request: Extract<ChangeRequest, { kind: K }>, ctx: KindContext) => ChangePlan;
}

/** The one list of change kinds. */
export const CHANGE_KIND_SPECS: { [K in ChangeKind]: ChangeKindSpec<K> } = {
  "health-probes": {
    label: (r) => `Add health probes to ${r.target.split("/").pop() ?? r.target}`,
    plan: (r, ctx) => planHealthProbes({ target: r.target, urlBase: r.urlBase }, ctx),
  },
  resources: {
    label: (r) => `Set resource requests and limits on ${r.target.split("/").pop() ?? r.target}`,
    plan: (r, ctx) => planResources({ target: r.target }, ctx),
  },
  "unpackerr-wiring": {
    label: () => "Wire Unpackerr to Sonarr and Radarr",
    plan: (_r, ctx) => planUnpackerrWiring(ctx),
  },
  "enable-backups": {
    label: (r) => `Enable backups of ${[r.target, ...(r.also ?? [])].map((t) => t.split("/").pop() ?? t).join(", ")}`,
    plan: (r, ctx) => planEnableBackups({ target: r.target, backupClaim: r.backupClaim, ...(r.also?.length ? { also: r.also } : {}), ...(r.schedule ? { schedule: r.schedule } : {}) }, ctx),
  },
  "prometheus-scrape": {
    label: () => "Scrape the panel's metrics in Prometheus",
    plan: (r, ctx) => planPrometheusScrape({ target: r.target }, ctx),
  },
  "alert-rules": {
    label: (r) => (r.customRules?.trim() ? "Add the panel's alert rules (and yours) to Prometheus" : "Add the panel's alert rules to Prometheus"),
    plan: (r, ctx) => planAlertRules({ customRules: r.customRules }, { ...ctx, alertRules: ctx.alertRules ?? DEFAULT_ALERT_RULES }),
  },
  "https-only": {
    label: (r) => `Serve ${r.ingress} over HTTPS only`,
    plan: (r, ctx) => planHttpsOnly({ ingress: r.ingress }, ctx),
  },
  "app-exporters": {
    label: () => "Run the apps' Prometheus exporters",
    plan: (_r, ctx) => planAppExporters(ctx),
  },
  "exporter-scrape": {
    label: () => "Scrape the apps' exporters in Prometheus; Grafana dashboard",
    plan: (_r, ctx) => planExporterScrape(ctx),
  },
};

/** The spec of a request's kind (the registry is keyed by kind, so this is the only lookup). */
function specOf(request: ChangeRequest): ChangeKindSpec<ChangeKind> {
  return CHANGE_KIND_SPECS[request.kind] as ChangeKindSpec<ChangeKind>;
}

/** Plans a request against the repository in `ctx`. Throws an AppError when it cannot be planned. */
export function planChange(request: ChangeRequest, ctx: KindContext): ChangePlan {
  return specOf(request).plan(request, ctx);
}

/** The button text of a request. */
export function labelOf(request: ChangeRequest): string {
  return specOf(request).label(request);
}
