import type { HealthStatus } from "@/lib/services";
import { Badge, type BadgeTone } from "../ui/badge";

const TONE: Record<HealthStatus, BadgeTone> = { up: "ok", degraded: "warn", down: "bad", unknown: "neutral" };

/** The status of a service as a word and a colour. */
export function StatusBadge({ status }: { status: HealthStatus }) {
  return (
    <span data-testid="status" data-status={status}>
      <Badge tone={TONE[status]}>{status}</Badge>
    </span>
  );
}
