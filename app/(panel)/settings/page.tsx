import type { Metadata } from "next";
import { LogsAccessForm } from "@/components/logs/logs-access-form";
import { NotificationTargets } from "@/components/alerts/notification-targets";
import { SettingsForm } from "@/components/settings-form";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { setLogsAccess } from "@/server/actions/logs";
import { updateSettings } from "@/server/actions/settings";
import { sendTestNotificationAction } from "@/server/actions/alerts";
import { notificationTargets } from "@/server/alerts/service";
import { requirePageUser } from "@/server/auth/session";
import { redactRepoUrl } from "@/lib/gitops/repo-url";
import { getConfig, getConfigSource } from "@/server/config/load";
import { checkKubernetes } from "@/server/k8s";
import { logsOpenToViewers } from "@/server/logs/access";
import { getPanelSettings } from "@/server/panel/settings";

export const metadata: Metadata = { title: "Settings" };

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-1 gap-1 border-t border-slate-200 py-2 text-sm sm:grid-cols-3 dark:border-slate-800">
      <dt className="font-medium">{label}</dt>
      <dd className="break-all sm:col-span-2">{children}</dd>
    </div>
  );
}

/** The panel's own settings and a read-only summary of its configuration (no secret values). */
export default async function SettingsPage() {
  const user = await requirePageUser("viewer", "/settings");
  const config = getConfig();
  const settings = getPanelSettings();
  const kube = await checkKubernetes();
  const addressCount = Object.keys(config.addressMap).length;
  return (
    <>
      <PageHeader title="Settings" description="How the panel is configured. Configuration comes from the config file; secrets from the environment." />
      <div className="grid gap-4 xl:grid-cols-2">
        <Card title="Panel settings" testId="panel-settings">
          {user.role === "admin" ? (
            <SettingsForm initial={settings} save={updateSettings} />
          ) : (
            <dl data-testid="settings-readonly">
              <Row label="Stack name">{settings.stackName}</Row>
              <Row label="Runbook base URL">{settings.runbookBaseUrl || "not set"}</Row>
              <p className="mt-2 text-xs text-slate-500">You are signed in as a viewer: settings are read-only.</p>
            </dl>
          )}
        </Card>
        <Card title="Logs" testId="logs-settings">
          {user.role === "admin" ? (
            <LogsAccessForm initial={logsOpenToViewers()} save={setLogsAccess} />
          ) : (
            <p className="text-sm" data-testid="logs-settings-readonly">
              {logsOpenToViewers() ? "Viewers may read the apps' logs." : "Logs are for admins only."}
            </p>
          )}
        </Card>
        <Card title="Configuration" testId="config-summary">
          <dl>
            <Row label="Config file">{getConfigSource()}</Row>
            <Row label="Data directory">{config.server.dataDir}</Row>
            <Row label="Kubernetes">
              {config.kubernetes.mode}{" "}
              <Badge tone={kube.reachable ? "ok" : kube.configured ? "bad" : "neutral"}>
                {kube.reachable ? "connected" : kube.configured ? "unreachable" : "off"}
              </Badge>
              <span className="block text-xs text-slate-500">{kube.message}</span>
            </Row>
            <Row label="Watched namespaces">{config.kubernetes.namespaces.join(", ")}</Row>
            <Row label="Address map">
              {addressCount === 0 ? "none (in-cluster service addresses are used)" : `${addressCount} services mapped`}
            </Row>
            <Row label="GitOps repository">
              {config.gitops ? `${redactRepoUrl(config.gitops.repoUrl)} (${config.gitops.forge}, base ${config.gitops.baseBranch ?? "from Argo CD"})` : "not configured"}
            </Row>
            <Row label="Sign-in">
              {config.auth.localUsers.length} local account{config.auth.localUsers.length === 1 ? "" : "s"}
              {config.auth.oidc ? `, single sign-on via ${config.auth.oidc.issuer}` : ", no single sign-on"}
            </Row>
            <Row label="Metrics">{config.metrics.public ? "public (metrics.public: true)" : "bearer token required"}</Row>
            <Row label="Trusted proxies">
              {config.server.trustedProxies.length > 0 ? config.server.trustedProxies.join(", ") : "none (forwarded headers are ignored)"}
            </Row>
          </dl>
        </Card>
        <Card title="Notifications" testId="notification-settings">
          <NotificationTargets targets={notificationTargets()} admin={user.role === "admin"} sendTest={sendTestNotificationAction} />
        </Card>
      </div>
    </>
  );
}
