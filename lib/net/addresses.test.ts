import { describe, expect, it } from "vitest";
import { clientOrigin, inRanges, normalizeAddress, parseCidr, parseCidrList, throttleKeyOf } from "./addresses";

describe("addresses", () => {
  it("normalises IPv4, IPv6 and IPv4-mapped IPv6 addresses", () => {
    expect(normalizeAddress("10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeAddress("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeAddress("::FFFF:7f00:1")).toBe("127.0.0.1");
    expect(normalizeAddress("2001:db8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(normalizeAddress("[2001:db8::1]")).toBe("2001:db8::1");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeAddress("::1")).toBe("::1");
    for (const bad of ["", "unknown", "10.0.0", "10.0.0.256", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", "10.0.0.1, 10.0.0.2"]) {
      expect(normalizeAddress(bad), bad).toBeUndefined();
    }
  });

  it("matches addresses against CIDR ranges of their own family only", () => {
    const ranges = parseCidrList(["10.42.0.0/16", "127.0.0.2", "fd00::/8"]);
    expect(inRanges("10.42.255.1", ranges)).toBe(true);
    expect(inRanges("::ffff:10.42.0.9", ranges)).toBe(true);
    expect(inRanges("10.43.0.1", ranges)).toBe(false);
    expect(inRanges("127.0.0.2", ranges)).toBe(true);
    expect(inRanges("127.0.0.1", ranges)).toBe(false);
    expect(inRanges("fd12::1", ranges)).toBe(true);
    expect(inRanges("fe80::1", ranges)).toBe(false);
    expect(inRanges("not-an-ip", ranges)).toBe(false);
    expect(inRanges("0.0.0.0", parseCidrList(["0.0.0.0/0"]))).toBe(true);
    expect(inRanges("2001:db8::1", parseCidrList(["0.0.0.0/0"]))).toBe(false);
  });

  it("refuses what is not a range", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/1", "fd00::/129", "example.com", "10.0.0.0/a"]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
    expect(() => parseCidrList(["10.0.0.0/8", "nope"])).toThrow(/"nope" is not an IP address or CIDR range/);
  });

  it("throttles IPv6 clients by their /64", () => {
    expect(throttleKeyOf("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(throttleKeyOf("2001:db8:1:2:bbbb::9")).toBe("2001:db8:1:2::/64");
    expect(throttleKeyOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
  });
});

describe("clientOrigin", () => {
  const trusted = parseCidrList(["127.0.0.2/32", "10.42.0.0/16"]);

  it("ignores every forwarded header from a peer that is not a trusted proxy", () => {
    expect(
      clientOrigin({ peer: "192.168.1.50", forwardedFor: "203.0.113.9", realIp: "203.0.113.9", forwardedProto: "https" }, trusted),
    ).toEqual({ address: "192.168.1.50", https: false, viaTrustedProxy: false });
    expect(clientOrigin({ peer: "127.0.0.1", forwardedFor: "1.1.1.1" }, [])).toMatchObject({ address: "127.0.0.1", viaTrustedProxy: false });
  });

  it("takes the right-most untrusted X-Forwarded-For entry from a trusted proxy", () => {
    // The client wrote "203.0.113.9"; the proxy appended the address it saw.
    expect(clientOrigin({ peer: "127.0.0.2", forwardedFor: "203.0.113.9, 192.168.1.50", forwardedProto: "https" }, trusted)).toEqual({
      address: "192.168.1.50",
      https: true,
      viaTrustedProxy: true,
    });
    // Two trusted hops (an ingress behind a node proxy) are skipped.
    expect(clientOrigin({ peer: "10.42.0.7", forwardedFor: "192.168.1.50, 10.42.3.3" }, trusted)).toMatchObject({ address: "192.168.1.50", https: false });
    // Garbage entries are skipped, not believed.
    expect(clientOrigin({ peer: "127.0.0.2", forwardedFor: "evil, 192.168.1.50, nonsense" }, trusted).address).toBe("192.168.1.50");
  });

  it("falls back to X-Real-IP, then to the peer", () => {
    expect(clientOrigin({ peer: "127.0.0.2", realIp: "192.168.1.8" }, trusted).address).toBe("192.168.1.8");
    expect(clientOrigin({ peer: "127.0.0.2" }, trusted).address).toBe("127.0.0.2");
    expect(clientOrigin({ peer: "127.0.0.2", forwardedFor: "10.42.0.1" }, trusted).address).toBe("10.42.0.1");
    expect(clientOrigin({ peer: undefined, forwardedFor: "1.2.3.4" }, trusted)).toEqual({ address: "unknown", https: false, viaTrustedProxy: false });
  });
});
