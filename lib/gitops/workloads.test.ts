import { describe, expect, it } from "vitest";
import { memoryRepo } from "./repo-view";
import { oneWorkload } from "./workloads";

const deployment = (name: string, namespace?: string) =>
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    "spec:",
    "  template:",
    "    spec:",
    "      containers:",
    `        - name: ${name}`,
    `          image: example/${name}:1`,
    "",
  ].join("\n");

describe("oneWorkload: the workload a change targets", () => {
  const repo = memoryRepo({
    "apps/media/sonarr.yaml": deployment("sonarr", "media"),
    "apps/tv/sonarr.yaml": deployment("sonarr", "tv"),
    "apps/media/radarr.yaml": deployment("radarr", "media"),
  });

  it("finds it by namespace/name, or by a name only one workload has", () => {
    expect(oneWorkload(repo, "apps", "media/sonarr")).toMatchObject({ name: "sonarr", namespace: "media", file: "apps/media/sonarr.yaml" });
    expect(oneWorkload(repo, "apps", "radarr")).toMatchObject({ name: "radarr", file: "apps/media/radarr.yaml" });
  });

  it("says where it looked when none matches, and lists every match when several do", () => {
    expect(() => oneWorkload(repo, "apps", "media/lidarr")).toThrow("No Deployment, StatefulSet or DaemonSet named media/lidarr under apps/ in the repository.");
    expect(() => oneWorkload(repo, "apps", "sonarr")).toThrow("sonarr names 2 workloads (media/sonarr in apps/media/sonarr.yaml, tv/sonarr in apps/tv/sonarr.yaml); name it as namespace/name.");
  });
});
