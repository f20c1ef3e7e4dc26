import "server-only";
import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { checkRuleFileText, describeRuleProblems } from "@/lib/alerts/rule-file";
import type { RuleFile } from "@/lib/alerts/rules";
import { toAppError } from "@/lib/errors";
import type { PlanCheck } from "@/lib/gitops/types";

/**
 * Checks of a change before its pull request: a Prometheus rule file goes through
 * 1. the TypeScript checks (`lib/alerts/rule-file.ts`: the file's shape, brackets and quotes), always;
 * 2. `promtool check rules` where the server has promtool (a development machine, the lab; the
 *    panel's image does not ship it): Prometheus' own parser and checks of the whole file;
 * 3. Prometheus' query parser (`/api/v1/parse_query`, or `format_query`) for every expression, when
 *    `alerts.prometheus` is configured: the owner's own Prometheus version decides.
 * Problems refuse the change; what ran is listed in the preview's notes.
 */

export interface PlanCheckOutcome {
  /** What was checked and how it went (for the preview). */
  notes: string[];
  /** Why the change is refused; empty when it may go ahead. */
  problems: string[];
}

export interface PlanCheckDeps {
  /** promtool's path; undefined: looked up on PATH (`PANEL_PROMTOOL` overrides); null: none. */
  promtool?: string | null;
  /** Parses one expression; resolves with the parser's message when invalid. */
  checkExpression?: (expr: string) => Promise<string | undefined>;
  timeoutMs?: number;
}

/** promtool on PATH (or `PANEL_PROMTOOL`), or undefined. */
export function findPromtool(env: Record<string, string | undefined> = process.env): string | undefined {
  const candidates = env.PANEL_PROMTOOL ? [env.PANEL_PROMTOOL] : (env.PATH ?? "").split(path.delimiter).filter(Boolean).map((d) => path.join(d, "promtool"));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not there
    }
  }
  return undefined;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // Only PATH: the panel's secrets stay out of the child's environment.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key !== "PATH") delete env[key];
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, env, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** `promtool check rules` on the content, as the named file; the output with the temporary path replaced by the name. */
export async function promtoolCheckRules(promtool: string, name: string, content: string, timeoutMs = 20_000): Promise<{ ok: boolean; output: string; version: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "panel-rules-"));
  const file = path.join(dir, path.basename(name));
  try {
    writeFileSync(file, content);
    const version = (await run(promtool, ["--version"], timeoutMs)).output.split("\n")[0]?.replace(/^promtool, /, "") ?? "";
    const { code, output } = await run(promtool, ["check", "rules", file], timeoutMs);
    return { ok: code === 0, output: output.split(file).join(name).replace(/\s+/g, " ").trim(), version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkRules(check: PlanCheck, deps: PlanCheckDeps): Promise<PlanCheckOutcome> {
  const notes: string[] = [];
  const problems: string[] = [];
  const shape = checkRuleFileText(check.content);
  if (shape.length > 0) problems.push(`${check.name}: ${describeRuleProblems(shape)}`);
  else notes.push(`${check.name}: the file's shape, names, durations and brackets were checked (the panel's own checks).`);
  const promtool = deps.promtool === undefined ? findPromtool() : (deps.promtool ?? undefined);
  let parsed = false;
  if (promtool) {
    const r = await promtoolCheckRules(promtool, check.name, check.content, deps.timeoutMs);
    if (r.ok) notes.push(`promtool ${r.version} check rules: ${r.output}`);
    else problems.push(`promtool check rules refused ${check.name}: ${r.output}`);
    parsed = true;
  }
  if (deps.checkExpression && shape.length === 0) {
    const file = parse(check.content) as RuleFile;
    const exprs = (file.groups ?? []).flatMap((g) => (g.rules ?? []).map((r) => ({ where: `${g.name}/${r.alert}`, expr: String(r.expr) })));
    try {
      const results = await Promise.all(exprs.map(async (e) => ({ ...e, problem: await deps.checkExpression?.(e.expr) })));
      const bad = results.filter((r) => r.problem);
      for (const b of bad) problems.push(`Prometheus cannot parse ${b.where}: ${b.problem}`);
      if (bad.length === 0) notes.push(`Your Prometheus parsed all ${exprs.length} expressions.`);
      parsed = true;
    } catch (error) {
      notes.push(`Your Prometheus could not check the expressions: ${toAppError(error).message}`);
    }
  }
  if (!parsed) notes.push("The expressions were not parsed by Prometheus (no promtool here and no alerts.prometheus configured): review them before merging.");
  return { notes, problems };
}

/** Runs every check of a plan. */
export async function runPlanChecks(checks: readonly PlanCheck[], deps: PlanCheckDeps = {}): Promise<PlanCheckOutcome> {
  const out: PlanCheckOutcome = { notes: [], problems: [] };
  for (const check of checks) {
    const r = await checkRules(check, deps);
    out.notes.push(...r.notes);
    out.problems.push(...r.problems);
  }
  return out;
}
