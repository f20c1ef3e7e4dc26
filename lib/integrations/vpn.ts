import type { VpnStatus } from "./types";

/** What the Gluetun control server said (or why it could not be asked). */
export interface VpnObservation {
  /** `running`, `stopped`, ... from `/v1/vpn/status`; undefined when unread. */
  vpnStatus?: string;
  /** `public_ip` from `/v1/publicip/ip`; "" when Gluetun has none. */
  publicIp?: string;
  country?: string;
  city?: string;
  /** Why the control server could not be read. */
  error?: string;
}

/** What the exit address is compared with. */
export interface VpnExpectations {
  /** Addresses the traffic must never exit from (the home connection). */
  mustDifferFrom: readonly string[];
  /** The cluster's own egress address, when known: the VPN exit must differ from it. */
  egressIp?: string;
  /** Countries the VPN exit must be in (case-insensitive); empty: no country check. */
  expectedCountries: readonly string[];
  /** IPv4 ranges (CIDR) the VPN exit must be in; empty: no range check. */
  expectedRanges: readonly string[];
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Whether an IPv4 address is in a CIDR range (`10.0.0.0/8`); a bare address is a /32. */
export function inRange(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.trim().split("/");
  const addr = ipv4ToInt(ip);
  const base = ipv4ToInt(net ?? "");
  if (addr === undefined || base === undefined) return ip.trim().toLowerCase() === cidr.trim().toLowerCase();
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(addr / size) === Math.floor(base / size);
}

function where(o: VpnObservation): string {
  const place = [o.city, o.country].filter(Boolean).join(", ");
  return place ? `${o.publicIp} (${place})` : (o.publicIp ?? "");
}

/**
 * The verdict for one download client behind Gluetun: `leak` when its exit address is the home or
 * cluster address or outside what is expected, `protected` when it is checked against something and
 * passes, `unknown` (with the reason) otherwise. Never guesses "protected" without a comparison.
 */
export function judgeVpn(o: VpnObservation, e: VpnExpectations): Pick<VpnStatus, "status" | "message"> {
  if (o.error) return { status: "unknown", message: `Gluetun could not be asked: ${o.error}` };
  const ip = o.publicIp?.trim() ?? "";
  if (ip === "") {
    const vpn = o.vpnStatus ? ` (VPN ${o.vpnStatus})` : "";
    return { status: "unknown", message: `Gluetun reports no public IP${vpn}: the tunnel is not up, traffic is blocked or not checked yet.` };
  }
  if (e.mustDifferFrom.some((bad) => inRange(ip, bad))) {
    return { status: "leak", message: `LEAK: traffic exits from the home IP ${where(o)}.` };
  }
  if (e.egressIp && e.egressIp.trim() === ip) {
    return { status: "leak", message: `LEAK: traffic exits from the cluster's own address ${where(o)}.` };
  }
  if (e.expectedRanges.length > 0 && !e.expectedRanges.some((r) => inRange(ip, r))) {
    return { status: "leak", message: `LEAK: traffic exits from ${where(o)}, outside the expected VPN ranges (${e.expectedRanges.join(", ")}).` };
  }
  if (e.expectedCountries.length > 0) {
    const country = o.country?.trim().toLowerCase();
    if (!country) return { status: "unknown", message: `Exits from ${ip}, but Gluetun gives no country to check against ${e.expectedCountries.join(", ")}.` };
    if (!e.expectedCountries.some((c) => c.trim().toLowerCase() === country)) {
      return { status: "leak", message: `LEAK: traffic exits in ${o.country} (${ip}), not in ${e.expectedCountries.join(", ")}.` };
    }
  }
  const compared = e.mustDifferFrom.length > 0 || e.egressIp !== undefined || e.expectedRanges.length > 0 || e.expectedCountries.length > 0;
  if (!compared) {
    return {
      status: "unknown",
      message: `Exits from ${where(o)}, but there is nothing to compare with: set integrations.vpn.mustDifferFrom, egressIpUrl, expectedCountries or expectedRanges.`,
    };
  }
  if (o.vpnStatus && o.vpnStatus !== "running") {
    return { status: "unknown", message: `Exits from ${where(o)}, but Gluetun reports the VPN ${o.vpnStatus}.` };
  }
  return { status: "protected", message: `Protected: traffic exits through the VPN from ${where(o)}.` };
}

/** Metric value of a verdict: 1 protected, 0 leak, -1 unknown. */
export function vpnMetricValue(status: VpnStatus["status"]): number {
  return status === "protected" ? 1 : status === "leak" ? 0 : -1;
}
