import { describe, expect, it } from "vitest";
import { activeCount, groupByService, matchersForAlert, mergeAlerts, serviceOfLabels, type AmAlert, type PromAlert, type ServiceRef, type Silence } from "./view";

const services: ServiceRef[] = [
  { id: "media/sonarr", namespace: "media", name: "sonarr", displayName: "Sonarr", appKind: "sonarr", pvcs: ["sonarr-config"], pods: ["sonarr-7d9f-abcde"] },
  { id: "media/sonarr-4k", namespace: "media", name: "sonarr-4k", displayName: "Sonarr 4K", appKind: "sonarr" },
  { id: "qbittorrent/qbittorrent", namespace: "qbittorrent", name: "qbittorrent", displayName: "qBittorrent", appKind: "qbittorrent" },
];
const runbooks = new Set(["alerts/service-down", "alerts/vpn-leak", "apps/sonarr", "alerts/disk-slow"]);

describe("joining alerts to services", () => {
  it("by namespace and a workload label, a pod name, or a volume", () => {
    expect(serviceOfLabels({ namespace: "media", service: "sonarr" }, services)?.id).toBe("media/sonarr");
    expect(serviceOfLabels({ namespace: "media", deployment: "sonarr-4k" }, services)?.id).toBe("media/sonarr-4k");
    expect(serviceOfLabels({ namespace: "media", pod: "sonarr-4k-5c6d-xyz12" }, services)?.id).toBe("media/sonarr-4k");
    expect(serviceOfLabels({ namespace: "media", pod: "sonarr-7d9f-abcde" }, services)?.id).toBe("media/sonarr");
    expect(serviceOfLabels({ namespace: "media", persistentvolumeclaim: "sonarr-config" }, services)?.id).toBe("media/sonarr");
    expect(serviceOfLabels({ service: "qbittorrent" }, services)?.id).toBe("qbittorrent/qbittorrent");
    expect(serviceOfLabels({ namespace: "other", service: "sonarr" }, services)).toBeUndefined();
    expect(serviceOfLabels({ job: "node" }, services)).toBeUndefined();
  });
});

describe("merging Prometheus, Alertmanager and the detector", () => {
  const down: PromAlert = {
    labels: { alertname: "ServiceDown", namespace: "media", service: "sonarr", severity: "critical", app: "sonarr" },
    annotations: { summary: "media/sonarr is down", runbook_url: "https://panel/runbooks/alerts/service-down" },
    state: "firing",
    activeAt: "2026-12-06T03:10:00Z",
  };
  const pending: PromAlert = { labels: { alertname: "VpnLeak", service: "qbittorrent", severity: "critical" }, annotations: { summary: "leak" }, state: "pending", activeAt: "2026-12-06T03:20:00Z" };
  const amDown: AmAlert = {
    labels: { ...down.labels, prometheus: "monitoring/prometheus" },
    annotations: down.annotations,
    startsAt: "2026-12-06T03:15:00Z",
    fingerprint: "f1",
    status: { state: "suppressed", silencedBy: ["s1"], inhibitedBy: [] },
  };
  const amOther: AmAlert = { labels: { alertname: "DiskSlow", severity: "warning", instance: "node1" }, annotations: { summary: "slow disk" }, startsAt: "2026-12-06T02:00:00Z", fingerprint: "f2", status: { state: "active", silencedBy: [], inhibitedBy: [] } };
  const silence: Silence = {
    id: "s1",
    status: { state: "active" },
    matchers: [{ name: "alertname", value: "ServiceDown", isRegex: false, isEqual: true }],
    startsAt: "2026-12-06T03:16:00Z",
    endsAt: "2026-12-06T05:16:00Z",
    createdBy: "admin",
    comment: "maintenance",
  };

  it("one row per alert, the silence that mutes it, its service and runbook; pending ones from Prometheus too", () => {
    const rows = mergeAlerts({ prometheus: [down, pending], alertmanager: [amDown, amOther], silences: [silence], detector: [], services, runbookIds: runbooks });
    expect(rows).toHaveLength(3);
    const row = rows.find((r) => r.name === "ServiceDown");
    expect(row).toMatchObject({ source: "prometheus", state: "firing", severity: "critical", serviceId: "media/sonarr", runbook: "/runbooks/alerts/service-down", inAlertmanager: true });
    expect(row?.silencedBy).toEqual([expect.objectContaining({ id: "s1", comment: "maintenance", matchers: 'alertname="ServiceDown"' })]);
    expect(rows.find((r) => r.name === "VpnLeak")).toMatchObject({ state: "pending", serviceId: "qbittorrent/qbittorrent", inAlertmanager: false, runbook: "/runbooks/alerts/vpn-leak" });
    // The owner's own alert: its runbook from the owner's folder (alerts/disk-slow), no service.
    expect(rows.find((r) => r.name === "DiskSlow")).toMatchObject({ source: "alertmanager", serviceId: null, runbook: "/runbooks/alerts/disk-slow" });
    // Silenced and pending alerts do not count.
    expect(activeCount(rows)).toBe(1);
  });

  it("groups by service, the worst first, alerts about no service last", () => {
    const rows = mergeAlerts({ prometheus: [down, pending], alertmanager: [amOther], silences: [], detector: [], services, runbookIds: runbooks });
    const groups = groupByService(rows, services);
    expect(groups.map((g) => g.serviceId)).toEqual(["media/sonarr", "qbittorrent/qbittorrent", null]);
    expect(groups[0]?.title).toBe("Sonarr (media/sonarr)");
  });

  it("without Alertmanager, Prometheus' alerts alone; without either, only the detector's", () => {
    expect(mergeAlerts({ prometheus: [down], alertmanager: null, silences: [], detector: [], services, runbookIds: runbooks })[0]).toMatchObject({ inAlertmanager: false, silencedBy: [] });
    expect(mergeAlerts({ prometheus: null, alertmanager: null, silences: [], detector: [], services, runbookIds: runbooks })).toEqual([]);
  });

  it("falls back to the rule's http runbook link, then the app's runbook; never a non-http link", () => {
    const custom: PromAlert = { labels: { alertname: "Weird", namespace: "media", service: "sonarr" }, annotations: { runbook_url: "javascript:alert(1)" }, state: "firing" };
    expect(mergeAlerts({ prometheus: [custom], alertmanager: null, silences: [], detector: [], services, runbookIds: runbooks })[0]?.runbook).toBe("/runbooks/apps/sonarr");
    const linked: PromAlert = { ...custom, annotations: { runbook_url: "https://wiki.example/weird" } };
    expect(mergeAlerts({ prometheus: [linked], alertmanager: null, silences: [], detector: [], services, runbookIds: runbooks })[0]?.runbook).toBe("https://wiki.example/weird");
  });

  it("silences exactly the alert: one equality matcher per label", () => {
    expect(matchersForAlert({ service: "sonarr", alertname: "ServiceDown" })).toEqual([
      { name: "alertname", value: "ServiceDown", isRegex: false, isEqual: true },
      { name: "service", value: "sonarr", isRegex: false, isEqual: true },
    ]);
  });
});
