import "server-only";
import type { AppKind } from "@/lib/apps/catalogue";
import type { LinkDefinition } from "@/server/apps/links";
import { APP_MODULE_LIST, hasAppModule } from "@/server/apps/registry";
import { unpackerrLinks } from "./unpackerr";

/**
 * The catalogue of links the stack needs: the `integrations` each app module declares, in registry
 * order (each module is given every registered module, so "a download client per app with that
 * role" needs no list of ids), plus Unpackerr's, which has no API and is wired through Git. A link
 * whose apps are not both deployed is left out at read time, so SABnzbd, FlareSolverr or Seerr links
 * appear only where those run.
 */
export function linkCatalogue(options: { changesHref: () => string | undefined }): LinkDefinition[] {
  const fromModules = APP_MODULE_LIST.flatMap((m) => [...m.integrations(APP_MODULE_LIST)]);
  return [...fromModules, ...unpackerrLinks(options.changesHref)];
}

/** Kinds without an app module that some link starts from (they are ends without an address). */
export function bareLinkKinds(links: readonly LinkDefinition[]): Set<AppKind> {
  return new Set(links.map((l) => l.from).filter((kind) => !hasAppModule(kind)));
}
