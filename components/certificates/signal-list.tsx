import type { CertSignal } from "@/lib/certs/types";
import { Badge } from "../ui/badge";

/** Problems in words, worst first. */
export function SignalList({ signals, testId = "signals" }: { signals: readonly CertSignal[]; testId?: string }) {
  if (signals.length === 0) return null;
  return (
    <ul className="space-y-1 text-sm" data-testid={testId}>
      {signals.map((s, i) => (
        <li key={`${s.kind}-${i}`} className="flex gap-2" data-testid="signal" data-kind={s.kind} data-state={s.state}>
          <Badge tone={s.state === "critical" ? "bad" : "warn"}>{s.state}</Badge>
          <span>{s.message}</span>
        </li>
      ))}
    </ul>
  );
}
