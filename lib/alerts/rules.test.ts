import { existsSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { panelConfigSchema } from "../config-schema";
import { ALERT_CATALOGUE, KNOWN_ALERTS, kebabCase } from "./catalogue";
import { checkRuleFile, checkRuleFileText, exprFormatProblem, parseCustomRules } from "./rule-file";
import { panelAlertRules, panelRuleNames } from "./rules";

const thresholds = panelConfigSchema.parse({}).alerts.rules;

describe("the panel's alert rules", () => {
  it("pass the rule-file checks and name only alerts of the catalogue, each with its severity", () => {
    const file = panelAlertRules(thresholds, { publicUrl: "https://panel.example.com/" });
    expect(checkRuleFile(JSON.parse(JSON.stringify(file)))).toEqual([]);
    for (const r of file.groups[0]!.rules) {
      const def = ALERT_CATALOGUE[r.alert as keyof typeof ALERT_CATALOGUE];
      expect(def, r.alert).toBeDefined();
      expect(r.labels.severity).toBe(def.severity);
      expect(r.annotations.runbook_url).toBe(`https://panel.example.com/runbooks/alerts/${def.runbook}`);
      expect(exprFormatProblem(r.expr), r.alert).toBeUndefined();
    }
  });

  it("cover what the brief lists: down, app errors, crash loops, certificates, backups, VPN, volumes, CPU, memory", () => {
    expect(panelRuleNames(thresholds)).toEqual(
      expect.arrayContaining([
        "ServiceDown",
        "AppHealthErrors",
        "PodCrashLooping",
        "CertificateExpiresSoon",
        "CertificateExpiresVerySoon",
        "CertificateRenewalFailing",
        "BackupStale",
        "BackupFailed",
        "VpnLeak",
        "PvcAlmostFull",
        "ContainerCpuHigh",
        "ContainerMemoryHigh",
      ]),
    );
  });

  it("use the configured thresholds", () => {
    const file = panelAlertRules({ ...thresholds, serviceDownFor: "15s", cpuPercent: 90, memoryPercent: 85, certificateWarningDays: 21 });
    const byName = new Map(file.groups[0]!.rules.map((r) => [r.alert, r]));
    expect(byName.get("ServiceDown")?.for).toBe("15s");
    expect(byName.get("ContainerCpuHigh")?.expr).toBe("panel_container_cpu_limit_ratio > 0.9");
    expect(byName.get("ContainerMemoryHigh")?.expr).toBe("panel_container_memory_limit_ratio > 0.85");
    expect(byName.get("CertificateExpiresSoon")?.expr).toContain(String(21 * 86_400));
    expect(panelAlertRules(thresholds).groups[0]!.rules[0]!.annotations.runbook_url).toBeUndefined();
  });

  it("every known alert has its runbook file in docs/runbooks/alerts", () => {
    for (const a of KNOWN_ALERTS) {
      expect(existsSync(path.join(__dirname, "..", "..", "docs", "runbooks", "alerts", `${a.runbook}.md`)), a.name).toBe(true);
    }
    expect(kebabCase("ServiceDown")).toBe("service-down");
    expect(kebabCase("PVCAlmostFull")).toBe("pvc-almost-full");
  });
});

describe("rule-file checks (what needs no Prometheus)", () => {
  it("finds what promtool would refuse in the file's shape", () => {
    const bad = {
      groups: [
        { name: "a", rules: [{ alert: "X", expr: "up == 0", for: "5 minutes" }] },
        { name: "a", rules: [{ expr: "up" }, { alert: "Y", record: "y", expr: "up" }] },
        { name: "b", rules: [{ alert: "Z", expr: "sum(rate(x[5m])", labels: { "bad-name": "x", alertname: "y" }, annotations: { summary: "{{ $labels.x }" } }] },
        { name: "c", rules: [{ alert: "W", expr: "up", unknown: 1 }] },
      ],
    };
    const messages = checkRuleFile(bad).map((p) => `${p.where}: ${p.message}`);
    expect(messages.join("\n")).toMatch(/unknown key/);
    const shape = checkRuleFile({ groups: bad.groups.slice(0, 3) }).map((p) => `${p.where}: ${p.message}`);
    expect(shape).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"5 minutes" is not a duration'),
        expect.stringContaining('the group name "a" is used twice'),
        expect.stringContaining("exactly one of alert and record"),
        expect.stringContaining("'(' is not closed"),
        expect.stringContaining('"bad-name" is not a valid label name'),
        expect.stringContaining('"alertname" may not be set'),
        expect.stringContaining("template markers are not balanced"),
      ]),
    );
  });

  it("checks expressions' brackets and quotes, skipping those inside strings", () => {
    expect(exprFormatProblem('up{job="a)"} == 0')).toBeUndefined();
    expect(exprFormatProblem("sum(x))")).toBe("')' at character 7 closes nothing that is open");
    expect(exprFormatProblem('up{job="a}')).toMatch(/not closed/);
    expect(exprFormatProblem("  ")).toBe("the expression is empty");
  });

  it("reads the owner's extra rules: a YAML list (or one rule), refusing what is not an alerting rule", () => {
    const ok = parseCustomRules("- alert: DiskSlow\n  expr: node_disk_io_time_seconds_total > 1\n  for: 10m\n  labels: { severity: warning }\n");
    expect(ok).toEqual({ ok: true, rules: [{ alert: "DiskSlow", expr: "node_disk_io_time_seconds_total > 1", for: "10m", labels: { severity: "warning" }, annotations: {} }] });
    expect(parseCustomRules("")).toEqual({ ok: true, rules: [] });
    const bad = parseCustomRules("alert: Broken\nexpr: sum(rate(x[5m])\n");
    expect(bad.ok).toBe(false);
    expect(parseCustomRules("- record: x:y\n  expr: up\n").ok).toBe(false);
    expect(parseCustomRules("a: [").ok).toBe(false);
  });

  it("parses rule-file text", () => {
    expect(checkRuleFileText(stringify(panelAlertRules(thresholds)))).toEqual([]);
    expect(checkRuleFileText("groups: [")[0]?.message).toMatch(/not valid YAML/);
  });
});
