import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Alerts" };

export default async function AlertsPage() {
  await requirePageUser("viewer", "/alerts");
  return (
    <>
      <PageHeader title="Alerts" description="What Prometheus and Alertmanager say is wrong right now." />
      <EmptyState title="Not configured yet">Firing alerts appear here once the Prometheus and Alertmanager addresses are configured.</EmptyState>
    </>
  );
}
