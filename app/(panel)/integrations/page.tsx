import type { Metadata } from "next";
import { Suspense } from "react";
import { KeyStatusTable } from "@/components/integrations/key-status-table";
import { LinksBoard } from "@/components/integrations/links-board";
import { VpnPanel } from "@/components/integrations/vpn-panel";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { withoutSecretSuffix } from "@/lib/redact";
import { applyIntegrationFixes } from "@/server/actions/integrations";
import { requirePageUser } from "@/server/auth/session";
import { readIntegrationsView } from "@/server/integrations/view";

export const metadata: Metadata = { title: "Integrations" };
export const dynamic = "force-dynamic";

/** Reads every link from the apps (their own tests included), the key status and the VPN. */
async function IntegrationsContent({ isAdmin }: { isAdmin: boolean }) {
  const view = await readIntegrationsView();
  // Admins see the last characters of each key, to tell which one is configured; viewers do not.
  const keys = isAdmin ? view.keys : view.keys.map((k) => ({ ...k, hint: withoutSecretSuffix(k.hint) }));
  const leaks = view.vpn.filter((v) => v.status === "leak");
  return (
    <div className="space-y-4">
      {leaks.map((v) => (
        <Alert key={v.service} title={`${v.name}: VPN leak`} testId="vpn-leak-alert">
          {v.message}
        </Alert>
      ))}
      <LinksBoard
        links={view.links}
        notices={view.notices}
        {...(isAdmin ? { apply: applyIntegrationFixes } : {})}
        aside={
          <>
            <Card title="VPN" testId="vpn-panel">
              <VpnPanel vpn={view.vpn} />
            </Card>
            <Card title="API keys" testId="key-panel">
              <KeyStatusTable keys={keys} />
            </Card>
          </>
        }
      />
      <p className="text-xs text-slate-500" data-testid="read-time">
        Read from the apps in {(view.durationMs / 1000).toFixed(1)} s.
      </p>
    </div>
  );
}

function Loading() {
  return (
    <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="integrations-loading" role="status">
      Asking the apps how they are wired…
    </p>
  );
}

/** Who is wired to whom, verified by the apps themselves; admins can fix links after a preview. */
export default async function IntegrationsPage() {
  const user = await requirePageUser("viewer", "/integrations");
  return (
    <>
      <PageHeader
        title="Integrations"
        description="Every link the stack needs, read from the apps and checked with their own tests. Fixes go through the apps' APIs after a preview."
      />
      <Suspense fallback={<Loading />}>
        <IntegrationsContent isAdmin={user.role === "admin"} />
      </Suspense>
    </>
  );
}
