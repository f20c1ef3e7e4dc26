import { describe, expect, it } from "vitest";
import { deriveServices } from "@/lib/k8s/derive";
import { readFixtureObjects, simulateCluster } from "@/lib/k8s/test-fixture";
import type { ClusterSnapshot, KubeObject, Pod } from "@/lib/k8s/types";
import { slimObject, slimPod, slimReplicaSet } from "./slim";

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
  };

  it("discovery derives exactly the same services from the slimmed caches", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(deriveServices(slimmed, { now })).toEqual(deriveServices(snap, { now }));
  });

  it("pods keep identity, node, container names and images and status; not env, mounts or probes", () => {
    const sab = snap.pods.find((p) => p.metadata?.name?.startsWith("sabnzbd")) as Pod;
    const before = JSON.stringify(sab).length;
    const status = sab.status;
    const slim = slimPod(structuredClone(sab));
    expect(slim.spec).toEqual({ nodeName: "lab-node-1", containers: [{ name: "vpn", image: "qmcgaw/gluetun:latest" }, { name: "sabnzbd", image: "docker.io/linuxserver/sabnzbd:latest" }], initContainers: [] });
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
