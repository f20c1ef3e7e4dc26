import "server-only";
import { Gauge, type Registry } from "prom-client";
import { z } from "zod";
import { recognizeImage } from "@/lib/k8s/recognize";
import { judgeVpn, vpnMetricValue, type VpnExpectations, type VpnObservation } from "@/lib/integrations/vpn";
import type { VpnStatus } from "@/lib/integrations/types";
import type { DiscoveredService } from "@/lib/services";
import type { AppModule } from "@/server/apps/define";
import { httpRequest } from "@/server/apps/http";
import { APP_MODULE_LIST } from "@/server/apps/registry";
import { baseUrlOf, keyRefusal, resolveApp } from "@/server/apps/resolve";
import { getRegistry } from "@/server/observability/metrics";
import { defaultEndsSource, discoverEnds, type EndsSource } from "./ends";

/**
 * The VPN check of the workloads that run a VPN client (an app module with the VPN role: Gluetun)
 * as a sidecar of another app (qBittorrent, SABnzbd): the VPN app says where traffic leaves the
 * tunnel and whether the VPN runs (Gluetun's control server: `GET /v1/publicip/ip`,
 * `GET /v1/vpn/status`); the exit address is compared with the home address ("must differ
 * from"), the cluster's own egress address and the expected countries and ranges. The verdict is
 * exported as `panel_vpn_protected{service}` (1 protected, 0 leak, -1 unknown) so an alert can fire
 * with no browser open: a scrape answers the last verdicts and starts a new check when they are
 * older than 15 s.
 */

const RESULT_TTL_MS = 15_000;
const EGRESS_TTL_MS = 5 * 60_000;

interface VpnCache {
  at: number;
  value: Promise<VpnStatus[]>;
}

const holder = globalThis as typeof globalThis & {
  __panelVpnCache?: VpnCache;
  __panelVpnGauge?: Gauge<"service">;
  __panelVpnTimer?: NodeJS.Timeout;
  __panelEgress?: { at: number; url: string; value: Promise<string | undefined> };
};

/** A workload running a VPN app beside its own app, and that VPN app's module. */
export interface VpnProtected {
  service: DiscoveredService;
  vpn: AppModule;
}

/** The services with a VPN sidecar (a container of an app with the VPN role), whose traffic goes through the VPN. */
export function servicesBehindVpn(services: readonly DiscoveredService[], apps: readonly AppModule[] = APP_MODULE_LIST): VpnProtected[] {
  const vpnApps = apps.filter((m) => m.isVpn);
  return services.flatMap((service) => {
    const vpn = vpnApps.find((m) => service.appKind !== m.id && service.images.some((image) => recognizeImage(image) === m.id));
    return vpn ? [{ service, vpn }] : [];
  });
}

/** A workload's VPN sidecar as its app, on its control-server port. */
function sidecarService(service: DiscoveredService, vpn: AppModule, port: number): DiscoveredService {
  const svcName = service.service?.name ?? service.name;
  return {
    ...service,
    appKind: vpn.id,
    urlBase: "",
    inClusterUrl: `http://${svcName}.${service.namespace}.svc.cluster.local:${port}`,
    service: { name: svcName, ports: [{ port }] },
  };
}

/**
 * The control-server key: `integrations.vpn.controlServers.<workload>.apiKeyEnv`, then
 * `integrations.vpn.apiKeyEnv`, then what `resolve.ts` finds for the VPN app in that workload
 * (`apps.credentials.gluetun`, the Secret's `GLUETUN_<WORKLOAD>_API_KEY`, then `GLUETUN_API_KEY`).
 */
async function controlKey(protectedService: VpnProtected, port: number, source: EndsSource): Promise<string | undefined> {
  const { service, vpn: app } = protectedService;
  const vpn = source.config.integrations.vpn;
  const perWorkload = vpn.controlServers[service.id]?.apiKeyEnv;
  if (perWorkload) return source.resolveDeps.env[perWorkload];
  if (vpn.apiKeyEnv) {
    // One key for every sidecar: it goes only where any other credential of the apps' Secret may go.
    const { secretRefs, keyRecipients } = source.config.apps;
    const home = (secretRefs[app.id] ?? secretRefs.default)?.namespace;
    return keyRefusal(service, home, keyRecipients) ? undefined : source.resolveDeps.env[vpn.apiKeyEnv];
  }
  try {
    return (await resolveApp(sidecarService(service, app, port), source.resolveDeps))?.target.apiKey;
  } catch {
    return undefined;
  }
}

/** The VPN app's control server of a workload: its in-cluster port (8000 for Gluetun, or the configured one), through `addressMap`. */
export function controlServerUrl(service: DiscoveredService, vpn: AppModule, port: number, addressMap: Readonly<Record<string, string>>): string {
  return baseUrlOf(sidecarService(service, vpn, port), { ...vpn, fixedPort: port }, addressMap);
}

async function egressIp(url: string | undefined, timeoutMs: number): Promise<string | undefined> {
  if (!url) return undefined;
  const hit = holder.__panelEgress;
  if (hit && hit.url === url && Date.now() - hit.at < EGRESS_TTL_MS) return hit.value;
  const value = httpRequest(
    { baseUrl: url, timeoutMs, appName: "egress address check", source: "vpn" },
    { path: "", schema: z.string(), responseType: "text" },
  )
    .then((r) => r.data.trim() || undefined)
    .catch(() => undefined);
  holder.__panelEgress = { at: Date.now(), url, value };
  return value;
}

/** Checks every workload behind a VPN sidecar. Never throws. */
export async function checkVpn(options: { source?: EndsSource; services?: readonly DiscoveredService[] } = {}): Promise<VpnStatus[]> {
  const source = options.source ?? defaultEndsSource();
  const services = options.services ?? (await discoverEnds(source)).services;
  const vpn = source.config.integrations.vpn;
  const timeoutMs = Math.min(source.config.integrations.requestTimeoutMs, 10_000);
  const egress = await egressIp(vpn.egressIpUrl, timeoutMs);
  const expectations: VpnExpectations = {
    mustDifferFrom: vpn.mustDifferFrom,
    expectedCountries: vpn.expectedCountries,
    expectedRanges: vpn.expectedRanges,
    ...(egress ? { egressIp: egress } : {}),
  };
  const statuses = await Promise.all(
    servicesBehindVpn(services).map(async (behind): Promise<VpnStatus> => {
      const { service } = behind;
      const port = vpn.controlServers[service.id]?.port ?? behind.vpn.fixedPort ?? behind.vpn.defaultPort ?? 0;
      const apiKey = await controlKey(behind, port, source);
      const instance = behind.vpn.connect({ baseUrl: controlServerUrl(service, behind.vpn, port, source.config.addressMap), ...(apiKey ? { apiKey } : {}), timeoutMs });
      const o: VpnObservation = instance.observeVpn
        ? await instance.observeVpn({ signal: AbortSignal.timeout(timeoutMs) })
        : { error: `${behind.vpn.displayName} cannot report its VPN state` };
      const verdict = judgeVpn(o, expectations);
      return {
        service: service.id,
        name: service.displayName,
        ...verdict,
        ...(o.publicIp ? { publicIp: o.publicIp } : {}),
        ...(o.country ? { country: o.country } : {}),
        ...(o.city ? { city: o.city } : {}),
        ...(o.vpnStatus ? { vpnStatus: o.vpnStatus } : {}),
        checkedAt: Date.now(),
      };
    }),
  );
  const gauge = vpnGauge(getRegistry());
  for (const s of statuses) gauge.set({ service: s.service }, vpnMetricValue(s.status));
  return statuses.sort((a, b) => a.service.localeCompare(b.service));
}

/** The last check if it is recent, else a new one (what a scrape and the page use). */
export function currentVpn(options: { source?: EndsSource; services?: readonly DiscoveredService[]; fresh?: boolean } = {}): Promise<VpnStatus[]> {
  const hit = holder.__panelVpnCache;
  if (!options.fresh && hit && Date.now() - hit.at < RESULT_TTL_MS) return hit.value;
  const value = checkVpn(options).catch(() => [] as VpnStatus[]);
  holder.__panelVpnCache = { at: Date.now(), value };
  return value;
}

/**
 * `panel_vpn_protected{service}` on a registry: 1 protected, 0 leak (traffic exits from the home or
 * cluster address), -1 unknown. A scrape only reads the last verdicts: checks run on their own
 * schedule ({@link startVpnChecks}) and when the Integrations page asks, never because of a scrape
 * (anyone able to scrape would otherwise make the panel call Gluetun and the egress-IP service).
 */
export function vpnGauge(registry: Registry): Gauge<"service"> {
  if (holder.__panelVpnGauge && registry.getSingleMetric("panel_vpn_protected")) return holder.__panelVpnGauge;
  const existing = registry.getSingleMetric("panel_vpn_protected");
  if (existing) return existing as Gauge<"service">;
  holder.__panelVpnGauge = new Gauge({
    name: "panel_vpn_protected",
    help: "Whether the download client's traffic leaves through the VPN: 1 protected, 0 leak (exits from the home or cluster address), -1 unknown.",
    labelNames: ["service"],
    registers: [registry],
  });
  return holder.__panelVpnGauge;
}

/** Checks the VPN now and then every `intervalMs`, in the background, for the life of the process. */
export function startVpnChecks(intervalMs: number): void {
  if (holder.__panelVpnTimer) return;
  registerVpnMetrics();
  void currentVpn();
  holder.__panelVpnTimer = setInterval(() => void currentVpn(), intervalMs);
  holder.__panelVpnTimer.unref();
}

/** Registers the VPN metric on the panel's registry (idempotent). */
export function registerVpnMetrics(): void {
  vpnGauge(getRegistry());
}
