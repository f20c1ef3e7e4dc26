import type { Metadata } from "next";
import { AlertsLive } from "@/components/alerts/alerts-live";
import { PageHeader } from "@/components/ui/page-header";
import { expireSilenceAction, silenceAlertAction } from "@/server/actions/alerts";
import { getAlertsData } from "@/server/alerts/service";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Alerts" };

export default async function AlertsPage() {
  const user = await requirePageUser("viewer", "/alerts");
  const data = await getAlertsData();
  return (
    <>
      <PageHeader title="Alerts" description="What is wrong now, by service: the panel's own detector, Prometheus and Alertmanager, with each alert's runbook." />
      <AlertsLive initial={data} admin={user.role === "admin"} silence={silenceAlertAction} expire={expireSilenceAction} />
    </>
  );
}
