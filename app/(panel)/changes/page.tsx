import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Changes" };

export default async function ChangesPage() {
  await requirePageUser("viewer", "/changes");
  return (
    <>
      <PageHeader title="Changes" description="Every configuration change the panel proposed as a pull request, followed until it is live." />
      <EmptyState title="No changes proposed yet">Changes are made through Git: each becomes a branch and a pull request on the GitOps repository, listed here with its state.</EmptyState>
    </>
  );
}
