/**
 * In-cluster addresses -> loopback ports.
 *
 * The simulators run on 127.0.0.1, but the settings the panel writes into them carry the
 * addresses the apps use inside the cluster (`sonarr.media.svc.cluster.local:8989`,
 * `qbittorrent.qbittorrent`, `http://prowlarr.media.svc.cluster.local:9696/prowlarr`). When a
 * simulator calls another app (a download-client test, a Prowlarr application test), the host
 * and port are looked up in the address map the way `kubectl port-forward` would route them:
 * a Service name with the Service's port reaches the app, any other port is refused, and a
 * name that is not a lab Service does not resolve. Loopback addresses pass through unchanged.
 * No DNS lookup is ever made.
 */
import type { OutboundInit, OutboundResponse, ServiceAddress } from "./types";
import { OutboundError } from "./types";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Strips `.svc`, `.svc.cluster.local` and a trailing dot from an in-cluster host name. */
export function serviceHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/\.$/, "")
    .replace(/\.svc\.cluster\.local$/, "")
    .replace(/\.svc$/, "");
}

/** Result of resolving a host and port. */
export type Resolution =
  | { ok: true; origin: string }
  | { ok: false; code: "ENOTFOUND" | "ECONNREFUSED"; message: string };

export class AddressResolver {
  private readonly byKey = new Map<string, ServiceAddress>();

  constructor(addresses: ServiceAddress[] = []) {
    for (const a of addresses) this.add(a);
  }

  add(address: ServiceAddress): void {
    this.byKey.set(address.key.toLowerCase(), address);
  }

  /** The `<service>.<namespace>` -> URL map (primary ports only, plus `:port` keys). */
  addressMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const a of this.byKey.values()) out[a.key] = a.url;
    return out;
  }

  /**
   * Resolves `host:port` as an in-cluster client would reach it.
   * `defaultPort` is the scheme's port when the URL carries none.
   */
  resolve(hostIn: string, port: number): Resolution {
    const host = hostIn.replace(/^\[|\]$/g, "");
    if (LOOPBACK.has(host.toLowerCase())) return { ok: true, origin: `http://127.0.0.1:${port}` };
    const name = serviceHost(host);
    // `<service>` alone resolves inside its own namespace; the lab only knows full names, so a
    // bare name matches when exactly one Service carries it.
    const candidates = [...this.byKey.values()].filter((a) => {
      const base = a.key.split(":")[0] ?? "";
      return base === name || (!name.includes(".") && base.split(".")[0] === name);
    });
    if (candidates.length === 0) {
      return { ok: false, code: "ENOTFOUND", message: `Name or service not known (${hostIn}:${port})` };
    }
    const exact = candidates.find((a) => a.key.includes(":") && Number(a.key.split(":")[1]) === port);
    const primary = candidates.find((a) => !a.key.includes(":") && a.port === port);
    const hit = exact ?? primary;
    if (hit === undefined) {
      return { ok: false, code: "ECONNREFUSED", message: `Connection refused (${hostIn}:${port})` };
    }
    return { ok: true, origin: hit.url.replace(/\/$/, "") };
  }

  /** Rewrites a URL's origin to the loopback address it maps to; throws {@link OutboundError}. */
  rewrite(url: string): string {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new OutboundError(`unsupported scheme ${u.protocol}`, "EOTHER");
    const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    const r = this.resolve(u.hostname, port);
    if (!r.ok) throw new OutboundError(r.message, r.code);
    // Every lab address speaks plain HTTP: a TLS client fails its handshake, as it would
    // against the real app's plain HTTP port.
    if (u.protocol === "https:") {
      throw new OutboundError(`The SSL connection could not be established (${u.host}): wrong version number`, "EOTHER");
    }
    return `${r.origin}${u.pathname}${u.search}`;
  }

  /** `fetch` through the address map, with a timeout and errors worded like the apps log them. */
  async fetch(url: string, init: OutboundInit = {}): Promise<OutboundResponse> {
    const target = this.rewrite(url);
    const timeoutMs = init.timeoutMs ?? 10_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await fetch(target, {
        method: init.method ?? "GET",
        headers: init.headers,
        body: init.body,
        redirect: init.followRedirects === true ? "follow" : "manual",
        signal: controller.signal,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, url: target };
    } catch (err) {
      if (controller.signal.aborted) throw new OutboundError(`The operation has timed out (${timeoutMs} ms)`, "ETIMEDOUT");
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
      const code = cause !== undefined && "code" in cause ? String(cause.code) : "";
      const u = new URL(url);
      if (code === "ECONNREFUSED") throw new OutboundError(`Connection refused (${u.host})`, "ECONNREFUSED");
      if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") {
        throw new OutboundError(`The response ended prematurely (${u.host})`, "EOTHER");
      }
      throw new OutboundError(cause?.message ?? (err instanceof Error ? err.message : String(err)), "EOTHER");
    } finally {
      clearTimeout(timer);
    }
  }
}
