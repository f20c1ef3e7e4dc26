import "server-only";
import http from "node:http";
import { clientOrigin, inRanges, normalizeAddress, parseCidrList, type CidrRange, type ClientOrigin } from "@/lib/net/addresses";

/**
 * Where a request came from, decided once at the edge of the process. Next.js builds its requests
 * from the Node request's headers and keeps no trace of the TCP peer (it only fills
 * `X-Forwarded-For` from it when the client sent none), so the panel records the peer itself: a hook
 * on every HTTP server's `request` event writes it into {@link PEER_HEADER} (overwriting whatever a
 * client sent under that name) and, when the peer is not a trusted proxy, deletes every forwarded
 * header the client wrote. Auth.js (secure cookies), the security headers (HSTS) and the sign-in
 * limits therefore never see a forwarded header that a trusted proxy did not set.
 */

/** Header holding the TCP peer's address; written by the hook only. */
export const PEER_HEADER = "x-panel-peer-address";

/** Headers a client could use to claim another address, scheme or host. */
const FORWARDED_HEADERS = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-scheme",
  "x-forwarded-ssl",
  "x-real-ip",
  "x-client-ip",
];

interface HookState {
  trusted: CidrRange[];
}

const HOOK = Symbol.for("k8s-nas-panel.forwarded-hook");
type HookedPrototype = typeof http.Server.prototype & { [HOOK]?: HookState };

/** Applies the edge rule to one incoming request (exported for tests). */
export function sanitizeIncoming(req: http.IncomingMessage, trusted: readonly CidrRange[]): void {
  const peer = normalizeAddress(req.socket?.remoteAddress) ?? "";
  req.headers[PEER_HEADER] = peer;
  if (!inRanges(peer, trusted)) {
    for (const name of FORWARDED_HEADERS) delete req.headers[name];
  }
}

/**
 * Installs the hook on `http.Server` (idempotent; a second call updates the trusted proxies). Servers
 * created before the call are covered too: the hook wraps the prototype's `emit`.
 */
export function installForwardedHook(trustedProxies: readonly string[]): void {
  const proto = http.Server.prototype as HookedPrototype;
  const trusted = parseCidrList(trustedProxies);
  const existing = proto[HOOK];
  if (existing) {
    existing.trusted = trusted;
    return;
  }
  const state: HookState = { trusted };
  const emit = proto.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  proto.emit = function emitWithPeer(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") sanitizeIncoming(args[0] as http.IncomingMessage, state.trusted);
    return emit.call(this, event, ...args);
  } as typeof proto.emit;
  proto[HOOK] = state;
}

/** True once the hook runs: only then does {@link PEER_HEADER} carry the real peer. */
export function forwardedHookInstalled(): boolean {
  return (http.Server.prototype as HookedPrototype)[HOOK] !== undefined;
}

/**
 * The client a request stands for: its address (what sign-in limits and the audit log use) and
 * whether it came over HTTPS. Without the hook (a development server started another way) the peer
 * is unknown and nothing forwarded is believed.
 */
export function requestOrigin(headers: Headers | undefined): ClientOrigin {
  const state = (http.Server.prototype as HookedPrototype)[HOOK];
  if (!state || !headers) return { address: "unknown", https: false, viaTrustedProxy: false };
  return clientOrigin(
    {
      peer: headers.get(PEER_HEADER) ?? undefined,
      forwardedFor: headers.get("x-forwarded-for"),
      realIp: headers.get("x-real-ip"),
      forwardedProto: headers.get("x-forwarded-proto"),
    },
    state.trusted,
  );
}
