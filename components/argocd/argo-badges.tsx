import { Badge, type BadgeTone } from "../ui/badge";

const SYNC_TONE: Record<string, BadgeTone> = { Synced: "ok", OutOfSync: "warn" };
const HEALTH_TONE: Record<string, BadgeTone> = { Healthy: "ok", Progressing: "neutral", Suspended: "neutral", Degraded: "bad", Missing: "bad" };

/** Argo CD's sync status as a word and a colour. */
export function SyncBadge({ status }: { status: string }) {
  return (
    <span data-testid="argocd-sync" data-sync={status}>
      <Badge tone={SYNC_TONE[status] ?? "neutral"}>{status}</Badge>
    </span>
  );
}

/** Argo CD's health status as a word and a colour. */
export function HealthBadge({ status }: { status: string }) {
  return (
    <span data-testid="argocd-health" data-health={status}>
      <Badge tone={HEALTH_TONE[status] ?? "neutral"}>{status}</Badge>
    </span>
  );
}
