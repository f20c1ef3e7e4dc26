import type { Metadata } from "next";
import { ServicesTable } from "@/components/health/services-table";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";
import { getOverview } from "@/server/health/overview";

export const metadata: Metadata = { title: "Services" };

/** Every workload in the watched namespaces. */
export default async function ServicesPage() {
  await requirePageUser("viewer", "/services");
  const overview = await getOverview();
  return (
    <>
      <PageHeader title="Services" description="Every workload in the watched namespaces, with its app's health, version and uptime." />
      {!overview.kubernetes.connected && (
        <div className="mb-4">
          <Alert title={overview.kubernetes.configured ? "The cluster is not reachable" : "Kubernetes is not configured"}>
            {overview.kubernetes.message}
          </Alert>
        </div>
      )}
      {overview.services.length === 0 ? (
        <EmptyState title="No services found">Workloads in the watched namespaces appear here.</EmptyState>
      ) : (
        <ServicesTable services={overview.services} />
      )}
    </>
  );
}
