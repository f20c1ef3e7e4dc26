import "server-only";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { AppError, toAppError } from "@/lib/errors";
import { revisionsOf, sourcesDeploying, type ArgoApplication, type DeployingSource } from "@/lib/gitops/argo";
import { branchName, slugify } from "@/lib/gitops/branch";
import { labelOf, planChange, type ChangeRequest } from "@/lib/gitops/change-kinds";
import { changeStatus, type AppSyncState, type ChangeView, type PullState } from "@/lib/gitops/change-state";
import { unifiedDiffOf } from "@/lib/gitops/diff";
import { exportersHome } from "@/lib/gitops/plans/exporters";
import { findPrometheusConfigs } from "@/lib/gitops/plans/prometheus-scrape";
import type { BackupPlanSettings } from "@/lib/gitops/plans/enable-backups";
import { probeGaps } from "@/lib/gitops/plans/health-probes";
import { commitMessage, pullRequestBody } from "@/lib/gitops/pr-body";
import { parseRepoUrl, redactRepoUrl, repoKey, type RepoId } from "@/lib/gitops/repo-url";
import type { RepoView } from "@/lib/gitops/repo-view";
import type { ChangePreview, ChangeSuggestion, ProposeOutcome, RevertPreview } from "@/lib/gitops/proposal";
import type { BaseSource, ChangePlan } from "@/lib/gitops/types";
import { findWorkloads } from "@/lib/gitops/workloads";
import { KeyedMutex } from "@/lib/keyed-mutex";
import { recognizeImage } from "@/lib/k8s/recognize";
import type { AlertRuleThresholds, PanelConfig } from "@/lib/config-schema";
import { changesToFollow, getChange, insertChange, listChanges, openChangesWithKey, updateChange } from "@/server/db/changes";
import type { PanelDb } from "@/server/db/open";
import { createForge, type ForgeProvider } from "./forge";
import type { GitAuth } from "./git-cli";
import { GitRepo, writeSshKey } from "./repo";

type GitopsConfig = NonNullable<PanelConfig["gitops"]>;

/** What the service needs from the rest of the panel. */
export interface GitopsServiceDeps {
  gitops: GitopsConfig;
  dataDir: string;
  /** Environment with the secrets the config names. */
  env: Record<string, string | undefined>;
  publicUrl?: string;
  secretRefs: Record<string, { namespace: string; name: string }>;
  metricsTokenRequired?: boolean;
  /** What "enable backups" needs (`backups.*` and the app modules' configuration volumes). */
  backups?: BackupPlanSettings;
  db: PanelDb;
  /** Argo CD Applications in the cluster; undefined without a cluster. */
  listApplications: () => Promise<ArgoApplication[] | undefined>;
  now?: () => number;
  /** Suffix of branch names (random hex by default). */
  random?: () => string;
  networkTimeoutMs?: number;
  /** Called after each proposal (metrics). */
  onProposed?: (kind: string, outcome: string) => void;
  /** Thresholds of the alert rules (`alerts.rules`). */
  alertRules?: AlertRuleThresholds;
  /** Whether the cluster serves the PrometheusRule CRD (asked once per planning). */
  prometheusRuleCrd?: () => Promise<boolean>;
  /** Checks a plan's `checks` (rule files through promtool and Prometheus) before preview and pull request. */
  checkPlan?: (plan: ChangePlan) => Promise<{ notes: string[]; problems: string[] }>;
}

interface Planned {
  plan: ChangePlan;
  baseBranch: string;
  baseSha: string;
  baseSource: BaseSource;
  view: RepoView;
  deploying: DeployingSource[];
}

function fingerprintOf(baseSha: string, diff: string): string {
  return createHash("sha256").update(baseSha).update("\0").update(diff).digest("hex").slice(0, 16);
}

function uniqueApps(sources: readonly DeployingSource[]): ArgoApplication[] {
  const seen = new Map<string, ArgoApplication>();
  for (const s of sources) seen.set(`${s.app.namespace}/${s.app.name}`, s.app);
  return [...seen.values()];
}

/**
 * The GitOps workflow: plan a change against the branch Argo CD deploys from, show its diff, push it
 * to a new branch and open a pull request, then follow it (pull request state, Argo CD sync) until
 * it is live. Instance-scoped: tests build one per lab repository.
 */
export class GitopsService {
  readonly repo: GitRepo;
  readonly forge: ForgeProvider;
  readonly repoId: RepoId;
  private readonly now: () => number;
  private readonly locks = new KeyedMutex();
  /** Branches pushed for a change whose pull request the forge then refused, by change key. */
  private readonly unopened = new Map<string, { branch: string; headSha: string; fingerprint: string }>();
  private lastRefresh = 0;
  private suggestionCache: { at: number; value: ChangeSuggestion[] } | undefined;

  constructor(private readonly deps: GitopsServiceDeps) {
    const { gitops } = deps;
    const id = parseRepoUrl(gitops.repoUrl);
    if (!id) throw new AppError("invalid_input", `gitops.repoUrl ${redactRepoUrl(gitops.repoUrl)} is not a repository URL (https://host/owner/repo.git or git@host:owner/repo.git).`, { source: "git" });
    this.repoId = id;
    this.now = deps.now ?? Date.now;
    const dir = path.join(deps.dataDir, "gitops", `${slugify(`${id.host}-${id.owner}-${id.repo}`)}.git`);
    let auth: GitAuth = { type: "none" };
    let credentialHint: string;
    if (id.protocol === "ssh") {
      const key = gitops.sshKeyEnv ? deps.env[gitops.sshKeyEnv] : undefined;
      credentialHint = gitops.sshKeyEnv
        ? `the SSH deploy key in ${gitops.sshKeyEnv}${key ? "" : " (the variable is not set)"} needs read and write access`
        : "an SSH URL needs a deploy key: set gitops.sshKeyEnv";
      if (key) auth = { type: "ssh", ...writeSshKey(path.join(deps.dataDir, "gitops", "ssh"), key) };
    } else {
      const passwordEnv = gitops.passwordEnv ?? gitops.tokenEnv;
      const password = deps.env[passwordEnv];
      credentialHint = `user ${gitops.username} with the password in ${passwordEnv}${password ? "" : " (the variable is not set)"} (in the cluster: the key ${passwordEnv} of the Secret k8s-nas-panel-secrets); it needs push access`;
      if (password) auth = { type: "basic", username: gitops.username, password };
    }
    this.repo = new GitRepo({ dir, url: gitops.repoUrl, auth, credentialHint, author: gitops.author, networkTimeoutMs: deps.networkTimeoutMs });
    this.forge = createForge({
      kind: gitops.forge,
      repo: id,
      apiUrl: gitops.apiUrl,
      token: { env: gitops.tokenEnv, value: deps.env[gitops.tokenEnv] },
      timeoutMs: deps.networkTimeoutMs,
    });
  }

  private async applications(): Promise<{ apps: ArgoApplication[]; note?: string }> {
    try {
      const apps = await this.deps.listApplications();
      return apps ? { apps } : { apps: [], note: "Kubernetes is not configured: the base branch cannot be read from Argo CD." };
    } catch (error) {
      return { apps: [], note: toAppError(error).message };
    }
  }

  private async view(branch: string, why: string): Promise<{ sha: string; view: RepoView }> {
    const sha = await this.repo.branchSha(branch);
    if (!sha) {
      throw new AppError("not_found", `The base branch ${branch} (${why}) does not exist in ${this.repo.displayUrl}.`, { source: "git" });
    }
    return { sha, view: await this.repo.snapshot(sha) };
  }

  private crd: boolean | undefined;

  private plan(request: ChangeRequest, view: RepoView): ChangePlan {
    return planChange(request, {
      repo: view,
      appsPath: this.deps.gitops.appsPath.replace(/^\.?\/+|\/+$/g, ""),
      secretRefs: this.deps.secretRefs,
      publicUrl: this.deps.publicUrl,
      metricsTokenRequired: this.deps.metricsTokenRequired,
      alertRules: this.deps.alertRules,
      prometheusRuleCrd: this.crd,
      ...(this.deps.backups ? { backups: this.deps.backups } : {}),
    });
  }

  /** Facts of the cluster a kind's planner needs (asked before planning it). */
  private async clusterFacts(request: ChangeRequest): Promise<void> {
    if (request.kind !== "alert-rules" || !this.deps.prometheusRuleCrd) return;
    this.crd = await this.deps.prometheusRuleCrd().catch(() => false);
  }

  /** Runs the plan's checks; refuses the change when one fails. Returns what ran, for the notes. */
  private async checked(plan: ChangePlan): Promise<string[]> {
    if (!plan.checks?.length || plan.files.length === 0 || !this.deps.checkPlan) return [];
    const outcome = await this.deps.checkPlan(plan);
    if (outcome.problems.length > 0) {
      throw new AppError("invalid_input", `The change does not validate, so no pull request was opened. ${outcome.problems.join(" ")}`, { source: "gitops" });
    }
    return outcome.notes;
  }

  /**
   * Plans `request` on the right base: `gitops.baseBranch` when set; otherwise the branch the Argo CD
   * Applications deploying the change's files track (their `targetRevision`), else the default branch.
   */
  private async planWithBase(request: ChangeRequest): Promise<Planned & { note?: string }> {
    await this.clusterFacts(request);
    const configured = this.deps.gitops.baseBranch;
    const defaultBranch = this.repo.defaultBranch();
    const { apps, note } = await this.applications();
    const start = configured ?? defaultBranch;
    let current = await this.view(start, configured ? "gitops.baseBranch" : "the repository's default branch");
    let baseBranch = start;
    let baseSource: BaseSource = configured ? "config" : "default";
    let plan: ChangePlan;
    try {
      plan = this.plan(request, current.view);
    } catch (error) {
      // Not on the default branch: try the branches Argo CD deploys from (a workload may exist only there).
      if (configured || !(error instanceof AppError) || error.code !== "not_found") throw error;
      const ours = apps.flatMap((app) => app.sources.filter((source) => repoKey(source.repoURL) === repoKey(this.deps.gitops.repoUrl)).map((source) => ({ app, source })));
      let found: { current: typeof current; plan: ChangePlan; branch: string } | undefined;
      for (const rev of revisionsOf(ours, defaultBranch).filter((r) => r !== start)) {
        const sha = await this.repo.branchSha(rev);
        if (!sha) continue;
        const view = await this.repo.snapshot(sha);
        try {
          found = { current: { sha, view }, plan: this.plan(request, view), branch: rev };
          break;
        } catch {
          // Not on this branch either.
        }
      }
      if (!found) throw error;
      current = found.current;
      plan = found.plan;
      baseBranch = found.branch;
      baseSource = "argocd";
    }
    const locate = (p: ChangePlan) => (p.files.length > 0 ? p.files.map((f) => f.path) : p.locations);
    // Each deploying branch as it is, to keep only the Applications whose kustomization renders the files.
    const views = new Map<string, RepoView>();
    if (!configured) {
      let deploying = sourcesDeploying(apps, this.deps.gitops.repoUrl, locate(plan));
      let revisions = revisionsOf(deploying, defaultBranch);
      if (revisions.length > 1) {
        for (const rev of revisions) {
          const sha = await this.repo.branchSha(rev);
          if (sha) views.set(rev, await this.repo.snapshot(sha));
        }
        deploying = sourcesDeploying(apps, this.deps.gitops.repoUrl, locate(plan), (rev) => views.get(rev === "HEAD" ? defaultBranch : rev));
        revisions = revisionsOf(deploying, defaultBranch);
      }
      if (revisions.length > 1) {
        throw new AppError(
          "conflict",
          `${locate(plan).join(", ")} is deployed from several branches (${deploying.map((d) => `${d.app.namespace}/${d.app.name}: ${d.source.targetRevision}`).join(", ")}); set gitops.baseBranch to choose one.`,
          { source: "gitops" },
        );
      }
      if (revisions.length === 1) {
        baseSource = "argocd";
        if (revisions[0] !== baseBranch) {
          baseBranch = revisions[0] as string;
          const names = uniqueApps(deploying).map((a) => `${a.namespace}/${a.name}`).join(", ");
          current = await this.view(baseBranch, `the targetRevision of the Argo CD Application ${names}`);
          plan = this.plan(request, current.view);
        }
      }
    }
    // An Application of another branch whose folder holds the files but whose kustomization leaves them
    // out (apps/infrastructure without its monitoring/) does not deploy the change: it is not followed.
    const deploying = sourcesDeploying(apps, this.deps.gitops.repoUrl, locate(plan), (rev) => {
      const branch = rev === "HEAD" ? defaultBranch : rev;
      return branch === baseBranch ? current.view : views.get(branch);
    });
    return { plan, baseBranch, baseSha: current.sha, baseSource, view: current.view, deploying, note };
  }

  /** The open pull request of the same change, re-read from the forge first (it may have been merged). */
  private async existingOpen(key: string): Promise<ChangeView | undefined> {
    const candidates = openChangesWithKey(this.deps.db, key);
    if (candidates.length === 0) return undefined;
    const { apps } = await this.applications();
    for (const open of candidates) {
      const still = await this.refreshOne(open, apps).catch(() => open);
      if (still.pullState === "open" || still.pullState === "pushed") return still;
    }
    return undefined;
  }

  private previewOf(request: ChangeRequest, planned: Planned & { note?: string }, existing: ChangeView | undefined, checkNotes: string[] = []): ChangePreview {
    const { plan } = planned;
    const diff = unifiedDiffOf(plan.files);
    const notes = [...plan.notes, ...checkNotes, ...(planned.note ? [planned.note] : [])];
    if (plan.files.length > 0 && planned.deploying.length === 0 && !planned.note) {
      notes.push(
        `No Argo CD Application deploys ${plan.files.map((f) => f.path).join(", ")}: after the merge nothing reaches the cluster until one does (or until you apply the folder yourself).`,
      );
    }
    return {
      outcome: plan.files.length === 0 ? "already_so" : existing ? "already_open" : "preview",
      label: labelOf(request),
      title: plan.title,
      summary: plan.summary,
      why: plan.why,
      notes,
      services: plan.services,
      files: plan.files.map((f) => f.path),
      diff,
      baseBranch: planned.baseBranch,
      baseSource: planned.baseSource,
      baseSha: planned.baseSha,
      applications: uniqueApps(planned.deploying).map((a) => `${a.namespace}/${a.name}`),
      fingerprint: fingerprintOf(planned.baseSha, diff),
      message:
        plan.files.length === 0
          ? `Already so: ${plan.alreadySo ?? "nothing to change."}`
          : existing
            ? `A pull request for this change is already open: ${existing.prUrl}`
            : undefined,
      existing: existing ? { id: existing.id, prUrl: existing.prUrl, branch: existing.branch, title: existing.title } : undefined,
    };
  }

  /** Fetches the repository and plans the change: its diff, base branch and affected Applications. */
  async preview(request: ChangeRequest): Promise<ChangePreview> {
    await this.repo.sync();
    const planned = await this.planWithBase(request);
    const checkNotes = await this.checked(planned.plan);
    const existing = planned.plan.files.length > 0 ? await this.existingOpen(planned.plan.key) : undefined;
    return this.previewOf(request, planned, existing, checkNotes);
  }

  private lockKey(request: ChangeRequest): string {
    if (request.kind === "health-probes") return `${request.kind}:${request.target.split("/").pop() ?? ""}`;
    if (request.kind === "https-only") return `${request.kind}:${request.ingress}`;
    if (request.kind === "enable-backups") return `${request.kind}:${request.target.split("/").pop() ?? ""}`;
    return request.kind;
  }

  /**
   * Proposes the change: fetch, plan on the right base, refuse an empty change ("already so") or a
   * duplicate of an open pull request, check the forge token, push a new branch, open the pull
   * request and record it. When the forge refuses the pull request after the push, the branch stays
   * and the error says so; the next try of the same change (same base, same diff) opens the pull
   * request from that branch instead of pushing a second one.
   */
  async propose(request: ChangeRequest, author: string, opts: { expectedFingerprint?: string } = {}): Promise<ProposeOutcome> {
    return this.locks.run(this.lockKey(request), async () => {
      await this.repo.sync();
      const planned = await this.planWithBase(request);
      const { plan } = planned;
      if (plan.files.length === 0) {
        this.deps.onProposed?.(plan.kind, "already_so");
        return { outcome: "already_so", message: `Already so: ${plan.alreadySo ?? "nothing to change."} No pull request was opened.`, warnings: [] };
      }
      await this.checked(plan);
      const open = await this.existingOpen(plan.key);
      if (open) {
        this.deps.onProposed?.(plan.kind, "already_open");
        return { outcome: "already_open", message: `A pull request for this change is already open: ${open.prUrl}`, change: open, prUrl: open.prUrl, warnings: [] };
      }
      const diff = unifiedDiffOf(plan.files);
      if (opts.expectedFingerprint && opts.expectedFingerprint !== fingerprintOf(planned.baseSha, diff)) {
        throw new AppError("conflict", `${planned.baseBranch} changed since the preview, and with it the diff: preview the change again.`, { source: "gitops" });
      }
      await this.forge.checkAccess();
      const fingerprint = fingerprintOf(planned.baseSha, diff);
      const kept = this.unopened.get(plan.key);
      let branch: string;
      let headSha: string;
      if (kept && kept.fingerprint === fingerprint && (await this.repo.branchSha(kept.branch)) === kept.headSha) {
        // An earlier try pushed this very change and the forge refused the pull request: open it from that branch.
        ({ branch, headSha } = kept);
      } else {
        branch = branchName(plan.slug, new Date(this.now()), this.deps.random?.() ?? randomBytes(3).toString("hex"));
        ({ headSha } = await this.repo.commitAndPush({
          baseSha: planned.baseSha,
          branch,
          files: plan.files.map((f) => ({ path: f.path, content: f.after })),
          message: commitMessage(plan, { author }),
        }));
      }
      const applications = uniqueApps(planned.deploying);
      const panelUrl = this.deps.publicUrl ? `${this.deps.publicUrl.replace(/\/+$/, "")}/changes?branch=${encodeURIComponent(branch)}` : undefined;
      let pull;
      try {
        pull = await this.forge.createPull({
          head: branch,
          base: planned.baseBranch,
          title: plan.title,
          body: pullRequestBody(plan, {
            author,
            baseBranch: planned.baseBranch,
            baseSource: planned.baseSource,
            applications: applications.map((a) => `${a.namespace}/${a.name}`),
            panelUrl,
          }),
          labels: plan.labels,
        });
      } catch (error) {
        // The branch stays (deleting it needs the same credentials that may just have been refused);
        // the next try of the same change opens the pull request from it instead of pushing another.
        this.unopened.set(plan.key, { branch, headSha, fingerprint });
        const cause = toAppError(error);
        throw new AppError(
          cause.code,
          `${cause.message} The branch ${branch} was pushed but no pull request was opened; proposing the change again opens it from that branch (no second branch).`,
          { source: cause.source ?? "gitops", cause: error },
        );
      }
      this.unopened.delete(plan.key);
      const apps: AppSyncState[] = applications.map((a) => ({
        namespace: a.namespace,
        name: a.name,
        syncStatus: a.syncStatus,
        revision: a.syncRevision,
        health: a.health,
        healthMessage: a.healthMessage,
        includesChange: null,
      }));
      const change = insertChange(this.deps.db, {
        createdAt: this.now(),
        author,
        kind: plan.kind,
        key: plan.key,
        title: plan.title,
        summary: plan.summary,
        services: plan.services,
        branch,
        baseBranch: planned.baseBranch,
        baseSource: planned.baseSource,
        baseSha: planned.baseSha,
        headSha,
        files: plan.files.map((f) => f.path),
        diff,
        forge: this.forge.kind,
        prUrl: pull.url,
        prNumber: pull.number,
        pullState: pull.state,
        mergeable: pull.mergeable,
        mergeSha: null,
        mergedAt: null,
        apps,
        status: changeStatus(pull.state, apps),
        liveAt: null,
        checkedAt: this.now(),
        lastError: null,
      });
      this.suggestionCache = undefined;
      const outcome = pull.state === "pushed" ? "pushed" : "opened";
      this.deps.onProposed?.(plan.kind, outcome);
      return {
        outcome,
        message: outcome === "pushed" ? `Branch ${branch} pushed: open the pull request at ${pull.url}` : `Pull request opened: ${pull.url}`,
        change,
        prUrl: pull.url,
        warnings: pull.warnings,
      };
    });
  }

  /** The merged change `id` and the commit that reverts it; throws when there is nothing to revert. */
  private revertable(id: number): { change: ChangeView; commit: string } {
    const change = getChange(this.deps.db, id);
    if (!change) throw new AppError("not_found", `No change ${id}.`, { source: "gitops" });
    if (change.pullState !== "merged") throw new AppError("conflict", `${change.title} is not merged (${change.status}): close its pull request instead of reverting it.`, { source: "gitops" });
    return { change, commit: change.mergeSha ?? change.headSha };
  }

  /** Plans the revert of change `id` on the tip of its base branch: the preview and the revert commit (in the clone, not pushed). */
  private async planRevert(id: number): Promise<{ preview: RevertPreview; change: ChangeView; headSha?: string }> {
    const { change, commit } = this.revertable(id);
    await this.repo.sync();
    const baseSha = await this.repo.branchSha(change.baseBranch);
    if (!baseSha) throw new AppError("not_found", `The base branch ${change.baseBranch} no longer exists in ${this.repo.displayUrl}.`, { source: "git" });
    if (!(await this.repo.hasCommit(commit))) throw new AppError("not_found", `The merge commit ${commit.slice(0, 7)} is not in ${this.repo.displayUrl} (the branch was rewritten?).`, { source: "git" });
    const changedSince = await this.repo.commitsTouching(commit, baseSha, change.files);
    const title = `Revert "${change.title}"`;
    const message = [title, "", `This reverts commit ${commit}${change.prNumber !== null ? ` (pull request #${change.prNumber})` : ""}.`, "", "Proposed through k8s-nas-panel."].join("\n");
    const result = await this.repo.revert({ baseSha, commit, message });
    const base = { changeId: change.id, title, baseBranch: change.baseBranch, baseSha, commit, changedSince };
    if (!result.ok) {
      return {
        change,
        preview: {
          ...base,
          outcome: "conflict",
          files: result.conflicts,
          diff: "",
          conflicts: result.conflicts,
          conflictDiff: result.conflictDiff,
          fingerprint: fingerprintOf(baseSha, result.conflictDiff),
          message: `${result.conflicts.join(", ")} changed again since the merge${changedSince.length ? ` (${changedSince.join("; ")})` : ""}: git cannot revert ${commit.slice(0, 7)} cleanly. Nothing was pushed; revert it by hand or change the files back through a new change.`,
        },
      };
    }
    const diff = unifiedDiffOf(result.files);
    const existing = openChangesWithKey(this.deps.db, `revert:${change.id}`)[0];
    return {
      change,
      headSha: result.headSha,
      preview: {
        ...base,
        outcome: existing ? "already_open" : "preview",
        files: result.files.map((f) => f.path),
        diff,
        conflicts: [],
        conflictDiff: "",
        fingerprint: fingerprintOf(baseSha, diff),
        ...(changedSince.length > 0 ? { message: `The files changed since the merge (${changedSince.join("; ")}); git reverts the change on top of them.` } : {}),
        ...(existing ? { message: `A pull request reverting this change is already open: ${existing.prUrl}`, existing: { id: existing.id, prUrl: existing.prUrl, branch: existing.branch, title: existing.title } } : {}),
      },
    };
  }

  /** The revert of a merged change, as `git revert -m 1` of its merge commit would make it: diff or conflict. Writes nothing. */
  async previewRevert(id: number): Promise<RevertPreview> {
    return (await this.planRevert(id)).preview;
  }

  /**
   * Proposes the revert of a merged change: `git revert` of its merge commit on the tip of its base
   * branch, pushed as a new branch, and a pull request. Refused (nothing pushed) when the revert
   * conflicts, when a revert is already open, or when the base moved since the preview.
   */
  async revert(id: number, author: string, opts: { expectedFingerprint?: string } = {}): Promise<ProposeOutcome> {
    return this.locks.run(`revert:${id}`, async () => {
      // One plan: the commit whose diff and fingerprint were checked is the one pushed.
      const planned = await this.planRevert(id);
      const { change, preview, headSha } = planned;
      if (preview.outcome === "conflict" || !headSha) throw new AppError("conflict", preview.message ?? "The revert does not apply.", { source: "git" });
      if (preview.existing) {
        return { outcome: "already_open", message: preview.message ?? "", prUrl: preview.existing.prUrl, warnings: [] };
      }
      if (opts.expectedFingerprint && opts.expectedFingerprint !== preview.fingerprint) {
        throw new AppError("conflict", `${change.baseBranch} changed since the preview, and with it the revert: preview it again.`, { source: "gitops" });
      }
      await this.forge.checkAccess();
      const branch = branchName(`revert-${change.id}`, new Date(this.now()), this.deps.random?.() ?? randomBytes(3).toString("hex"));
      await this.repo.pushCommit(headSha, branch);
      const commit = preview.commit;
      const summary = [`Reverts ${change.title} (${commit.slice(0, 7)}${change.prNumber !== null ? `, pull request #${change.prNumber}` : ""})`];
      const body = [
        "## What changes",
        `Reverts ${change.prUrl ? `[${change.title}](${change.prUrl})` : change.title}: \`git revert -m 1 ${commit}\` on \`${change.baseBranch}\`.`,
        "",
        "## Affected services",
        ...change.services.map((s) => `- \`${s}\``),
        "",
        "## Files",
        ...preview.files.map((f) => `- \`${f}\``),
        ...(preview.changedSince.length > 0 ? ["", "## Notes for the reviewer", `- The files changed since the merge: ${preview.changedSince.join("; ")}.`] : []),
        "",
        "---",
        `Proposed by ${author} through k8s-nas-panel.`,
      ].join("\n");
      let pull;
      try {
        pull = await this.forge.createPull({ head: branch, base: change.baseBranch, title: preview.title, body: `${body}\n`, labels: ["k8s-nas-panel", "revert"] });
      } catch (error) {
        const cause = toAppError(error);
        const left = await this.repo.deleteRemoteBranch(branch).then(
          () => "The branch it pushed was deleted again.",
          () => `The branch ${branch} it pushed could not be deleted; delete it on the forge, or revert again (a new branch is pushed).`,
        );
        throw new AppError(cause.code, `${cause.message} No pull request was opened. ${left}`, { source: cause.source ?? "gitops", cause: error });
      }
      const apps: AppSyncState[] = change.apps.map((a) => ({ namespace: a.namespace, name: a.name, syncStatus: a.syncStatus, revision: a.revision, health: a.health, healthMessage: a.healthMessage, includesChange: null }));
      const created = insertChange(this.deps.db, {
        createdAt: this.now(),
        author,
        kind: "revert",
        key: `revert:${change.id}`,
        title: preview.title,
        summary,
        services: change.services,
        branch,
        baseBranch: change.baseBranch,
        baseSource: change.baseSource,
        baseSha: preview.baseSha,
        headSha,
        files: preview.files,
        diff: preview.diff,
        forge: this.forge.kind,
        prUrl: pull.url,
        prNumber: pull.number,
        pullState: pull.state,
        mergeable: pull.mergeable,
        mergeSha: null,
        mergedAt: null,
        apps,
        status: changeStatus(pull.state, apps),
        liveAt: null,
        checkedAt: this.now(),
        lastError: null,
      });
      const outcome = pull.state === "pushed" ? "pushed" : "opened";
      this.deps.onProposed?.("revert", outcome);
      return {
        outcome,
        message: outcome === "pushed" ? `Branch ${branch} pushed: open the pull request at ${pull.url}` : `Pull request opened: ${pull.url}`,
        change: created,
        prUrl: pull.url,
        warnings: pull.warnings,
      };
    });
  }

  /** Re-reads one change's pull request and, once merged, its Applications' sync state. */
  private async refreshOne(change: ChangeView, apps: readonly ArgoApplication[] | undefined): Promise<ChangeView> {
    let pullState: PullState = change.pullState;
    let { mergeSha, mergedAt, mergeable, prUrl } = change;
    if (change.pullState === "open" && change.forge !== "none" && change.prNumber !== null) {
      const info = await this.forge.getPull(change.prNumber);
      pullState = info.state;
      mergeSha = info.mergeCommitSha;
      mergedAt = info.mergedAt ? Date.parse(info.mergedAt) : null;
      mergeable = info.mergeable;
      prUrl = info.url || prUrl;
    }
    if (change.pullState === "pushed") {
      const tip = await this.repo.branchSha(change.baseBranch);
      if (tip && (await this.repo.isAncestor(change.headSha, tip))) {
        pullState = "merged";
        mergedAt = this.now();
      }
    }
    let appStates = change.apps;
    if (pullState === "merged" && apps) {
      const included = mergeSha ?? change.headSha;
      appStates = [];
      for (const ref of change.apps) {
        const app = apps.find((a) => a.namespace === ref.namespace && a.name === ref.name);
        if (!app) {
          appStates.push({ ...ref, syncStatus: "Unknown", health: "Missing", includesChange: null });
          continue;
        }
        const revision = app.syncRevision;
        const includesChange = revision ? await this.repo.isAncestor(included, revision) : null;
        appStates.push({
          namespace: app.namespace,
          name: app.name,
          syncStatus: app.syncStatus,
          revision,
          health: app.health,
          healthMessage: app.healthMessage,
          includesChange,
        });
      }
    }
    const status = changeStatus(pullState, appStates);
    const next: ChangeView = {
      ...change,
      pullState,
      mergeSha,
      mergedAt,
      mergeable,
      prUrl,
      apps: appStates,
      status,
      liveAt: status === "live" ? (change.liveAt ?? this.now()) : null,
      checkedAt: this.now(),
      lastError: null,
    };
    updateChange(this.deps.db, change.id, {
      pullState,
      mergeSha,
      mergedAt,
      mergeable,
      prUrl,
      apps: appStates,
      status,
      liveAt: next.liveAt,
      checkedAt: next.checkedAt,
      lastError: null,
    });
    return next;
  }

  /**
   * Follows every change that is not finished: pull request state from the forge, then the Argo CD
   * Applications once merged. At most once per `gitops.pollSeconds` unless forced. Never throws: a
   * failure is kept on the change as its last error.
   */
  async refresh(opts: { force?: boolean } = {}): Promise<void> {
    const now = this.now();
    if (!opts.force && now - this.lastRefresh < this.deps.gitops.pollSeconds * 1000) return;
    this.lastRefresh = now;
    const changes = changesToFollow(this.deps.db);
    if (changes.length === 0) return;
    const { apps, note } = await this.applications();
    let synced = false;
    for (const change of changes) {
      try {
        if (!synced && (change.forge === "none" || change.pullState === "merged" || change.status === "merged" || change.pullState === "open")) {
          await this.repo.sync();
          synced = true;
        }
        const next = await this.refreshOne(change, note ? undefined : apps);
        if (next.pullState === "merged" && note) updateChange(this.deps.db, change.id, { lastError: note });
      } catch (error) {
        updateChange(this.deps.db, change.id, { lastError: toAppError(error).message, checkedAt: this.now() });
      }
    }
  }

  /** Every change the panel proposed, newest first. */
  list(): ChangeView[] {
    return listChanges(this.deps.db);
  }

  /**
   * Changes the panel can propose now: health probes for workloads without them (on the branches
   * Argo CD deploys from), Unpackerr wiring when Unpackerr is in the repository, the Prometheus
   * scrape job when a Prometheus configuration is. Cached for `gitops.pollSeconds`.
   */
  async suggestions(): Promise<ChangeSuggestion[]> {
    const now = this.now();
    if (this.suggestionCache && now - this.suggestionCache.at < this.deps.gitops.pollSeconds * 1000) return this.suggestionCache.value;
    await this.repo.sync();
    const defaultBranch = this.repo.defaultBranch();
    const { apps } = await this.applications();
    const ours = apps.flatMap((app) => app.sources.filter((source) => repoKey(source.repoURL) === repoKey(this.deps.gitops.repoUrl)).map((source) => ({ app, source })));
    const branches = this.deps.gitops.baseBranch ? [this.deps.gitops.baseBranch] : [...new Set([defaultBranch, ...revisionsOf(ours, defaultBranch)])];
    const out = new Map<string, ChangeSuggestion>();
    const views = new Map<string, RepoView>();
    for (const branch of branches) {
      const sha = await this.repo.branchSha(branch);
      if (sha) views.set(branch, await this.repo.snapshot(sha));
    }
    // Each file is judged on the branch Argo CD deploys it from (the configured or default branch when none
    // does), counting only the Applications whose kustomization on their branch renders the file.
    const judged = new Map<string, string>();
    const deployedFrom = (file: string): string => {
      const known = judged.get(file);
      if (known) return known;
      const branch =
        this.deps.gitops.baseBranch ??
        revisionsOf(sourcesDeploying(apps, this.deps.gitops.repoUrl, [file], (rev) => views.get(rev === "HEAD" ? defaultBranch : rev)), defaultBranch)[0] ??
        defaultBranch;
      judged.set(file, branch);
      return branch;
    };
    const appsPath = this.deps.gitops.appsPath.replace(/^\.?\/+|\/+$/g, "");
    for (const branch of branches) {
      const view = views.get(branch);
      if (!view) continue;
      const workloads = findWorkloads(view, appsPath);
      for (const w of workloads) {
        if (deployedFrom(w.file) !== branch) continue;
        const gaps = probeGaps(w);
        if (gaps.length === 0) continue;
        const target = `${w.namespace ?? "default"}/${w.name}`;
        const request: ChangeRequest = { kind: "health-probes", target };
        out.set(`probes:${target}`, {
          request,
          label: labelOf(request),
          detail: `${gaps.map((g) => `${g.container.name}: no ${g.missing.map((m) => m.replace("Probe", "")).join(" or ")} probe`).join("; ")} (${w.file})`,
        });
      }
      // Unpackerr wiring and the scrape job: offered while their plan on the deploying branch changes something.
      const planned: Array<[string, ChangeRequest, string | undefined, string]> = [
        ["unpackerr", { kind: "unpackerr-wiring" }, workloads.find((w) => w.containers.some((c) => recognizeImage(c.image) === "unpackerr"))?.file, "UN_SONARR_0_* and UN_RADARR_0_* from the API-key Secret; deployed through its kustomization"],
        ["prometheus", { kind: "prometheus-scrape" }, findPrometheusConfigs({ repo: view, appsPath, secretRefs: this.deps.secretRefs })[0]?.file, "a scrape job for /api/metrics"],
        ["exporters", { kind: "app-exporters" }, exportersHome({ repo: view, appsPath, secretRefs: this.deps.secretRefs }), "exportarr for the *arr apps and SABnzbd, the qBittorrent exporter; keys from the Secret by reference"],
        ["exporter-scrape", { kind: "exporter-scrape" }, findPrometheusConfigs({ repo: view, appsPath, secretRefs: this.deps.secretRefs })[0]?.file, "scrape jobs for the apps' exporters and Jellyfin's /metrics, a Grafana dashboard"],
        ["alert-rules", { kind: "alert-rules" }, findPrometheusConfigs({ repo: view, appsPath, secretRefs: this.deps.secretRefs })[0]?.file, "the panel's alert rules, each linked to its runbook"],
      ];
      for (const [id, request, file, detail] of planned) {
        if (out.has(id) || !file || deployedFrom(file) !== branch) continue;
        try {
          if (this.plan(request, view).files.length > 0) out.set(id, { request, label: labelOf(request), detail: `${detail} (${file})` });
        } catch {
          // Not plannable on this branch (e.g. a file that cannot be edited): the preview will say why.
        }
      }
    }
    const value = [...out.values()];
    this.suggestionCache = { at: now, value };
    return value;
  }
}

/**
 * Waits at most `ms` for `work`; after that rejects with a `timeout` AppError saying `what`, while
 * the work goes on in the background (its own failure is then ignored). Keeps pages responsive when
 * the repository or the forge is slow.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError("timeout", what, { source: "gitops" })), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
