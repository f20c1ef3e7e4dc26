/**
 * Gluetun control-server simulator (one per VPN sidecar of the user's manifests: the
 * qBittorrent pod, the SABnzbd pod, the `vpn` Deployment). Spec: `./specs/gluetun.ts`.
 *
 * The public IP is configurable: while the VPN runs it reports the VPN exit (`extra.vpnIp`,
 * default 198.51.100.23, a documentation address), and with the `leak` control it reports the
 * home IP (`extra.homeIp`, default 203.0.113.45) the way a misconfigured firewall would. With
 * the VPN stopped Gluetun has no public IP data (`{"public_ip": ""}`).
 *
 * Auth as in qdm12/gluetun `internal/server/middlewares/auth`: every route needs a role; the lab
 * role is `apikey` (`X-API-Key`). Unknown path: 404 `Not Found`, wrong method: 405, missing or
 * wrong key: 401 `Unauthorized` (all plain text from `http.Error`).
 */
import { defineSim } from "./engine/sim-app";
import type { JsonObject } from "./engine/spec";
import type { SimResponse } from "./engine/types";
import { gluetunSpec } from "./specs/gluetun";

interface IpInfo {
  public_ip: string;
  region?: string;
  country?: string;
  city?: string;
  hostname?: string;
  organization?: string;
  postal_code?: string;
  timezone?: string;
}

interface GluetunState {
  vpn: "running" | "stopped";
  dns: "running" | "stopped";
  updater: "completed" | "running" | "stopped";
  leak: boolean;
  vpnIp: IpInfo;
  homeIp: IpInfo;
  ports: number[];
  provider: string;
  countries: string[];
}

const text = (status: number, body: string): SimResponse => ({ status, text: `${body}\n` });

function str(v: unknown, d: string): string {
  return typeof v === "string" && v !== "" ? v : d;
}

function statusPut(get: (s: GluetunState) => string, set: (s: GluetunState, v: "running" | "stopped") => void) {
  return (state: GluetunState, body: unknown): SimResponse => {
    const wanted = typeof body === "object" && body !== null ? (body as Record<string, unknown>).status : undefined;
    if (wanted !== "running" && wanted !== "stopped") {
      return text(400, `invalid status: ${String(wanted)}: possible values are: stopped, running`);
    }
    if (get(state) === wanted) return { status: 200, json: { outcome: `already ${wanted}` } };
    set(state, wanted);
    return { status: 200, json: { outcome: wanted } };
  };
}

const vpnPut = statusPut((s) => s.vpn, (s, v) => (s.vpn = v));
const dnsPut = statusPut((s) => s.dns, (s, v) => (s.dns = v));

export const gluetunSim = defineSim<GluetunState>({
  kind: "gluetun",
  title: "Gluetun control server",
  spec: { document: gluetunSpec },
  defaultVersion: "v3.41.1",
  createState: (settings) => {
    const e = settings.extra;
    return {
      vpn: "running",
      dns: "running",
      updater: "completed",
      leak: e.leak === true,
      vpnIp: {
        public_ip: str(e.vpnIp, "198.51.100.23"),
        region: str(e.vpnRegion, "Ontario"),
        country: str(e.vpnCountry, "Canada"),
        city: str(e.vpnCity, "Toronto"),
        hostname: "tor-c25.ipvanish.com",
        organization: "IPVanish VPN",
        postal_code: "M5A",
        timezone: "America/Toronto",
      },
      homeIp: {
        public_ip: str(e.homeIp, "203.0.113.45"),
        region: "Alberta",
        country: str(e.homeCountry, "Canada"),
        city: "Calgary",
        organization: "Home ISP",
        timezone: "America/Edmonton",
      },
      ports: [],
      provider: str(e.provider, "ipvanish"),
      countries: Array.isArray(e.countries) ? e.countries.filter((c): c is string => typeof c === "string") : ["Canada", "United States"],
    };
  },
  authorize: (req, app) => {
    const h = req.headers["x-api-key"];
    const key = Array.isArray(h) ? h[0] : h;
    return key !== undefined && key !== "" && key === app.apiKey;
  },
  operations: [
    { method: "get", path: "/v1/version", handle: (ctx) => ({ status: 200, json: { version: ctx.app.version(), commit: "b1193252", created: "2026-05-19T00:00:00Z" } }) },
    { method: "get", path: "/v1/vpn/status", handle: (ctx) => ({ status: 200, json: { status: ctx.state.vpn } }) },
    { method: "put", path: "/v1/vpn/status", handle: (ctx) => vpnPut(ctx.state, ctx.body) },
    {
      method: "get",
      path: "/v1/vpn/settings",
      handle: (ctx) => ({
        status: 200,
        json: {
          type: "openvpn",
          provider: { name: ctx.state.provider, server_selection: { vpn: "openvpn", countries: ctx.state.countries } },
          openvpn: { user: "[set]", password: "[set]", protocol: "udp" },
        } satisfies JsonObject,
      }),
    },
    { method: "get", path: "/v1/openvpn/status", handle: (ctx) => ({ status: 200, json: { status: ctx.state.vpn } }) },
    { method: "put", path: "/v1/openvpn/status", handle: (ctx) => vpnPut(ctx.state, ctx.body) },
    { method: "get", path: "/v1/openvpn/portforwarded", handle: (ctx) => ({ status: 200, json: { port: ctx.state.ports[0] ?? 0 } }) },
    { method: "get", path: "/v1/dns/status", handle: (ctx) => ({ status: 200, json: { status: ctx.state.dns } }) },
    { method: "put", path: "/v1/dns/status", handle: (ctx) => dnsPut(ctx.state, ctx.body) },
    { method: "get", path: "/v1/updater/status", handle: (ctx) => ({ status: 200, json: { status: ctx.state.updater } }) },
    {
      method: "put",
      path: "/v1/updater/status",
      handle: (ctx) => {
        const r = statusPut((s) => s.updater, (s, v) => (s.updater = v === "running" ? "completed" : v))(ctx.state, ctx.body);
        return r;
      },
    },
    {
      method: "get",
      path: "/v1/publicip/ip",
      handle: (ctx) => {
        const s = ctx.state;
        if (s.leak) return { status: 200, json: { ...s.homeIp } };
        if (s.vpn !== "running") return { status: 200, json: { public_ip: "" } };
        return { status: 200, json: { ...s.vpnIp } };
      },
    },
    {
      method: "get",
      path: "/v1/portforward",
      handle: (ctx) => ({ status: 200, json: { port: ctx.state.ports[0] ?? 0, ports: ctx.state.ports } }),
    },
    {
      method: "put",
      path: "/v1/portforward",
      handle: (ctx) => {
        const ports = (ctx.body as { ports: number[] }).ports;
        ctx.state.ports = [...ports];
        return { status: 200 };
      },
    },
  ],
  errors: {
    unauthorized: () => text(401, "Unauthorized"),
    invalidRequest: (issues) => text(400, issues[0]?.location === "parse" ? `invalid character in request body` : `invalid request: ${issues.map((i) => `${i.field || i.location} ${i.message}`).join(", ")}`),
    notFound: () => text(404, "Not Found"),
    methodNotAllowed: () => text(405, "Method Not Allowed"),
    serverError: () => text(500, "Internal Server Error"),
  },
  control: (state, patch) => {
    let known = false;
    if (typeof patch.leak === "boolean") {
      state.leak = patch.leak;
      known = true;
    }
    if (patch.vpn === "running" || patch.vpn === "stopped") {
      state.vpn = patch.vpn;
      known = true;
    }
    if (typeof patch.vpnIp === "string") {
      state.vpnIp = { ...state.vpnIp, public_ip: patch.vpnIp };
      known = true;
    }
    if (typeof patch.homeIp === "string") {
      state.homeIp = { ...state.homeIp, public_ip: patch.homeIp };
      known = true;
    }
    if (typeof patch.vpnCountry === "string") {
      state.vpnIp = { ...state.vpnIp, country: patch.vpnCountry };
      known = true;
    }
    return known ? undefined : "unknown patch: use leak, vpn (running|stopped), vpnIp, homeIp or vpnCountry";
  },
  describe: (state) => ({ vpn: state.vpn, leak: state.leak, publicIp: state.leak ? state.homeIp.public_ip : state.vpn === "running" ? state.vpnIp.public_ip : "", ports: state.ports }),
});
