import type { KeyStatus } from "@/lib/integrations/types";
import { Badge, type BadgeTone } from "../ui/badge";

const TONE: Record<KeyStatus["verdict"], BadgeTone> = { accepted: "ok", rejected: "bad", missing: "warn", forbidden: "bad", unknown: "neutral" };

/** Per app: whether its API key (qBittorrent: its login) is present and accepted. Never a value. */
export function KeyStatusTable({ keys }: { keys: readonly KeyStatus[] }) {
  if (keys.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No app with an API key was found.</p>;
  return (
    <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800" data-testid="key-status-list">
      {keys.map((k) => (
        <li key={k.service} data-testid="key-status" data-app={k.app} data-verdict={k.verdict} className="flex flex-col gap-1 py-2 sm:flex-row sm:items-start sm:justify-between">
          <div className="min-w-0">
            <p className="font-medium">
              {k.name} <span className="font-normal text-slate-500">({k.credential})</span>
            </p>
            <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="key-hint">
              {k.hint}
              {k.source ? ` · from ${k.source}` : ""}
            </p>
            {k.message && k.verdict !== "accepted" && <p className="text-xs text-slate-600 dark:text-slate-400">{k.message}</p>}
          </div>
          <Badge tone={TONE[k.verdict]}>{k.verdict === "rejected" ? "key rejected" : k.verdict}</Badge>
        </li>
      ))}
    </ul>
  );
}
