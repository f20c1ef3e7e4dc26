import type { Metadata } from "next";
import { ReadinessTable, ScoreBadge } from "@/components/readiness/readiness-matrix";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { toAppError } from "@/lib/errors";
import { failingByRequirement, type ReadinessMatrix } from "@/lib/readiness/matrix";
import { requirePageUser } from "@/server/auth/session";
import { getReadiness } from "@/server/readiness";

export const metadata: Metadata = { title: "Readiness" };
export const dynamic = "force-dynamic";

/** What stands between the stack and production-ready, service by service, and the next click for each gap. */
export default async function ReadinessPage() {
  await requirePageUser("viewer", "/readiness");
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
  return (
    <>
      {header}
      <p className="mb-4 flex flex-wrap items-center gap-2 text-sm" data-testid="readiness-stack">
        <span className="font-medium">The stack:</span>
        <ScoreBadge score={matrix.score} testId="readiness-stack-score" />
        <span>
          {matrix.score.passed} of {matrix.score.applicable} applicable requirements pass across {matrix.services.length} services.
        </span>
      </p>
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
        <ReadinessTable matrix={matrix} />
      )}
    </>
  );
}
