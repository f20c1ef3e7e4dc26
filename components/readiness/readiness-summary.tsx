import { IntentLink } from "@/components/ui/intent-link";
import { ScoreBadge } from "@/components/readiness/readiness-matrix";
import type { ReadinessMatrix } from "@/lib/readiness/matrix";
import { failingByRequirement } from "@/lib/readiness/matrix";

/** The Overview's line on readiness: the stack's score, the gaps by requirement, the least ready services. */
export function ReadinessSummary({ matrix }: { matrix: ReadinessMatrix }) {
  const gaps = failingByRequirement(matrix);
  const least = matrix.services.filter((s) => s.score.percent < 100).slice(0, 3);
  return (
    <section className="mb-4 rounded-md border border-slate-200 bg-white p-3 text-sm dark:border-slate-800 dark:bg-slate-900" data-testid="readiness-summary">
      <p className="flex flex-wrap items-center gap-2">
        <span className="font-medium">Production readiness</span>
        <ScoreBadge score={matrix.score} testId="readiness-summary-score" />
        {gaps.length === 0 ? (
          <span>every applicable requirement passes.</span>
        ) : (
          <span>
            {gaps.map((g) => `${g.label} ${g.services.length}`).join(" · ")} failing
            {least.length > 0 && <> · least ready: {least.map((s) => `${s.displayName} ${s.score.percent}%`).join(", ")}</>}
          </span>
        )}
        <IntentLink href="/readiness" className="font-medium underline" data-testid="readiness-summary-link">
          See the Readiness page
        </IntentLink>
      </p>
    </section>
  );
}
