import { describe, expect, it } from "vitest";
import { configHostPath } from "./config-volume";

describe("configHostPath", () => {
  const pod = {
    containers: [
      { name: "vpn", volumeMounts: [{ name: "tmp", mountPath: "/config" }] },
      { name: "sonarr", volumeMounts: [{ name: "config", mountPath: "/config/" }, { name: "media", mountPath: "/data" }] },
    ],
    volumes: [{ name: "config", hostPath: { path: "/mnt/data/configs/sonarr" } }, { name: "media", hostPath: { path: "/mnt/data" } }, { name: "tmp" }],
  };
  it("names the node path of the main container's configuration volume", () => {
    expect(configHostPath(pod, "sonarr", "/config")).toBe("/mnt/data/configs/sonarr");
  });
  it("is undefined for a claim, another container's mount, or nothing mounted there", () => {
    expect(configHostPath(pod, "vpn", "/config")).toBeUndefined();
    expect(configHostPath({ containers: [{ name: "a", volumeMounts: [{ name: "c", mountPath: "/config" }] }], volumes: [{ name: "c", hostPath: null }] }, "a", "/config")).toBeUndefined();
    expect(configHostPath(pod, "sonarr", "/app/config")).toBeUndefined();
    expect(configHostPath(undefined, "sonarr", "/config")).toBeUndefined();
  });
});
