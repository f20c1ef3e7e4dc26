import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Services" };

export default async function ServicesPage() {
  await requirePageUser("viewer", "/services");
  return (
    <>
      <PageHeader title="Services" description="Every workload in the watched namespaces, with its pods, app health, version and uptime." />
      <EmptyState title="Not configured yet">Services are discovered from the cluster and probed through their own health APIs once service health is set up.</EmptyState>
    </>
  );
}
