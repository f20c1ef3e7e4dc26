import { renderedFiles } from "./kustomize";
import { repoKey } from "./repo-url";
import { isUnder, type RepoView } from "./repo-view";

/** One source of an Argo CD Application (single-source apps have one). */
export interface ArgoSource {
  repoURL: string;
  /** Branch, tag, commit or `HEAD`. */
  targetRevision: string;
  path: string;
  /** `directory.recurse` of a directory source. */
  recurse: boolean;
}

/** An Argo CD Application as the panel reads it from the cluster. */
export interface ArgoApplication {
  namespace: string;
  name: string;
  sources: ArgoSource[];
  syncStatus: string;
  /** `status.sync.revision` (or the first of `revisions` for multi-source apps). */
  syncRevision?: string;
  health?: string;
  healthMessage?: string;
}

/** An Application source that deploys files of the panel's repository. */
export interface DeployingSource {
  app: ArgoApplication;
  source: ArgoSource;
}

/**
 * Sources of `apps` that come from the repository `repoUrl` (matched by owner/name, so SSH and HTTPS
 * URLs of one repository match) and whose folder holds one of `files`. With `views` (per revision),
 * only the sources whose kustomization really renders one of the files are kept.
 */
export function sourcesDeploying(
  apps: readonly ArgoApplication[],
  repoUrl: string,
  files: readonly string[],
  views?: (revision: string) => RepoView | undefined,
): DeployingSource[] {
  const key = repoKey(repoUrl);
  const out: DeployingSource[] = [];
  for (const app of apps) {
    for (const source of app.sources) {
      if (repoKey(source.repoURL) !== key) continue;
      if (!files.some((f) => isUnder(f, source.path))) continue;
      const view = views?.(source.targetRevision);
      if (view) {
        const rendered = renderedFiles(view, source.path, { recurse: source.recurse });
        if (!files.some((f) => rendered.has(f))) continue;
      }
      out.push({ app, source });
    }
  }
  return out;
}

/** Branch names the sources deploy from (`HEAD` resolved to `defaultBranch`), without duplicates. */
export function revisionsOf(sources: readonly DeployingSource[], defaultBranch: string): string[] {
  return [...new Set(sources.map((s) => (s.source.targetRevision === "HEAD" || s.source.targetRevision === "" ? defaultBranch : s.source.targetRevision)))];
}
