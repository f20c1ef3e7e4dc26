import type { IntegrationPlan, LinkReading, PlanStep } from "./types";

/** States a fix can change. */
const FIXABLE = new Set(["missing", "misconfigured", "broken"]);

/** Whether the panel can fix a link by itself (through the apps' APIs). */
export function isFixable(link: LinkReading): boolean {
  return FIXABLE.has(link.state) && link.fix !== undefined && link.blocked === undefined;
}

/**
 * The plan for a set of links (all of them, or the keys asked for): one step per link the panel can
 * fix, the count of links that are already right, and the links it will not touch with the reason.
 */
export function planFromReadings(readings: readonly LinkReading[], keys?: readonly string[]): IntegrationPlan {
  const wanted = keys ? new Set(keys) : undefined;
  const steps: PlanStep[] = [];
  const skipped: IntegrationPlan["skipped"] = [];
  let unchanged = 0;
  for (const link of readings) {
    if (wanted && !wanted.has(link.key)) continue;
    const title = `${link.fromName} → ${link.toName}: ${link.title}`;
    if (link.state === "ok") {
      unchanged += 1;
      continue;
    }
    if (isFixable(link) && link.fix) {
      steps.push({
        key: link.key,
        id: link.id,
        title,
        fromName: link.fromName,
        toName: link.toName,
        state: link.state,
        verb: link.fix.verb,
        words: link.fix.words,
        diff: link.diff,
        ...(link.options && link.options.length > 0 ? { options: link.options } : {}),
      });
      continue;
    }
    const reason =
      link.blocked ??
      (link.state === "needs_git"
        ? "configured through the manifests: needs a Git change"
        : link.state === "unknown"
          ? `cannot be read: ${link.message ?? "reason unknown"}`
          : (link.message ?? "no automatic fix"));
    skipped.push({ key: link.key, title, reason });
  }
  return { steps, unchanged, skipped, createdAt: Date.now() };
}

/** "Nothing to change." or "3 changes: 2 to create, 1 to update." */
export function planSentence(plan: IntegrationPlan): string {
  if (plan.steps.length === 0) return "Nothing to change.";
  const creates = plan.steps.filter((s) => s.verb === "create").length;
  const updates = plan.steps.length - creates;
  const parts = [creates > 0 ? `${creates} to create` : "", updates > 0 ? `${updates} to update` : ""].filter(Boolean);
  return `${plan.steps.length} change${plan.steps.length === 1 ? "" : "s"}: ${parts.join(", ")}.`;
}
