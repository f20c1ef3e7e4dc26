import type { Metadata } from "next";
import { IntentLink } from "@/components/ui/intent-link";
import { notFound } from "next/navigation";
import { ServiceDetailLive } from "@/components/health/service-detail-live";
import { PageHeader } from "@/components/ui/page-header";
import { HISTORY_WINDOWS, type HistoryWindow } from "@/lib/overview";
import { requirePageUser } from "@/server/auth/session";
import { getServiceDetail } from "@/server/health/overview";
import { canReadLogs } from "@/server/logs/access";

type Props = {
  params: Promise<{ namespace: string; name: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { name } = await params;
  return { title: name };
}

/** One service: pods, the app's own health, version, response times, restarts, events, URL, uptime. */
export default async function ServicePage({ params, searchParams }: Props) {
  const { namespace, name } = await params;
  const user = await requirePageUser("viewer", `/services/${namespace}/${name}`);
  const requested = (await searchParams).window;
  const window: HistoryWindow = (HISTORY_WINDOWS as readonly unknown[]).includes(requested) ? (requested as HistoryWindow) : "24h";
  const detail = await getServiceDetail(namespace, name, window);
  if (!detail) notFound();
  return (
    <>
      <p className="mb-2 text-sm">
        <IntentLink href="/services" className="text-sky-700 underline dark:text-sky-400">
          Services
        </IntentLink>{" "}
        / {namespace}
      </p>
      <PageHeader title={detail.summary.service.displayName} description={detail.summary.service.description} />
      <ServiceDetailLive initial={detail} logsAllowed={canReadLogs(user)} />
    </>
  );
}
