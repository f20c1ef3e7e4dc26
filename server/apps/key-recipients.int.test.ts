import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labIntegrationSettings, type LabIntegrationJson } from "@/e2e/support/lab-integrations";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { parsePanelConfig } from "@/lib/config-schema";
import type { DiscoveredService } from "@/lib/services";
import { Prober, type SweepResult } from "@/server/probes/prober";
import { createDiscovery, type Discovery } from "@/server/k8s/discovery";
import { createInformerSet, type InformerSet } from "@/server/k8s/informers";
import { SecretReader } from "@/server/k8s/secrets";
import { createWorkloadEnvReader } from "@/server/k8s/workloads";
import { discoverEnds } from "@/server/integrations/ends";
import { resolveApp, type ResolveDeps } from "./resolve";

/**
 * The apps' keys go only to the workloads the owner meant, against the lab's real API server: three
 * look-alikes are added to the watched namespaces (a Sonarr image in `homepage`, a workload in
 * `homepage` that only carries `k8s-nas-panel/app: qbittorrent`, and a Sonarr in `media` behind an
 * ExternalName Service), and their addresses lead to a listener that records every request's
 * headers. The panel's prober sweeps them like any service: the listener must never see a key or
 * the qBittorrent password, each look-alike says why on its card, and the user's own apps keep theirs.
 */

const lab = useLabCluster({ reset: false });
const NS_OTHER = "homepage";
const LABELS = "k8s-nas-panel-test";

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function deployment(namespace: string, name: string, image: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { [LABELS]: "look-alike" }, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, [LABELS]: "look-alike" } }, spec: { containers: [{ name: "app", image, ports: [{ containerPort: 8989 }] }] } },
    },
  };
}

describe("keys never go to look-alike workloads", () => {
  let informers: InformerSet;
  let discovery: Discovery;
  let listener: Server;
  const seen: Seen[] = [];
  let deps: ResolveDeps;
  let secretValues: string[] = [];
  const apps = () => lab().kc.makeApiClient(AppsV1Api);
  const core = () => lab().kc.makeApiClient(CoreV1Api);
  const lookAlikes = [
    { namespace: NS_OTHER, name: "sonarr", image: "lscr.io/linuxserver/sonarr:4.0.14", annotations: {}, type: "ClusterIP" },
    { namespace: NS_OTHER, name: "torrents", image: "docker.io/library/nginx:1.27", annotations: { "k8s-nas-panel/app": "qbittorrent" }, type: "ClusterIP" },
    { namespace: "media", name: "sonarr-mirror", image: "lscr.io/linuxserver/sonarr:4.0.14", annotations: {}, type: "ExternalName" },
  ] as const;

  async function cleanup(): Promise<void> {
    for (const l of lookAlikes) {
      await apps().deleteNamespacedDeployment({ namespace: l.namespace, name: l.name }).catch(() => undefined);
      await core().deleteNamespacedService({ namespace: l.namespace, name: l.name }).catch(() => undefined);
    }
  }

  beforeAll(async () => {
    listener = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ path: req.url ?? "", headers: req.headers, body });
        // Answers like an app that wants no key, so nothing but the panel's own rule keeps the key back.
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

    await cleanup();
    for (const l of lookAlikes) {
      await apps().createNamespacedDeployment({ namespace: l.namespace, body: deployment(l.namespace, l.name, l.image, l.annotations) });
      await core().createNamespacedService({
        namespace: l.namespace,
        body: {
          metadata: { name: l.name, namespace: l.namespace, labels: { [LABELS]: "look-alike" } },
          spec:
            l.type === "ExternalName"
              ? { type: "ExternalName", externalName: "collector.example.net", selector: { app: l.name }, ports: [{ name: "http", port: 8989 }] }
              : { type: "ClusterIP", selector: { app: l.name }, ports: [{ name: "http", port: 8989, targetPort: 8989 }] },
        },
      });
    }

    const settings = labIntegrationSettings(lab() as unknown as LabIntegrationJson);
    secretValues = settings.secretValues;
    const addressMap = { ...settings.config.addressMap, ...Object.fromEntries(lookAlikes.map((l) => [`${l.name}.${l.namespace}`, url])) };
    const parsed = parsePanelConfig({ addressMap, apps: settings.config.apps });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    informers = createInformerSet({ kc: lab().kc, namespaces: lab().namespaces, debounceMs: 100 }).start();
    discovery = createDiscovery(informers, { syncTimeoutMs: 30_000 });
    const secrets = new SecretReader(lab().kc);
    deps = {
      config: parsed.config,
      readSecretValue: (ns, name, key) => secrets.readSecretValue(ns, name, key),
      readWorkloadEnv: createWorkloadEnvReader(lab().kc, { timeoutMs: 5000 }),
      env: settings.env,
      timeoutMs: 5000,
    };
    const t0 = Date.now();
    for (;;) {
      const ids = new Set((await discovery.listServices()).map((s) => s.id));
      if (lookAlikes.every((l) => ids.has(`${l.namespace}/${l.name}`))) break;
      if (Date.now() - t0 > 30_000) throw new Error("the look-alikes were not discovered within 30 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 90_000);

  afterAll(async () => {
    discovery?.close();
    informers?.stop();
    await cleanup();
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  });

  it("a probe sweep sends the look-alikes no key and no password, and each card says why", async () => {
    const services: DiscoveredService[] = await discovery.listServices();
    const prober = new Prober(
      { listServices: () => Promise.resolve(services), resolve: (s) => resolveApp(s, deps), db: null, registry: null },
      { intervalMs: 60_000, timeoutMs: 5000, concurrency: 10, thresholds: { slowMs: 2000, restartsPerHourDegraded: 3 }, retention: { rawHours: 48, hourDays: 90 } },
    );
    const sweep: SweepResult = await prober.probeNow();
    const by = new Map(sweep.results.map((r) => [r.serviceId, r]));

    // The look-alikes were really called (the listener saw them), without any secret.
    expect(seen.length).toBeGreaterThan(0);
    const leaked = seen.filter((s) => secretValues.some((v) => v.length >= 6 && (JSON.stringify(s.headers).includes(v) || s.body.includes(v) || s.path.includes(v))));
    expect(leaked.map((s) => s.path)).toEqual([]);
    expect(seen.every((s) => s.headers["x-api-key"] === undefined && !/apikey=/i.test(s.path))).toBe(true);

    expect(by.get(`${NS_OTHER}/sonarr`)?.app?.detail).toBe(
      `API key withheld: it belongs to namespace media and ${NS_OTHER}/sonarr is in namespace ${NS_OTHER}; add ${NS_OTHER}/sonarr to apps.keyRecipients to send it anyway`,
    );
    expect(by.get(`${NS_OTHER}/torrents`)?.app?.detail).toMatch(/^qBittorrent password withheld: it belongs to namespace media and homepage\/torrents is in namespace homepage/);
    expect(by.get("media/sonarr-mirror")?.app?.detail).toBe(
      "API key withheld: Service media/sonarr-mirror is of type ExternalName, whose address leaves the cluster; the panel never sends a credential there",
    );
    for (const id of [`${NS_OTHER}/sonarr`, `${NS_OTHER}/torrents`, "media/sonarr-mirror"]) expect(by.get(id)?.verdict.status, id).not.toBe("up");

    // The owner's own apps keep their keys: Sonarr in media, and qBittorrent, opted in by name.
    for (const id of ["media/sonarr", "qbittorrent/qbittorrent"]) {
      expect(by.get(id)?.app?.errorCode, id).not.toBe("unauthorized");
      expect(by.get(id)?.app?.detail ?? "", id).not.toMatch(/withheld/);
    }
    const own = services.filter((s) => s.id === "media/sonarr" || s.id === "qbittorrent/qbittorrent");
    const targets = await Promise.all(own.map((s) => resolveApp(s, deps)));
    expect(targets.map((t) => Boolean(t?.target.apiKey ?? t?.target.password))).toEqual([true, true]);
  }, 60_000);

  it("the integrations leave the look-alikes out, so no link carries another app's key to them", async () => {
    const before = seen.length;
    const snapshot = await discoverEnds({ config: deps.config as never, listServices: () => discovery.listServices(), resolveDeps: deps });
    const endIds = [...snapshot.ends.values()].flat().map((e) => e.serviceId);
    for (const l of lookAlikes) expect(endIds).not.toContain(`${l.namespace}/${l.name}`);
    expect(snapshot.notices.filter((n) => n.includes("not linked: ")).length).toBe(lookAlikes.length);
    expect(endIds).toContain("media/sonarr");
    expect(seen.length).toBe(before);
  });
});
