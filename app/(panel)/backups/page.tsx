import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Backups" };

export default async function BackupsPage() {
  await requirePageUser("viewer", "/backups");
  return (
    <>
      <PageHeader title="Backups" description="Backup runs of the apps' configuration, and restores." />
      <EmptyState title="No backups recorded">Backup and restore Jobs started from the panel, and their history, appear here once backups are set up.</EmptyState>
    </>
  );
}
