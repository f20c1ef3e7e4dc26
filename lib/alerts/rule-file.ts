import { parse } from "yaml";
import { z } from "zod";
import type { AlertingRule, RuleFile, RuleGroup } from "./rules";

/**
 * Checks of a Prometheus rule file that need no Prometheus: the YAML shape `promtool check rules`
 * checks (groups with unique names, rules with an `alert` or `record` name, an expression, a valid
 * `for` duration, label names, no reserved labels) and a format check of each expression (balanced
 * brackets and quotes, no empty expression). The PromQL itself is parsed by Prometheus (its
 * `/api/v1/parse_query` or `/api/v1/format_query`) or by `promtool` where the server has them.
 */

/** One problem, with where it is. */
export interface RuleProblem {
  where: string;
  message: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const PROM_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const ruleSchema = z
  .object({
    alert: z.string().optional(),
    record: z.string().optional(),
    expr: z.union([z.string(), z.number()]).transform(String),
    for: z.string().optional(),
    keep_firing_for: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .strict();

const groupSchema = z
  .object({
    name: z.string(),
    interval: z.string().optional(),
    limit: z.number().int().optional(),
    query_offset: z.string().optional(),
    rules: z.array(ruleSchema).nullish(),
  })
  .strict();

const fileSchema = z.object({ groups: z.array(groupSchema).nullish() }).strict();

/** Brackets and quotes of a PromQL expression: unbalanced ones are the commonest typos. */
export function exprFormatProblem(expr: string): string | undefined {
  if (expr.trim() === "") return "the expression is empty";
  const closing: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += c !== "`" && expr[j] === "\\" ? 2 : 1;
      if (j >= expr.length) return `a string opened at character ${i + 1} is not closed`;
      i = j;
    } else if (c === "#") {
      const nl = expr.indexOf("\n", i);
      i = nl === -1 ? expr.length : nl;
    } else if (c === "(" || c === "[" || c === "{") {
      stack.push(c);
    } else if (c in closing) {
      if (stack.pop() !== closing[c]) return `'${c}' at character ${i + 1} closes nothing that is open`;
    }
  }
  if (stack.length > 0) return `'${stack[stack.length - 1]}' is not closed`;
  return undefined;
}

function templateProblem(text: string): string | undefined {
  const open = text.split("{{").length - 1;
  const close = text.split("}}").length - 1;
  return open === close ? undefined : "its {{ }} template markers are not balanced";
}

/** Checks a parsed rule file; an empty list means it passed. */
export function checkRuleFile(value: unknown): RuleProblem[] {
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => ({
      where: i.path.length > 0 ? i.path.join(".") : "(file)",
      message: i.code === "unrecognized_keys" ? `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}` : i.message,
    }));
  }
  const problems: RuleProblem[] = [];
  const names = new Set<string>();
  (parsed.data.groups ?? []).forEach((group, gi) => {
    const at = `groups[${gi}]`;
    if (group.name.trim() === "") problems.push({ where: `${at}.name`, message: "a group needs a name" });
    else if (names.has(group.name)) problems.push({ where: `${at}.name`, message: `the group name "${group.name}" is used twice` });
    names.add(group.name);
    for (const key of ["interval", "query_offset"] as const) {
      const v = group[key];
      if (v !== undefined && !PROM_DURATION.test(v)) problems.push({ where: `${at}.${key}`, message: `"${v}" is not a duration` });
    }
    (group.rules ?? []).forEach((r, ri) => {
      const rat = `${at}.rules[${ri}]${r.alert ? ` (${r.alert})` : r.record ? ` (${r.record})` : ""}`;
      if ((r.alert === undefined) === (r.record === undefined)) {
        problems.push({ where: rat, message: "a rule has exactly one of alert and record" });
        return;
      }
      if (r.alert !== undefined && r.alert.trim() === "") problems.push({ where: rat, message: "the alert name is empty" });
      if (r.record !== undefined && !METRIC_NAME.test(r.record)) problems.push({ where: rat, message: `"${r.record}" is not a valid metric name` });
      if (r.record !== undefined && (r.for !== undefined || r.annotations !== undefined)) {
        problems.push({ where: rat, message: "a recording rule has no for or annotations" });
      }
      const exprProblem = exprFormatProblem(r.expr);
      if (exprProblem) problems.push({ where: `${rat}.expr`, message: exprProblem });
      for (const key of ["for", "keep_firing_for"] as const) {
        const v = r[key];
        if (v !== undefined && !PROM_DURATION.test(v)) problems.push({ where: `${rat}.${key}`, message: `"${v}" is not a duration (30s, 5m, 1h)` });
      }
      for (const [name, v] of Object.entries(r.labels ?? {})) {
        if (!LABEL_NAME.test(name)) problems.push({ where: `${rat}.labels`, message: `"${name}" is not a valid label name` });
        if (name === "__name__" || name === "alertname") problems.push({ where: `${rat}.labels`, message: `"${name}" may not be set by a rule` });
        const t = templateProblem(v);
        if (t) problems.push({ where: `${rat}.labels.${name}`, message: t });
      }
      for (const [name, v] of Object.entries(r.annotations ?? {})) {
        if (!LABEL_NAME.test(name)) problems.push({ where: `${rat}.annotations`, message: `"${name}" is not a valid annotation name` });
        const t = templateProblem(v);
        if (t) problems.push({ where: `${rat}.annotations.${name}`, message: t });
      }
    });
  });
  return problems;
}

/** Parses rule-file YAML text and checks it. */
export function checkRuleFileText(text: string): RuleProblem[] {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    return [{ where: "(file)", message: `not valid YAML: ${(error as Error).message.split("\n")[0]}` }];
  }
  return checkRuleFile(value ?? {});
}

/**
 * The owner's extra rules as typed on the Changes page: a YAML list of alerting rules (or one rule),
 * each `{ alert, expr, for?, labels?, annotations? }`. Returns the rules or the problems.
 */
export function parseCustomRules(text: string): { ok: true; rules: AlertingRule[] } | { ok: false; problems: RuleProblem[] } {
  if (text.trim() === "") return { ok: true, rules: [] };
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    return { ok: false, problems: [{ where: "your rules", message: `not valid YAML: ${(error as Error).message.split("\n")[0]}` }] };
  }
  const list = Array.isArray(value) ? value : [value];
  const file = { groups: [{ name: "custom", rules: list }] };
  const problems = checkRuleFile(file).map((p) => ({ ...p, where: p.where.replace(/^groups\[0\]\.rules/, "rule ") }));
  const notAlerts = list.filter((r) => typeof r !== "object" || r === null || typeof (r as { alert?: unknown }).alert !== "string");
  if (notAlerts.length > 0) problems.push({ where: "your rules", message: "every rule here is an alerting rule with an alert name" });
  if (problems.length > 0) return { ok: false, problems };
  const rules = (list as Array<Record<string, unknown>>).map((r) => ({
    alert: String(r.alert),
    expr: String(r.expr),
    ...(typeof r.for === "string" ? { for: r.for } : {}),
    labels: Object.fromEntries(Object.entries((r.labels as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, String(v)])),
    annotations: Object.fromEntries(Object.entries((r.annotations as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, String(v)])),
  }));
  return { ok: true, rules };
}

/** Every expression of a rule file, with where it is (for a PromQL parse by Prometheus). */
export function expressionsOf(file: RuleFile): Array<{ where: string; expr: string }> {
  return file.groups.flatMap((g: RuleGroup) => g.rules.map((r) => ({ where: `${g.name}/${r.alert}`, expr: r.expr })));
}

/** Formats problems as one line each. */
export function describeRuleProblems(problems: readonly RuleProblem[]): string {
  return problems.map((p) => `${p.where}: ${p.message}`).join("; ");
}
