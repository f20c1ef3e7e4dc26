import { describe, expect, it } from "vitest";
import { parseQuantity } from "../k8s/quantity";
import { resourceRatios } from "./resources";

describe("resource quantities and ratios", () => {
  it("parses CPU and memory quantities", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("250000000n")).toBeCloseTo(0.25);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("128Mi")).toBe(128 * 2 ** 20);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(parseQuantity("1.5e3")).toBe(1500);
    expect(parseQuantity("lots")).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
  });

  it("divides each container's usage by its limit, skipping containers without limits and pods of no service", () => {
    const ratios = resourceRatios(
      [
        { namespace: "monitoring", pod: "prometheus-abc", containers: [{ name: "prometheus", cpu: "400m", memory: "900Mi" }, { name: "config-reloader", cpu: "1m", memory: "10Mi" }] },
        { namespace: "media", pod: "stray-pod", containers: [{ name: "x", cpu: "1", memory: "1Gi" }] },
      ],
      [{ namespace: "monitoring", service: "prometheus", pods: ["prometheus-abc"], limits: { prometheus: { cpu: "500m", memory: "1Gi" } } }],
    );
    expect(ratios).toEqual([{ namespace: "monitoring", service: "prometheus", pod: "prometheus-abc", container: "prometheus", cpu: 0.8, memory: 0.8789 }]);
  });
});
