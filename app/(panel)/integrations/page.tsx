import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Integrations" };

export default async function IntegrationsPage() {
  await requirePageUser("viewer", "/integrations");
  return (
    <>
      <PageHeader title="Integrations" description="Which app is wired to which, and whether each link really works." />
      <EmptyState title="Not configured yet">The integration matrix (Prowlarr to the *arr apps, the *arr apps to qBittorrent and SABnzbd, Jellyseerr to Jellyfin...) appears here once integrations are set up.</EmptyState>
    </>
  );
}
