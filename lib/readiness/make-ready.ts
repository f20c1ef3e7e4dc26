/**
 * "Make everything ready": the fixes the matrix's failing cells offer, gathered into one ordered
 * plan. Each step is one of the per-cell fixes the panel already has (fix the links through the
 * apps' APIs, renew, check the hosts, back up now, run the drill, send a test notification, or a
 * pull request through the Changes flow); nothing here is a new way of changing things. A pure fold
 * over the matrix; the server previews and runs the steps through the existing guarded actions.
 */
import type { ChangeRequest } from "../gitops/change-kinds";
import type { FixKind, ReadinessFix } from "./fixes";
import type { CellState, ReadinessMatrix, RequirementId, Score } from "./matrix";

export type { FixKind, ReadinessFix } from "./fixes";

/** How the plan groups its steps, in the order they run. */
export type StepGroup = "apps" | "cluster" | "pull-requests";

export const STEP_GROUPS: Record<StepGroup, string> = {
  apps: "Through the apps' APIs",
  cluster: "Certificates, backups and notifications",
  "pull-requests": "Pull requests (applied by Argo CD once merged)",
};

/** One step of the plan: a fix, the cells it is for, and the steps it waits for. */
export interface MakeReadyStep {
  /** Stable within a plan: the fix's identity. */
  id: string;
  group: StepGroup;
  fix: ReadinessFix;
  title: string;
  /** What it changes, in words. */
  detail: string;
  /** The failing cells it is meant to turn passed. */
  cells: Array<{ service: string; requirement: RequirementId }>;
  /** Steps that must succeed first (a drill waits for the backup made just before it). */
  dependsOn: string[];
}

/** Per kind: its group, its rank within the group, its identity, its title and what it changes. */
const KINDS: { [K in FixKind]: { group: StepGroup; rank: number; id: (f: Extract<ReadinessFix, { kind: K }>) => string; title: (f: Extract<ReadinessFix, { kind: K }>) => string; detail: (f: Extract<ReadinessFix, { kind: K }>) => string } } = {
  integrations: {
    group: "apps",
    rank: 0,
    id: () => "integrations",
    title: (f) => `Fix ${f.keys.length} link${f.keys.length === 1 ? "" : "s"} through the apps' APIs`,
    detail: () => "Writes the missing or wrong settings in the apps (download clients, indexers, media servers), each link read again and tested by the app after its write.",
  },
  "renew-certificate": {
    group: "cluster",
    rank: 0,
    id: (f) => `renew:${f.namespace}/${f.name}`,
    title: (f) => `Renew the certificate ${f.namespace}/${f.name}`,
    detail: () => "Asks cert-manager to issue it again now (as cmctl renew does); the hosts are probed again after.",
  },
  "probe-hosts": {
    group: "cluster",
    rank: 1,
    id: () => "probe-hosts",
    title: (f) => `Check ${f.hosts.length === 1 ? f.hosts[0] : `${f.hosts.length} hosts`} for HTTPS only`,
    detail: (f) => `Reads only: TLS handshakes and the plain-HTTP redirect of ${f.hosts.join(", ")}.`,
  },
  "backup-now": {
    group: "cluster",
    rank: 2,
    id: (f) => `backup:${f.serviceId}`,
    title: (f) => `Back up ${f.serviceId} now`,
    detail: (f) => `A Job from ${f.serviceId}'s backup CronJob archives its configuration volume; the step waits for it to end.`,
  },
  drill: {
    group: "cluster",
    rank: 3,
    id: (f) => `drill:${f.serviceId}`,
    title: (f) => `Run the restore drill of ${f.serviceId}`,
    detail: (f) => `A verify Job restores ${f.serviceId}'s last good backup into scratch space and checks it; the service is not touched.`,
  },
  "test-notification": {
    group: "cluster",
    rank: 4,
    id: () => "test-notification",
    title: () => "Send a test notification",
    detail: () => "Sends a test message to every notification target and says whether each delivered it.",
  },
  change: {
    group: "pull-requests",
    rank: 0,
    id: (f) => `change:${changeIdentity(f.request)}`,
    title: (f) => changeTitle(f.request),
    detail: () => "Opens a pull request on the GitOps repository (its diff is in the preview); nothing changes in the cluster until it is merged.",
  },
};

function changeIdentity(request: ChangeRequest): string {
  if (request.kind === "health-probes" || request.kind === "resources") return `${request.kind}:${request.target}`;
  // The services of a namespace backed up to the same claim: one pull request, since they edit the
  // same kustomizations (the claim is a name in the service's namespace).
  if (request.kind === "enable-backups") return `${request.kind}:${request.target.includes("/") ? request.target.split("/")[0] : ""}/${request.backupClaim}${request.schedule ? `:${request.schedule}` : ""}`;
  if (request.kind === "https-only") return `${request.kind}:${request.ingress}`;
  return request.kind;
}

function changeTitle(request: ChangeRequest): string {
  if (request.kind === "health-probes") return `Pull request: add health probes to ${request.target}`;
  if (request.kind === "resources") return `Pull request: set resource requests and limits on ${request.target}`;
  if (request.kind === "enable-backups") return `Pull request: enable backups of ${[request.target, ...(request.also ?? [])].join(", ")}`;
  if (request.kind === "https-only") return `Pull request: serve ${request.ingress} over HTTPS only`;
  if (request.kind === "alert-rules") return "Pull request: add the panel's alert rules to Prometheus";
  if (request.kind === "unpackerr-wiring") return "Pull request: wire Unpackerr to Sonarr and Radarr through its manifest";
  return `Pull request: ${request.kind}`;
}

type Spec = (typeof KINDS)[FixKind] & { id: (f: ReadinessFix) => string; title: (f: ReadinessFix) => string; detail: (f: ReadinessFix) => string };

function specOf(fix: ReadinessFix): Spec {
  return KINDS[fix.kind] as Spec;
}

/** The identity of a fix: two cells asking for the same fix share one step. */
export function fixId(fix: ReadinessFix): string {
  return specOf(fix).id(fix);
}

const GROUP_ORDER: StepGroup[] = ["apps", "cluster", "pull-requests"];

/**
 * The plan of "make everything ready": every fix the failing cells carry, once each (the links of
 * every service in one step, one test notification, one pull request per change, one "enable
 * backups" pull request for the services of a namespace, since they edit the same kustomizations), in order: the
 * apps' links, then certificates, backups and their drills (a drill after the backup of the same
 * service), the test notification, then the pull requests.
 */
export function planMakeReady(matrix: ReadinessMatrix): MakeReadyStep[] {
  const steps = new Map<string, MakeReadyStep>();
  for (const s of matrix.services) {
    for (const c of s.cells) {
      if (c.state !== "failing") continue;
      for (const fix of c.actions ?? []) {
        const id = fixId(fix);
        const existing = steps.get(id);
        if (existing) absorb(existing, fix, { service: s.id, requirement: c.requirement });
        else steps.set(id, { id, group: specOf(fix).group, fix, title: "", detail: "", cells: [{ service: s.id, requirement: c.requirement }], dependsOn: [] });
      }
    }
  }
  for (const step of steps.values()) {
    named(step);
    if (step.fix.kind === "drill") {
      const backup = `backup:${step.fix.serviceId}`;
      if (steps.has(backup)) step.dependsOn = [backup];
    }
  }
  return [...steps.values()].sort(
    (a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) || specOf(a.fix).rank - specOf(b.fix).rank || a.id.localeCompare(b.id),
  );
}

/** Adds a fix with the same identity, and its cell, to a step: the links, hosts or services it covers. */
function absorb(step: MakeReadyStep, fix: ReadinessFix, cell?: { service: string; requirement: RequirementId }): void {
  if (step.fix.kind === "integrations" && fix.kind === "integrations") step.fix = { kind: "integrations", keys: [...new Set([...step.fix.keys, ...fix.keys])] };
  if (step.fix.kind === "probe-hosts" && fix.kind === "probe-hosts") step.fix = { kind: "probe-hosts", hosts: [...new Set([...step.fix.hosts, ...fix.hosts])] };
  if (step.fix.kind === "change" && step.fix.request.kind === "enable-backups" && fix.kind === "change" && fix.request.kind === "enable-backups") {
    const request = step.fix.request;
    const also = [...new Set([...(request.also ?? []), fix.request.target, ...(fix.request.also ?? [])])].filter((t) => t !== request.target);
    step.fix = { kind: "change", request: { ...request, also } };
  }
  if (cell && !step.cells.some((x) => x.service === cell.service && x.requirement === cell.requirement)) step.cells.push(cell);
}

function named(step: MakeReadyStep): MakeReadyStep {
  const spec = specOf(step.fix);
  step.title = spec.title(step.fix);
  step.detail = spec.detail(step.fix);
  return step;
}

/**
 * A pull request step for several services, one step per service (each with its own cells and an
 * id of its own), to tell which of them a refused plan is about, or to propose them one by one when
 * they cannot be one pull request; any other step as it is.
 */
export function perService(step: MakeReadyStep): MakeReadyStep[] {
  const fix = step.fix;
  if (fix.kind !== "change" || fix.request.kind !== "enable-backups" || !fix.request.also?.length) return [step];
  const { also, ...one } = fix.request;
  return [one.target, ...also].map((target) => named({ ...step, id: `${step.id}|${target}`, fix: { kind: "change", request: { ...one, target } }, cells: step.cells.filter((c) => c.service === target) }));
}

/** Steps of one identity (the ones `perService` split) joined again into one; undefined for none. */
export function joinSteps(steps: readonly MakeReadyStep[]): MakeReadyStep | undefined {
  const [first, ...rest] = steps;
  if (!first) return undefined;
  const joined: MakeReadyStep = { ...first, cells: [...first.cells] };
  for (const s of rest) {
    absorb(joined, s.fix);
    for (const c of s.cells) absorb(joined, s.fix, c);
  }
  joined.id = fixId(joined.fix);
  return named(joined);
}

/** One step of the preview: the step, and what its own preview says it will change. */
export interface PreviewedStep extends MakeReadyStep {
  /** What the step's own preview says: the files of a pull request, the links' changes in words. */
  changes: string[];
  /** Something to know before running it (a pull request already open, nothing to change in Git). */
  note?: string;
  /** The pull request's preview fingerprint: running it is refused when the base moved since. */
  fingerprint?: string;
}

/** "Make everything ready", before it runs: the steps in order, and the failing cells no step fixes. */
export interface MakeReadyPreview {
  steps: PreviewedStep[];
  score: Score;
  /** Failing cells with no automatic fix, with their reason and where to look. */
  manual: Array<{ service: string; requirement: RequirementId; state: CellState; reason: string; href?: string }>;
}

/** How a step ended. */
export interface StepResult {
  state: "done" | "failed" | "skipped";
  /** One or two sentences: what happened, or why it failed or was skipped. */
  message: string;
  links?: Array<{ label: string; href: string }>;
}

/**
 * Whether a step may run given the results so far: a step whose prerequisite failed or was skipped
 * is skipped, saying which.
 */
export function blockedBy(step: MakeReadyStep, results: ReadonlyMap<string, StepResult>, steps: readonly MakeReadyStep[]): StepResult | undefined {
  for (const dep of step.dependsOn) {
    const r = results.get(dep);
    if (r && r.state !== "done") {
      const title = steps.find((s) => s.id === dep)?.title ?? dep;
      return { state: "skipped", message: `Skipped: it needs "${title}", which ${r.state === "failed" ? "failed" : "was skipped"}.` };
    }
  }
  return undefined;
}

/** The closing line of a run: counts, and whether failures left independent steps running. */
export function runSummary(results: readonly StepResult[]): string {
  const done = results.filter((r) => r.state === "done").length;
  const failed = results.filter((r) => r.state === "failed").length;
  const skipped = results.filter((r) => r.state === "skipped").length;
  const parts = [`${done} done`, `${failed} failed`, ...(skipped > 0 ? [`${skipped} skipped`] : [])];
  const tail = failed > 0 ? " A failed step did not stop the steps that do not depend on it; the ones that do were skipped." : "";
  return `${parts.join(", ")}.${tail}`;
}
