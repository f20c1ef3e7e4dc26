import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { checkRuleFileText } from "@/lib/alerts/rule-file";
import { DEFAULT_ALERT_RULES, planChange } from "../change-kinds";
import { unifiedDiff } from "../diff";
import { fixtureRepo } from "../fixture-repo.test-helper";
import { memoryRepo, type RepoView } from "../repo-view";
import type { ChangePlan } from "../types";
import { RELOADER_IMAGE, RULES_FILE_KEY } from "./alert-rules";

const repo = fixtureRepo();
const ctx = (view: RepoView = repo, extra: Record<string, unknown> = {}) => ({
  repo: view,
  appsPath: "apps",
  secretRefs: { default: { namespace: "media", name: "starr-secrets" } },
  publicUrl: "https://panel.home.example",
  ...extra,
});

function applied(view: RepoView, plan: ChangePlan): RepoView {
  const files: Record<string, string> = {};
  for (const p of view.paths) {
    const t = view.read(p);
    if (t !== undefined) files[p] = t;
  }
  for (const f of plan.files) {
    if (f.after === null) delete files[f.path];
    else files[f.path] = f.after;
  }
  return memoryRepo(files);
}

const lines = (plan: ChangePlan) => plan.files.flatMap((f) => unifiedDiff(f).split("\n")).filter((l) => !l.startsWith("+++") && !l.startsWith("---"));

interface Deployment {
  spec: { template: { spec: { containers: Array<{ name: string; image: string; args?: string[]; volumeMounts?: Array<Record<string, unknown>> }> } } };
}

describe("alert rules into the fixture's Prometheus ConfigMap", () => {
  const plan = planChange({ kind: "alert-rules" }, ctx());

  it("adds the rule file as a ConfigMap key, lists it in rule_files where the commented-out list was, and keeps every other line", () => {
    expect(plan.files.map((f) => f.path)).toEqual(["apps/infrastructure/monitoring/prometheus-configmap.yaml", "apps/infrastructure/monitoring/prometheus-deployment.yaml"]);
    const removed = lines(plan).filter((l) => l.startsWith("-"));
    expect(removed).toEqual([]);
    const configMap = parse(plan.files[0]?.after ?? "") as { data: Record<string, string> };
    const prom = parse(configMap.data["prometheus.yml"] ?? "") as { rule_files: string[]; scrape_configs: unknown[] };
    expect(prom.rule_files).toEqual([RULES_FILE_KEY]);
    expect(prom.scrape_configs).toHaveLength(6);
    // Where the comments were: uncommented at their indentation.
    expect(plan.files[0]?.after).toContain('    rule_files:\n      # - "first_rules.yml"\n      # - "second_rules.yml"\n      # k8s-nas-panel: its alert rules, a key of this ConfigMap\n      - k8s-nas-panel.rules.yml\n');
    const rules = configMap.data[RULES_FILE_KEY] ?? "";
    expect(checkRuleFileText(rules)).toEqual([]);
    expect(rules).toContain("runbook_url: https://panel.home.example/runbooks/alerts/service-down");
    expect(plan.checks).toEqual([{ kind: "prometheus-rules", name: RULES_FILE_KEY, content: rules }]);
  });

  it("adds a config reloader to Prometheus, aimed at its route prefix from --web.external-url", () => {
    const deployment = parse(plan.files[1]?.after ?? "") as Deployment;
    const reloader = deployment.spec.template.spec.containers.find((c) => c.name === "config-reloader");
    expect(reloader).toMatchObject({
      image: RELOADER_IMAGE,
      args: ["--watched-dir=/etc/prometheus/", "--reload-url=http://127.0.0.1:9090/prometheus/-/reload"],
      volumeMounts: [{ name: "prometheus-config-volume", mountPath: "/etc/prometheus/", readOnly: true }],
    });
    expect(plan.notes.join(" ")).toContain("emptyDir");
  });

  it("is already so once merged; changed thresholds update the rule file in place", () => {
    const after = applied(repo, plan);
    expect(planChange({ kind: "alert-rules" }, ctx(after)).alreadySo).toContain("already holds these rules");
    const stricter = planChange({ kind: "alert-rules" }, { ...ctx(after), alertRules: { ...DEFAULT_ALERT_RULES, serviceDownFor: "2m" } });
    expect(stricter.files.map((f) => f.path)).toEqual(["apps/infrastructure/monitoring/prometheus-configmap.yaml"]);
    expect(stricter.summary).toEqual([`ConfigMap monitoring/prometheus-config: ${RULES_FILE_KEY} updated`]);
    const data = (parse(stricter.files[0]?.after ?? "") as { data: Record<string, string> }).data;
    expect(data[RULES_FILE_KEY]).toContain("for: 2m");
    expect(parse(data["prometheus.yml"] ?? "")).toMatchObject({ rule_files: [RULES_FILE_KEY] });
  });

  it("takes the person's own rules in a second group, and refuses ones that do not validate before anything is written", () => {
    const mine = planChange({ kind: "alert-rules", customRules: "- alert: DiskSlow\n  expr: rate(node_disk_io_time_seconds_total[5m]) > 0.9\n  for: 10m\n" }, ctx());
    const rules = (parse(mine.files[0]?.after ?? "") as { data: Record<string, string> }).data[RULES_FILE_KEY] ?? "";
    expect((parse(rules) as { groups: Array<{ name: string }> }).groups.map((g) => g.name)).toEqual(["k8s-nas-panel", "k8s-nas-panel-custom"]);
    expect(() => planChange({ kind: "alert-rules", customRules: "- alert: Broken\n  expr: sum(rate(x[5m])\n" }, ctx())).toThrow(/do not validate.*not closed/);
    expect(() => planChange({ kind: "alert-rules", customRules: "- alert: ServiceDown\n  expr: up == 0\n" }, ctx())).toThrow(/name of one of the panel's rules/);
  });

  it("as a PrometheusRule where the cluster serves that CRD, listed in the kustomization", () => {
    const rule = planChange({ kind: "alert-rules" }, ctx(repo, { prometheusRuleCrd: true }));
    expect(rule.files.map((f) => f.path)).toEqual(["apps/infrastructure/monitoring/k8s-nas-panel-prometheusrule.yaml", "apps/infrastructure/monitoring/kustomization.yaml"]);
    expect(parse(rule.files[0]?.after ?? "")).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "k8s-nas-panel", namespace: "monitoring" } });
    expect(rule.files[1]?.after).toContain("- k8s-nas-panel-prometheusrule.yaml");
  });

  it("without any Prometheus configuration: not found", () => {
    expect(() => planChange({ kind: "alert-rules" }, ctx(memoryRepo({ "apps/x/a.yaml": "kind: ConfigMap\n" })))).toThrow(/No Prometheus configuration/);
  });
});
