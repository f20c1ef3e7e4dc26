import type { HealthStatus } from "./services";

/** "2.4 s" / "180 ms" */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** "99.93 %" or "—" when there is no data for the window. */
export function formatUptime(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "—";
  const pct = ratio * 100;
  return `${pct >= 99.995 ? "100" : pct.toFixed(2)} %`;
}

/** The stack-wide sentence of the Overview banner, worst first. */
export function stackSentence(services: readonly { status: HealthStatus }[]): {
  status: HealthStatus;
  text: string;
} {
  if (services.length === 0) return { status: "unknown", text: "No services found in the watched namespaces." };
  const count = (s: HealthStatus) => services.filter((x) => x.status === s).length;
  const down = count("down");
  const degraded = count("degraded");
  const unknown = count("unknown");
  if (down === 0 && degraded === 0 && unknown === 0) return { status: "up", text: `All ${services.length} services are up.` };
  const parts = [
    down > 0 ? `${down} down` : "",
    degraded > 0 ? `${degraded} degraded` : "",
    unknown > 0 ? `${unknown} unknown` : "",
  ].filter(Boolean);
  const status: HealthStatus = down > 0 ? "down" : degraded > 0 ? "degraded" : "unknown";
  return { status, text: `${parts.join(", ")} of ${services.length} services.` };
}

/** "v4.0.19" whether or not the app already prefixes its version with "v". */
export function formatVersion(version: string): string {
  return `v${version.replace(/^v/i, "")}`;
}
