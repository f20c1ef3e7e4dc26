import "server-only";
import { isAppError } from "@/lib/errors";
import type { VpnObservation } from "@/lib/integrations/vpn";
import { defineApp, type CallContext } from "../define";
import { GluetunClient } from "./client";
import { readGluetunHealth } from "./health";

/**
 * Where Gluetun's tunnel exits and whether it runs: `GET /v1/vpn/status` and `GET /v1/publicip/ip`
 * of its control server. A failure is reported as `error`, never thrown.
 */
async function observeVpn(client: GluetunClient, ctx: CallContext): Promise<VpnObservation> {
  try {
    const [status, ip] = await Promise.all([client.getVpnStatus(ctx), client.getPublicIp(ctx)]);
    return {
      vpnStatus: status.data.status,
      publicIp: ip.data.public_ip ?? "",
      ...(ip.data.country ? { country: ip.data.country } : {}),
      ...(ip.data.city ? { city: ip.data.city } : {}),
    };
  } catch (error) {
    return { error: isAppError(error) ? error.message : "the control server could not be read" };
  }
}

/**
 * Gluetun (VPN client, the sidecar of the download clients; its HTTP control server listens on
 * port 8000 and needs its key, role `apikey`, on every route).
 */
export const gluetun = defineApp({
  id: "gluetun",
  createClient: (target) => new GluetunClient({ baseUrl: target.baseUrl, apiKey: target.apiKey, timeoutMs: target.timeoutMs }),
  health: readGluetunHealth,
  checkCredentials: async (client, ctx) => {
    await client.getVpnStatus(ctx);
  },
  vpn: { observe: observeVpn },
});
