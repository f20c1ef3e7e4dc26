import { describe, expect, it } from "vitest";
import { containerPath, volumePath } from "./volume";

describe("container paths on a volume", () => {
  it("maps /config paths (and relative ones) into the volume directory, nothing else", () => {
    expect(volumePath("/lab/volumes/media/sonarr-config", "/config/Backups")).toBe("/lab/volumes/media/sonarr-config/Backups");
    expect(volumePath("/v", "Backups")).toBe("/v/Backups");
    expect(volumePath("/v", "/config")).toBe("/v");
    expect(volumePath("/v", "/config/../etc")).toBeUndefined();
    expect(volumePath("/v", "/data/usenet/complete")).toBeUndefined();
    expect(volumePath("/v", "/configs/x")).toBeUndefined();
    expect(volumePath("/v", "/app/config/db", "/app/config")).toBe("/v/db");
  });

  it("names a volume file by its container path", () => {
    expect(containerPath("/v", "/v/data/backups/a.zip")).toBe("/config/data/backups/a.zip");
    expect(containerPath("/v", "/v")).toBe("/config");
  });
});
