import type { Metadata } from "next";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";
import { checkKubernetes } from "@/server/k8s/client";

export const metadata: Metadata = { title: "Overview" };

/** The five-second view of the stack. */
export default async function OverviewPage() {
  await requirePageUser("viewer", "/");
  const kube = await checkKubernetes();
  return (
    <>
      <PageHeader title="Overview" description="Is the media server fine, and if not, what is wrong and where to look." />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Kubernetes" testId="overview-kubernetes">
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <Badge tone={kube.reachable ? "ok" : kube.configured ? "bad" : "neutral"}>
              {kube.reachable ? "connected" : kube.configured ? "unreachable" : "not configured"}
            </Badge>
            <span data-testid="kubernetes-message">{kube.message}</span>
          </p>
          {kube.server && <p className="mt-2 text-xs text-slate-500">API server: {kube.server}</p>}
        </Card>
        <Card title="Service health">
          <EmptyState title="Service health is not set up yet">
            The health of each service (Kubernetes state and the app&apos;s own health API) will show here.
          </EmptyState>
        </Card>
      </div>
    </>
  );
}
