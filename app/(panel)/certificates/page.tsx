import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Certificates" };

export default async function CertificatesPage() {
  await requirePageUser("viewer", "/certificates");
  return (
    <>
      <PageHeader title="Certificates" description="cert-manager certificates and the live TLS of each ingress host." />
      <EmptyState title="Not configured yet">Certificate status (ready, expiry, renewal) appears here once certificate checks are set up.</EmptyState>
    </>
  );
}
