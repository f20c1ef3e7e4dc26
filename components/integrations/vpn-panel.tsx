import type { VpnStatus } from "@/lib/integrations/types";
import { Badge, type BadgeTone } from "../ui/badge";

const TONE: Record<VpnStatus["status"], BadgeTone> = { protected: "ok", leak: "bad", unknown: "neutral" };

/** Where each download client's traffic leaves the VPN, judged against the home and cluster addresses. */
export function VpnPanel({ vpn }: { vpn: readonly VpnStatus[] }) {
  if (vpn.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">No download client runs behind a Gluetun sidecar.</p>;
  }
  return (
    <ul className="space-y-3" data-testid="vpn-list">
      {vpn.map((v) => (
        <li key={v.service} data-testid="vpn-status" data-service={v.service} data-status={v.status} className="text-sm">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <span className="font-medium">{v.name}</span>
            <Badge tone={TONE[v.status]}>{v.status === "leak" ? "LEAK" : v.status}</Badge>
          </div>
          <p className={`mt-1 ${v.status === "leak" ? "font-semibold text-red-800 dark:text-red-300" : "text-slate-600 dark:text-slate-400"}`} data-testid="vpn-message">
            {v.message}
          </p>
          {v.vpnStatus && <p className="text-xs text-slate-500">Gluetun VPN: {v.vpnStatus}</p>}
        </li>
      ))}
    </ul>
  );
}
