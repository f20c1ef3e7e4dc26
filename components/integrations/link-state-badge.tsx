import type { LinkState } from "@/lib/integrations/types";
import { Badge, type BadgeTone } from "../ui/badge";

const TONE: Record<LinkState, BadgeTone> = { ok: "ok", missing: "warn", misconfigured: "warn", broken: "bad", unknown: "neutral", needs_git: "neutral" };
const WORDS: Record<LinkState, string> = {
  ok: "ok",
  missing: "missing",
  misconfigured: "misconfigured",
  broken: "broken",
  unknown: "unknown",
  needs_git: "needs a Git change",
};

/** The state of a link as a word and a colour. */
export function LinkStateBadge({ state }: { state: LinkState }) {
  return (
    <span data-testid="link-state" data-state={state}>
      <Badge tone={TONE[state]}>{WORDS[state]}</Badge>
    </span>
  );
}

/** Words of a state, for sentences and titles. */
export function linkStateWords(state: LinkState): string {
  return WORDS[state];
}
