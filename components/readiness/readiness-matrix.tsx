import { IntentLink } from "@/components/ui/intent-link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { CellState, ReadinessCell, ReadinessMatrix, Score } from "@/lib/readiness/matrix";
import { ReadinessTrend, type TrendPoint } from "./readiness-trend";

const CELL: Record<CellState, { tone: BadgeTone; text: string }> = {
  passed: { tone: "ok", text: "passed" },
  failing: { tone: "bad", text: "failing" },
  "not-applicable": { tone: "neutral", text: "n/a" },
};

function scoreTone(score: Score): BadgeTone {
  return score.percent === 100 ? "ok" : score.percent >= 60 ? "warn" : "bad";
}

/** A score as "7/9 (77%)". */
export function ScoreBadge({ score, testId }: { score: Score; testId?: string }) {
  return (
    <span data-testid={testId} data-percent={score.percent}>
      <Badge tone={scoreTone(score)}>
        {score.passed}/{score.applicable} ({score.percent}%)
      </Badge>
    </span>
  );
}

function Cell({ cell, serviceSlug }: { cell: ReadinessCell; serviceSlug: string }) {
  const look = CELL[cell.state];
  return (
    <td className="py-2 pr-3 align-top" data-testid={`cell-${serviceSlug}-${cell.requirement}`} data-requirement={cell.requirement} data-state={cell.state}>
      <Badge tone={look.tone}>{look.text}</Badge>
      <span className="mt-1 block text-xs text-slate-600 dark:text-slate-400" data-testid="cell-reason">
        {cell.reason}
      </span>
      {cell.fix && (
        <IntentLink href={cell.fix.href} className="mt-1 block text-xs font-medium underline" data-testid="cell-fix" data-kind={cell.fix.kind}>
          {cell.fix.label}
          {cell.fix.kind === "pull-request" ? " (pull request)" : ""} →
        </IntentLink>
      )}
    </td>
  );
}

/** The matrix of services × requirements, each cell with its reason and next click. */
export function ReadinessTable({ matrix, trends }: { matrix: ReadinessMatrix; /** Each service's score history, oldest first. */ trends?: ReadonlyMap<string, readonly TrendPoint[]> }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[72rem] text-left text-sm" data-testid="readiness-matrix">
        <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
          <tr>
            <th className="py-2 pr-3">Service</th>
            <th className="py-2 pr-3">Score</th>
            {matrix.requirements.map((r) => (
              <th key={r.id} className="py-2 pr-3" title={r.description} data-testid={`requirement-${r.id}`}>
                {r.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.services.map((s) => {
            const slug = s.id.replace("/", "-");
            return (
              <tr key={s.id} className="border-t border-slate-200 dark:border-slate-800" data-testid="readiness-row" data-service={s.id}>
                <td className="py-2 pr-3 align-top">
                  <IntentLink href={`/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}`} className="font-medium underline-offset-2 hover:underline">
                    {s.displayName}
                  </IntentLink>
                  <span className="block font-mono text-xs text-slate-600 dark:text-slate-400">{s.id}</span>
                </td>
                <td className="py-2 pr-3 align-top">
                  <ScoreBadge score={s.score} testId={`score-${slug}`} />
                  {trends?.get(s.id) && <span className="mt-1 block"><ReadinessTrend points={trends.get(s.id)!} now={matrix.generatedAt} label={`${s.displayName}'s readiness`} testId={`trend-${slug}`} /></span>}
                </td>
                {s.cells.map((c) => (
                  <Cell key={c.requirement} cell={c} serviceSlug={slug} />
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
