import "server-only";
import { APP_MODULES } from "@/server/apps/registry";
import type { LinkDefinition } from "./types";
import { unpackerrLinks } from "./unpackerr";

/**
 * The catalogue of links the stack needs: the `integrations` each app module declares (from its
 * `integration.ts`), in registry order, plus Unpackerr's, which has no API and is wired through Git.
 * Adding a link is one entry in the app's `integration.ts`. A link whose apps are not both deployed
 * is left out at read time, so SABnzbd, FlareSolverr or Seerr links appear only where those run.
 */
export function linkCatalogue(options: { changesHref: () => string | undefined }): LinkDefinition[] {
  const fromModules = Object.values(APP_MODULES).flatMap((m) => [...(m.integrations ?? [])]);
  return [...fromModules, ...unpackerrLinks(options.changesHref)];
}
