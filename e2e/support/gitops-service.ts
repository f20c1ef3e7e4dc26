import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { LabGitops } from "./lab-gitops";
import type { PanelConfig } from "@/lib/config-schema";
import { openDatabase } from "@/server/db/open";
import { listArgoApplications } from "@/server/k8s/argo";
import { GitopsService, type GitopsServiceDeps } from "@/server/git/service";

type GitopsConfig = NonNullable<PanelConfig["gitops"]>;

/** The panel's GitOps settings for the lab's Git server and its GitHub-like forge. */
export function labGitopsConfig(lab: LabGitops, over: Partial<GitopsConfig> = {}): GitopsConfig {
  return {
    repoUrl: lab.git.url,
    appsPath: "apps",
    forge: "github",
    apiUrl: lab.forge.apiUrl,
    tokenEnv: "GITOPS_TOKEN",
    username: lab.git.username,
    passwordEnv: "GITOPS_GIT_PASSWORD",
    pollSeconds: 5,
    author: { name: "k8s-nas-panel", email: "panel@lab.invalid" },
    ...over,
  };
}

/**
 * A GitOps service as the panel builds one, on a fresh data folder and database, following the
 * lab's Argo CD Applications.
 */
export function labGitopsService(kc: KubeConfig, gitops: GitopsConfig, env: Record<string, string>, deps: Partial<GitopsServiceDeps> = {}): GitopsService {
  return new GitopsService({
    gitops,
    dataDir: mkdtempSync(path.join(tmpdir(), "panel-gitops-")),
    env,
    publicUrl: "https://panel.lab.invalid",
    secretRefs: { default: { namespace: "media", name: "starr-secrets" } },
    db: openDatabase(mkdtempSync(path.join(tmpdir(), "panel-gitops-db-"))),
    listApplications: () => listArgoApplications(kc, "argocd"),
    ...deps,
  });
}
