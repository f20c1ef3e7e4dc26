import { describe, expect, it } from "vitest";
import { inRange, judgeVpn, vpnMetricValue } from "./vpn";

const none = { mustDifferFrom: [], expectedCountries: [], expectedRanges: [] };
const vpnExit = { vpnStatus: "running", publicIp: "198.51.100.23", country: "Canada", city: "Toronto" };

describe("inRange", () => {
  it("matches CIDR ranges and bare addresses", () => {
    expect(inRange("198.51.100.23", "198.51.100.0/24")).toBe(true);
    expect(inRange("198.51.101.1", "198.51.100.0/24")).toBe(false);
    expect(inRange("203.0.113.45", "203.0.113.45")).toBe(true);
    expect(inRange("10.1.2.3", "0.0.0.0/0")).toBe(true);
    expect(inRange("2001:db8::1", "2001:db8::1")).toBe(true);
    expect(inRange("1.2.3.4", "1.2.3.0/33")).toBe(false);
  });
});

describe("judgeVpn", () => {
  it("is a leak when traffic exits from the home address", () => {
    const v = judgeVpn({ vpnStatus: "running", publicIp: "203.0.113.45", country: "Canada", city: "Calgary" }, { ...none, mustDifferFrom: ["203.0.113.45"] });
    expect(v.status).toBe("leak");
    expect(v.message).toContain("LEAK: traffic exits from the home IP 203.0.113.45");
  });

  it("is a leak when it exits from the cluster's own egress address", () => {
    expect(judgeVpn({ ...vpnExit, publicIp: "192.0.2.7" }, { ...none, egressIp: "192.0.2.7" }).status).toBe("leak");
  });

  it("is protected when it differs and matches the expectations", () => {
    const v = judgeVpn(vpnExit, { ...none, mustDifferFrom: ["203.0.113.45"], expectedCountries: ["canada", "United States"], expectedRanges: ["198.51.100.0/24"] });
    expect(v).toEqual({ status: "protected", message: "Protected: traffic exits through the VPN from 198.51.100.23 (Toronto, Canada)." });
  });

  it("checks country and ranges", () => {
    expect(judgeVpn(vpnExit, { ...none, expectedCountries: ["Sweden"] }).status).toBe("leak");
    expect(judgeVpn(vpnExit, { ...none, expectedRanges: ["10.0.0.0/8"] }).status).toBe("leak");
    expect(judgeVpn({ ...vpnExit, country: undefined }, { ...none, expectedCountries: ["Canada"] }).status).toBe("unknown");
  });

  it("is unknown without data or without anything to compare with, saying why", () => {
    expect(judgeVpn({ error: "Gluetun is unreachable: connection refused" }, none)).toMatchObject({ status: "unknown", message: expect.stringContaining("connection refused") });
    expect(judgeVpn({ vpnStatus: "stopped", publicIp: "" }, { ...none, mustDifferFrom: ["203.0.113.45"] })).toMatchObject({
      status: "unknown",
      message: expect.stringContaining("VPN stopped"),
    });
    expect(judgeVpn(vpnExit, none)).toMatchObject({ status: "unknown", message: expect.stringContaining("nothing to compare with") });
  });

  it("maps to the metric value", () => {
    expect([vpnMetricValue("protected"), vpnMetricValue("leak"), vpnMetricValue("unknown")]).toEqual([1, 0, -1]);
  });
});
