import type { CertState } from "@/lib/certs/types";
import { Badge, type BadgeTone } from "../ui/badge";

const TONE: Record<CertState, BadgeTone> = { ok: "ok", warning: "warn", critical: "bad", unknown: "neutral" };
const WORD: Record<CertState, string> = { ok: "ok", warning: "warning", critical: "critical", unknown: "unknown" };

/** A certificate, host or Ingress state as a word and a colour. */
export function CertStateBadge({ state, testId = "cert-state" }: { state: CertState; testId?: string }) {
  return (
    <span data-testid={testId} data-state={state}>
      <Badge tone={TONE[state]}>{WORD[state]}</Badge>
    </span>
  );
}
