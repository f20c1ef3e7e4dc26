import type { Metadata } from "next";
import { MakeReady } from "@/components/readiness/make-ready";
import { ReadinessLive } from "@/components/readiness/readiness-live";
import { ReadinessTable, ScoreBadge } from "@/components/readiness/readiness-matrix";
import { ReadinessTrend, type TrendPoint } from "@/components/readiness/readiness-trend";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { toAppError } from "@/lib/errors";
import { failingByRequirement, type ReadinessMatrix } from "@/lib/readiness/matrix";
import { previewMakeReadyAction, runMakeReadyStepAction } from "@/server/actions/readiness";
import { requirePageUser } from "@/server/auth/session";
import { READINESS_STACK, getReadiness, getReadinessTrends } from "@/server/readiness";

export const metadata: Metadata = { title: "Readiness" };
export const dynamic = "force-dynamic";

/** How often an open page computes the matrix again. */
const LIVE_SECONDS = 15;

/** How far back the trends go. */
const TREND_DAYS = 30;

/** What stands between the stack and production-ready, service by service, and the next click for each gap. */
export default async function ReadinessPage() {
  const user = await requirePageUser("viewer", "/readiness");
  const header = <PageHeader title="Readiness" description="Every service against what a production-ready service needs: what passes, what is missing and why, and where to fix it." />;
  let matrix: ReadinessMatrix;
  try {
    matrix = await getReadiness();
  } catch (error) {
    return (
      <>
        {header}
        <Alert testId="readiness-error" title="Readiness cannot be computed">
          {toAppError(error).message}
        </Alert>
      </>
    );
  }
  const gaps = failingByRequirement(matrix);
  const trends: ReadonlyMap<string, TrendPoint[]> = getReadinessTrends(matrix.generatedAt - TREND_DAYS * 86_400_000);
  const stackTrend = trends.get(READINESS_STACK);
  return (
    <>
      {header}
      <p className="mb-4 flex flex-wrap items-center gap-2 text-sm" data-testid="readiness-stack">
        <span className="font-medium">The stack:</span>
        <ScoreBadge score={matrix.score} testId="readiness-stack-score" />
        <span>
          {matrix.score.passed} of {matrix.score.applicable} applicable requirements pass across {matrix.services.length} services.
        </span>
        {stackTrend && (
          <span className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
            last {TREND_DAYS} days <ReadinessTrend points={stackTrend} now={matrix.generatedAt} label="The stack's readiness" testId="readiness-stack-trend" />
          </span>
        )}
      </p>
      <ReadinessLive seconds={LIVE_SECONDS} />
      {user.role === "admin" && <MakeReady preview={previewMakeReadyAction} runStep={runMakeReadyStepAction} />}
      {matrix.unreadable.length > 0 && (
        <div className="mb-4">
          <Alert testId="readiness-partial" title="Some sources could not be read">
            {matrix.unreadable.map((u) => `${u.name}: ${u.message ?? "unreadable"}`).join("; ")}
          </Alert>
        </div>
      )}
      {gaps.length > 0 && (
        <ul className="mb-4 flex flex-wrap gap-x-4 gap-y-1 text-sm" data-testid="readiness-gaps">
          {gaps.map((g) => (
            <li key={g.id} data-requirement={g.id}>
              <span className="font-medium">{g.label}</span>: {g.services.length} failing
            </li>
          ))}
        </ul>
      )}
      {matrix.services.length === 0 ? (
        <EmptyState title="No services">The services the panel discovers in the cluster appear here with their readiness.</EmptyState>
      ) : (
        <ReadinessTable matrix={matrix} trends={trends} />
      )}
    </>
  );
}
