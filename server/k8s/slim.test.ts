import { describe, expect, it } from "vitest";
import { deriveServices } from "@/lib/k8s/derive";
import { readFixtureObjects, simulateCluster } from "@/lib/k8s/test-fixture";
import type { ClusterSnapshot, KubeObject, Pod } from "@/lib/k8s/types";
import { slimApplication, slimObject, slimPod, slimReplicaSet } from "./slim";

describe("what the caches keep", () => {
  const snap = simulateCluster(readFixtureObjects(), { startTime: "2026-01-01T08:00:00Z" });
  const copy = structuredClone(snap);
  const slimmed: ClusterSnapshot = {
    deployments: copy.deployments.map(slimObject),
    statefulsets: copy.statefulsets.map(slimObject),
    daemonsets: copy.daemonsets.map(slimObject),
    replicasets: copy.replicasets.map(slimReplicaSet),
    pods: copy.pods.map(slimPod),
    services: copy.services.map(slimObject),
    ingresses: copy.ingresses.map(slimObject),
    pvcs: copy.pvcs.map(slimObject),
    events: copy.events.map(slimObject),
    applications: (copy.applications ?? []).map(slimApplication),
    applicationsets: (copy.applicationsets ?? []).map(slimObject),
    ingressroutes: copy.ingressroutes.map(slimObject),
    middlewares: copy.middlewares.map(slimObject),
    httproutes: copy.httproutes.map(slimObject),
    gateways: copy.gateways.map(slimObject),
  };

  it("discovery derives exactly the same services from the slimmed caches", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(deriveServices(slimmed, { now })).toEqual(deriveServices(snap, { now }));
  });

  it("pods keep identity, node, container names and images, CPU and memory requests and limits, and status; not env, mounts or probes", () => {
    const sab = snap.pods.find((p) => p.metadata?.name?.startsWith("sabnzbd")) as Pod;
    const before = JSON.stringify(sab).length;
    const status = sab.status;
    const slim = slimPod(structuredClone(sab));
    expect(slim.spec).toEqual({
      nodeName: "lab-node-1",
      containers: [
        { name: "vpn", image: "qmcgaw/gluetun:latest", resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } } },
        { name: "sabnzbd", image: "docker.io/linuxserver/sabnzbd:latest", resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } } },
      ],
      initContainers: [],
    });
    const other = slimPod({ spec: { containers: [{ name: "c", resources: { requests: { "ephemeral-storage": "1Gi" }, limits: { "nvidia.com/gpu": "1", memory: "1Gi" } } }] } } as Pod);
    expect(other.spec?.containers).toEqual([{ name: "c", resources: { limits: { memory: "1Gi" } } }]);
    expect(slim.status).toEqual(status);
    expect(JSON.stringify(slim).length).toBeLessThan(before / 4);
    expect(slimReplicaSet(structuredClone(snap.replicasets[0]!))).toEqual({ metadata: snap.replicasets[0]?.metadata });
  });

  it("metadata loses managedFields and the last-applied annotation, keeps the rest", () => {
    const meta = {
      name: "x",
      uid: "u",
      resourceVersion: "7",
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}", "k8s-nas-panel/app": "sonarr" },
      managedFields: [{ manager: "kubectl" }],
    };
    expect(slimObject({ metadata: meta } as KubeObject).metadata).toEqual({ name: "x", uid: "u", resourceVersion: "7", annotations: { "k8s-nas-panel/app": "sonarr" } });
  });
});

describe("what the certificate caches keep", () => {
  it("a CronJob keeps its schedule and status and the names its jobs mention, not its script or values without a dash", async () => {
    const { slimCronJob } = await import("./slim");
    const cj = slimCronJob({
      metadata: { name: "sync-cert-secret", namespace: "argocd", managedFields: [{}] } as KubeObject["metadata"],
      spec: {
        schedule: "*/15 * * * *",
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    command: ["/bin/bash", "-c", 'SECRET_NAME="home-brettswift-com-tls"\nkubectl get secret "$SECRET_NAME" -n argocd -o yaml'],
                    env: [{ name: "TOKEN", value: "0123456789abcdef0123456789abcdef" }, { name: "TARGET", value: "media.example-ns" }],
                  },
                ],
              },
            },
          },
        },
      } as never,
      status: { lastScheduleTime: "2026-01-01T00:00:00Z" },
    });
    expect(cj.spec).toEqual({ schedule: "*/15 * * * *" });
    expect(cj.mentions).toEqual(["home-brettswift-com-tls", "media.example-ns"]);
    expect(JSON.stringify(cj)).not.toContain("0123456789abcdef");
    expect(cj.status).toEqual({ lastScheduleTime: "2026-01-01T00:00:00Z" });
  });

  it("a CertificateRequest keeps the serial and validity of what it issued, never the PEM or the CSR", async () => {
    const { slimCertificateRequest } = await import("./slim");
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = mkdtempSync(path.join(tmpdir(), "panel-cr-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "k"), "-out", path.join(dir, "c"), "-subj", "/CN=x", "-days", "3", "-set_serial", "4660"], { stdio: "ignore" });
      const pem = readFileSync(path.join(dir, "c"));
      const cr = slimCertificateRequest({
        metadata: { name: "home-1", annotations: { "cert-manager.io/certificate-revision": "1" } },
        spec: { request: "LS0tLS1CRUdJTi...", issuerRef: { name: "ca" } } as never,
        status: { conditions: [{ type: "Ready", status: "True" }], certificate: pem.toString("base64"), ca: "x" } as never,
      });
      expect(cr.issued?.serial).toBe("1234");
      expect(Date.parse(cr.issued?.notAfter ?? "") - Date.parse(cr.issued?.notBefore ?? "")).toBe(3 * 86_400_000);
      expect(JSON.stringify(cr)).not.toMatch(/certificate"|"request"|LS0t/);
      expect(cr.status?.conditions).toEqual([{ type: "Ready", status: "True" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
