import type { Metadata } from "next";
import { ApplicationsLive } from "@/components/argocd/applications-live";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";
import { getApplicationsData } from "@/server/health/applications";

export const metadata: Metadata = { title: "Applications" };

/** Argo CD's Applications and ApplicationSets: sync, health, the last sync and what is not right. */
export default async function ApplicationsPage() {
  await requirePageUser("viewer", "/applications");
  const initial = await getApplicationsData();
  return (
    <>
      <PageHeader title="Applications" description="Every Argo CD Application and ApplicationSet: whether the cluster matches Git, whether it is healthy, and the last sync." />
      <ApplicationsLive initial={initial} />
    </>
  );
}
