import "server-only";
import type { LinkContext, LinkDefinition, Observation, WriteResult } from "@/server/apps/links";
import { AppError } from "@/lib/errors";

/**
 * Unpackerr -> Sonarr / Radarr. Unpackerr has no API: it reads the apps' addresses and keys from its
 * environment (`UN_SONARR_0_URL`, `UN_SONARR_0_API_KEY`, ...), so wiring it is a change to its
 * manifest in Git, never an API call. The link says so and points at the Changes page when GitOps is
 * configured (its "Wire Unpackerr to Sonarr and Radarr" change opens the pull request).
 */
function unpackerrLink(app: "sonarr" | "radarr", changesHref: () => string | undefined): LinkDefinition {
  const upper = app.toUpperCase();
  return {
    id: `unpackerr->${app}`,
    kind: "gitops",
    from: "unpackerr",
    to: app,
    title: "extraction (manifest)",
    phase: 2,
    pairing: "first",
    read(ctx: LinkContext): Promise<Observation> {
      const href = changesHref();
      const to = ctx.to;
      const obs: Observation = {
        state: "needs_git",
        message: `Unpackerr reads ${to?.name ?? app} from its environment (UN_${upper}_0_URL = ${to?.inCluster.url ?? `the ${app} URL`}, UN_${upper}_0_API_KEY from the Secret): this needs a Git change${href ? ", prepared on the Changes page" : " (set gitops in the config to let the panel open the pull request)"}.`,
        diff: [],
        blocked: "configured through its manifest in Git",
        ...(href ? { helpHref: href } : {}),
        gitChange: { kind: "unpackerr-wiring" },
      };
      return Promise.resolve(obs);
    },
    apply(): Promise<WriteResult> {
      return Promise.reject(new AppError("invalid_input", "Unpackerr is configured through Git: use the Changes page."));
    },
  };
}

/** The links Unpackerr needs, with the Changes page when GitOps is configured. */
export function unpackerrLinks(changesHref: () => string | undefined): LinkDefinition[] {
  return [unpackerrLink("sonarr", changesHref), unpackerrLink("radarr", changesHref)];
}
