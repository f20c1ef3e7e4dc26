import { LINK_STATE_SEVERITY, LINK_STATES, type ApplyReport, type LinkReading, type LinkState } from "./types";
import { isFixable } from "./plan";

/** Counts of the links by state, how many the panel can fix, and one sentence for the banner. */
export interface IntegrationsSummary {
  total: number;
  byState: Record<LinkState, number>;
  fixable: number;
  worst: LinkState;
  sentence: string;
}

/** Folds the readings into the summary. */
export function summarize(links: readonly LinkReading[]): IntegrationsSummary {
  const byState = Object.fromEntries(LINK_STATES.map((s) => [s, 0])) as Record<LinkState, number>;
  let worst: LinkState = "ok";
  for (const l of links) {
    byState[l.state] += 1;
    if (LINK_STATE_SEVERITY[l.state] > LINK_STATE_SEVERITY[worst]) worst = l.state;
  }
  const fixable = links.filter(isFixable).length;
  let sentence: string;
  if (links.length === 0) sentence = "No links: none of the apps that link to each other were found.";
  else if (byState.ok === links.length) sentence = `All ${links.length} links are working.`;
  else {
    const parts = (["broken", "misconfigured", "missing", "unknown", "needs_git"] as const)
      .filter((s) => byState[s] > 0)
      .map((s) => `${byState[s]} ${s === "needs_git" ? "need a Git change" : s}`);
    sentence = `${byState.ok} of ${links.length} links work; ${parts.join(", ")}.`;
  }
  return { total: links.length, byState, fixable, worst, sentence };
}

/** Links grouped by the app they point to, groups and links in a stable order. */
export function groupByTarget(links: readonly LinkReading[]): Array<{ to: string; toName: string; links: LinkReading[] }> {
  const groups = new Map<string, { to: string; toName: string; links: LinkReading[] }>();
  for (const l of links) {
    const id = `${l.to}|${l.toService ?? ""}`;
    const g = groups.get(id) ?? { to: l.to, toName: l.toName, links: [] };
    g.links.push(l);
    groups.set(id, g);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, links: [...g.links].sort((a, b) => a.fromName.localeCompare(b.fromName) || a.title.localeCompare(b.title)) }))
    .sort((a, b) => a.toName.localeCompare(b.toName));
}

/** The matrix view: source apps as rows, targets as columns, the links in the cells. */
export function matrixOf(links: readonly LinkReading[]): { rows: string[]; cols: string[]; cell(row: string, col: string): LinkReading[] } {
  const rows = [...new Set(links.map((l) => l.fromName))].sort((a, b) => a.localeCompare(b));
  const cols = [...new Set(links.map((l) => l.toName))].sort((a, b) => a.localeCompare(b));
  const cells = new Map<string, LinkReading[]>();
  for (const l of links) {
    const id = `${l.fromName}\u0000${l.toName}`;
    cells.set(id, [...(cells.get(id) ?? []), l]);
  }
  return { rows, cols, cell: (row, col) => cells.get(`${row}\u0000${col}`) ?? [] };
}

/** The readings with the links an apply read again replaced. */
export function mergeReadings(links: readonly LinkReading[], report: ApplyReport): LinkReading[] {
  const after = new Map(report.results.filter((r) => r.after).map((r) => [r.key, r.after as LinkReading]));
  return links.map((l) => after.get(l.key) ?? l);
}

/** "2 changed, 1 failed, 12 already right" */
export function reportSentence(report: ApplyReport): string {
  if (report.changed === 0 && report.failed === 0) return "Nothing to change: every link was already right.";
  const parts = [
    report.changed > 0 ? `${report.changed} changed` : "",
    report.failed > 0 ? `${report.failed} failed` : "",
    report.unchanged > 0 ? `${report.unchanged} already right` : "",
  ].filter(Boolean);
  return `${parts.join(", ")} (${(report.durationMs / 1000).toFixed(1)} s).`;
}
