/**
 * IP addresses and CIDR ranges without Node's `net`: parsing, matching, and the client address a
 * request stands for when it came through reverse proxies the panel trusts.
 */

/** A parsed address: family and its value as a 128-bit (IPv6) or 32-bit (IPv4) integer. */
interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

/** A CIDR range: `10.42.0.0/16`, `fd00::/8`, or a single address (`/32`, `/128`). */
export interface CidrRange {
  family: 4 | 6;
  network: bigint;
  prefix: number;
  /** As written, for messages. */
  text: string;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part.startsWith("0"))) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let s = text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 address in the last 32 bits (`::ffff:192.0.2.1`) becomes two hex groups.
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - known).fill(0), ...rest];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack
 * socket reports an IPv4 peer) is returned as the IPv4 address. Undefined for anything else.
 */
function parseAddress(text: string): ParsedAddress | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (t === "") return undefined;
  if (!t.includes(":")) {
    const v4 = parseIpv4(t);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  const v6 = parseIpv6(t);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function formatAddress(a: ParsedAddress): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join(".");
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((a.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Longest run of zero groups becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4, IPv6 compressed), or undefined when it is none. */
export function normalizeAddress(text: string | undefined | null): string | undefined {
  if (!text) return undefined;
  const a = parseAddress(text);
  return a ? formatAddress(a) : undefined;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a single address; undefined when it is not one. */
export function parseCidr(text: string): CidrRange | undefined {
  const [addr, bits, extra] = text.trim().split("/");
  if (extra !== undefined || addr === undefined) return undefined;
  const a = parseAddress(addr);
  if (!a) return undefined;
  const max = a.family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  const shift = BigInt(max - prefix);
  const network = (a.value >> shift) << shift;
  return { family: a.family, network, prefix, text: text.trim() };
}

/** True when `address` lies in one of the ranges. */
export function inRanges(address: string | undefined, ranges: readonly CidrRange[]): boolean {
  if (!address || ranges.length === 0) return false;
  const a = parseAddress(address);
  if (!a) return false;
  return ranges.some((r) => {
    if (r.family !== a.family) return false;
    const shift = BigInt((a.family === 4 ? 32 : 128) - r.prefix);
    return a.value >> shift === r.network >> shift;
  });
}

/** Parses a list of ranges; throws naming the first that is not a CIDR range or address. */
export function parseCidrList(list: readonly string[]): CidrRange[] {
  return list.map((text) => {
    const r = parseCidr(text);
    if (!r) throw new Error(`"${text}" is not an IP address or CIDR range`);
    return r;
  });
}

/**
 * The key an address is throttled under: the address itself for IPv4, its /64 network for IPv6
 * (one host commonly holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function throttleKeyOf(address: string): string {
  const a = parseAddress(address);
  if (!a) return address;
  if (a.family === 4) return formatAddress(a);
  return `${formatAddress({ family: 6, value: (a.value >> 64n) << 64n })}/64`;
}

/** What a request says about where it came from. */
export interface RequestOrigin {
  /** The address at the other end of the TCP connection, as the server socket saw it. */
  peer: string | undefined;
  /** `X-Forwarded-For` as received (comma-separated, client first, each proxy appending). */
  forwardedFor?: string | null;
  /** `X-Real-IP` as received. */
  realIp?: string | null;
  /** `X-Forwarded-Proto` as received. */
  forwardedProto?: string | null;
}

/** Who a request stands for, after deciding which forwarded headers to believe. */
export interface ClientOrigin {
  /** The client's address ("unknown" when not even the peer is known). */
  address: string;
  /** True when the client reached the panel over HTTPS (said by a trusted proxy). */
  https: boolean;
  /** True when the peer is a trusted proxy, so the forwarded headers were honoured. */
  viaTrustedProxy: boolean;
}

/**
 * The client behind a request. Forwarded headers are believed only when the TCP peer is one of the
 * trusted proxies; then the client is the right-most `X-Forwarded-For` entry that is not itself a
 * trusted proxy (each proxy appends the address it saw, so everything left of that entry was written
 * by the client and proves nothing), else `X-Real-IP`, else the peer. Without a trusted peer the
 * client is the peer itself and the connection counts as plain HTTP.
 */
export function clientOrigin(origin: RequestOrigin, trusted: readonly CidrRange[]): ClientOrigin {
  const peer = normalizeAddress(origin.peer);
  if (!peer || !inRanges(peer, trusted)) return { address: peer ?? "unknown", https: false, viaTrustedProxy: false };
  const hops = (origin.forwardedFor ?? "")
    .split(",")
    .map((h) => normalizeAddress(h.trim()))
    .filter((h): h is string => h !== undefined);
  let address: string | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!inRanges(hop, trusted)) {
      address = hop;
      break;
    }
  }
  address ??= hops.length > 0 ? hops[0] : normalizeAddress(origin.realIp ?? undefined);
  const proto = origin.forwardedProto?.split(",")[0]?.trim().toLowerCase();
  return { address: address ?? peer, https: proto === "https", viaTrustedProxy: true };
}
