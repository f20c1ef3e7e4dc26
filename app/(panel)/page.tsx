import type { Metadata } from "next";
import { OverviewLive } from "@/components/health/overview-live";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";
import { getOverview } from "@/server/health/overview";

export const metadata: Metadata = { title: "Overview" };

/** The five-second view of the stack: is it fine, and if not, what is wrong and where to look. */
export default async function OverviewPage() {
  await requirePageUser("viewer", "/");
  const initial = await getOverview();
  return (
    <>
      <PageHeader title="Overview" description="Every service of the media server, from the cluster and from the apps themselves." />
      <OverviewLive initial={initial} />
    </>
  );
}
