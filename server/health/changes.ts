import "server-only";
import { afterSync, stillFollowed, type FollowedChange } from "@/lib/gitops/change-state";
import type { GitopsService } from "@/server/git/service";
import { serviceVerdicts } from "./overview";

/**
 * Every change, each live one with how the services it touched are doing by the panel's own verdict
 * ("live and healthy", "live, but ... down since the sync"), and whether any is still followed.
 */
export async function listFollowedChanges(svc: GitopsService, now = Date.now()): Promise<{ changes: FollowedChange[]; moving: boolean }> {
  const listed = svc.list();
  const verdicts = await serviceVerdicts(listed.filter((c) => c.status === "live").flatMap((c) => c.services));
  const changes = listed.map((c) => ({ ...c, afterSync: afterSync(c, verdicts, now) }));
  return { changes, moving: changes.some((c) => stillFollowed(c, c.afterSync, now)) };
}
