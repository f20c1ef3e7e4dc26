import type { Metadata } from "next";
import { OverviewLive } from "@/components/health/overview-live";
import { PageHeader } from "@/components/ui/page-header";
import { Suspense } from "react";
import { ReadinessSummary } from "@/components/readiness/readiness-summary";
import { IntentLink } from "@/components/ui/intent-link";
import { requirePageUser } from "@/server/auth/session";
import { backupBanner } from "@/server/backups/service";
import { getOverview } from "@/server/health/overview";
import { logger } from "@/server/observability/logger";
import { getReadiness } from "@/server/readiness";

export const metadata: Metadata = { title: "Overview" };

/** The five-second view of the stack: is it fine, and if not, what is wrong and where to look. */
export default async function OverviewPage() {
  await requirePageUser("viewer", "/");
  const [initial, backups] = await Promise.all([getOverview(), backupBanner()]);
  return (
    <>
      <PageHeader title="Overview" description="Every service of the media server, from the cluster and from the apps themselves." />
      {backups?.sentence && (
        <p className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200" data-testid="backup-banner">
          {backups.sentence}.{" "}
          <IntentLink href="/backups" className="font-medium underline">
            See the Backups page
          </IntentLink>
        </p>
      )}
      <Suspense fallback={null}>
        <OverviewReadiness />
      </Suspense>
      <OverviewLive initial={initial} />
    </>
  );
}

/** The readiness summary, streamed after the services (it reads the apps' links at most once a minute). */
async function OverviewReadiness() {
  const matrix = await getReadiness().catch((error: unknown) => {
    // The Readiness page says why in full; the Overview shows the rest.
    logger.warn({ err: (error as Error).message }, "the readiness summary could not be computed for the Overview");
    return undefined;
  });
  return matrix ? <ReadinessSummary matrix={matrix} /> : null;
}
