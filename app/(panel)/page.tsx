import type { Metadata } from "next";
import { OverviewLive } from "@/components/health/overview-live";
import { PageHeader } from "@/components/ui/page-header";
import { IntentLink } from "@/components/ui/intent-link";
import { requirePageUser } from "@/server/auth/session";
import { backupBanner } from "@/server/backups/service";
import { getOverview } from "@/server/health/overview";

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
      <OverviewLive initial={initial} />
    </>
  );
}
