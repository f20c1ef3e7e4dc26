/**
 * Production readiness: for every service, each requirement of a production-ready service as a cell
 * (passed, failing, or not applicable, with its reason and, when failing, the next click that fixes
 * it), a score per service and one for the stack. A pure fold over what the panel already knows
 * (the services and their verdicts, certificates, backups, integrations, alerts, runbooks); the
 * server gathers those and this module decides. Each requirement is decided in one place: its entry
 * in `REQUIREMENTS`.
 */
import type { BackupRecord, ServiceProtection } from "../backups/types";
import type { CertState } from "../certs/types";
import type { CertificatesView, ServiceRef } from "../certs/view";
import type { LinkReading, VpnStatus } from "../integrations/types";
import type { NotificationRecord } from "../alerts/notifications";
import type { PanelRulesState } from "../alerts/page-data";
import { appLabel } from "../apps/catalogue";
import { appRunbookId } from "../runbooks";
import type { ChangeStatus } from "../gitops/change-state";
import type { DiscoveredService, HealthStatus } from "../services";
import type { ReadinessFix } from "./fixes";

export type CellState = "passed" | "failing" | "not-applicable";

/** Where a failing cell is fixed: a page with the action, or the page that proposes the pull request. */
export interface NextClick {
  label: string;
  href: string;
  /** `action`: a button on that page does it; `pull-request`: that page proposes a change through Git. */
  kind: "action" | "pull-request" | "page";
}

export interface ReadinessCell {
  requirement: RequirementId;
  state: CellState;
  /** Why, in one sentence: what passed, what is missing, or why it does not apply. */
  reason: string;
  /** The next click, on a failing cell. */
  fix?: NextClick;
  /** The fixes "make everything ready" runs for it, in order (the existing per-cell actions and pull requests). */
  actions?: ReadinessFix[];
}

export interface Score {
  passed: number;
  /** Cells that apply (passed + failing). */
  applicable: number;
  /** passed / applicable in percent, rounded down; 100 when nothing applies. */
  percent: number;
}

export interface ServiceReadiness {
  id: string;
  namespace: string;
  name: string;
  displayName: string;
  cells: ReadinessCell[];
  score: Score;
}

/** A source the matrix reads, and whether it could be read. */
export interface ReadinessSource {
  name: string;
  ok: boolean;
  message?: string;
}

export interface ReadinessMatrix {
  requirements: Array<{ id: RequirementId; label: string; description: string }>;
  services: ServiceReadiness[];
  score: Score;
  /** Sources that could not be read (their cells fail with the reason). */
  unreadable: ReadinessSource[];
  generatedAt: number;
}

/** What the matrix is computed from. A source left undefined could not be read: `errors` says why. */
export interface ReadinessInput {
  now: number;
  services: ReadonlyArray<{ service: DiscoveredService; status: HealthStatus; reason?: string }>;
  certificates?: Pick<CertificatesView, "certificates" | "hosts" | "httpsOnly">;
  backups?: { services: readonly ServiceProtection[]; records: ReadonlyArray<Pick<BackupRecord, "id" | "verification" | "verifiedAt">> };
  integrations?: { links: ReadonlyArray<Pick<LinkReading, "fromService" | "toService" | "fromName" | "toName" | "title" | "state" | "message"> & Partial<Pick<LinkReading, "key" | "fix" | "blocked" | "gitChange">>>; vpn: ReadonlyArray<Pick<VpnStatus, "service" | "status" | "message">> };
  alerts?: {
    prometheusConfigured: boolean;
    prometheusError: string | null;
    panelRules: PanelRulesState | null;
    notifications: ReadonlyArray<Pick<NotificationRecord, "event" | "status" | "target" | "sentAt">>;
    targets: number;
    /** The newest pull request that adds the panel's alert rules, when one was proposed: where it stands. */
    rulesChange?: { status: ChangeStatus; prUrl: string; files: readonly string[]; applications: number };
  };
  runbooks: { ids: ReadonlySet<string>; baseUrl?: string };
  /** Why a source is undefined, by source name (`certificates`, `backups`, `integrations`, `alerts`). */
  errors: Partial<Record<SourceName, string>>;
  settings: { certMinDays: number; drillIntervalDays: number; /** The claim "enable backups" proposes for the archives. */ backupClaim?: string };
}

type SourceName = "certificates" | "backups" | "integrations" | "alerts";

const DAY = 86_400_000;

/** A reason ends with one full stop, whether or not the message it quotes ends with one. */
function sentence(text: string): string {
  const trimmed = text.trim().replace(/\.+$/, "");
  return /[!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function cell(requirement: RequirementId, state: CellState, reason: string, fix?: NextClick, actions: ReadinessFix[] = []): ReadinessCell {
  return { requirement, state, reason: sentence(reason), ...(state === "failing" && fix ? { fix } : {}), ...(state === "failing" && actions.length > 0 ? { actions } : {}) };
}

function serviceHref(s: DiscoveredService): string {
  return `/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}`;
}

function unreadable(requirement: RequirementId, input: ReadinessInput, source: SourceName, href: string): ReadinessCell {
  return cell(requirement, "failing", `Cannot tell: the ${source} cannot be read (${input.errors[source] ?? "not configured"}).`, { label: `Open ${source}`, href, kind: "page" });
}

type Check = (s: DiscoveredService, input: ReadinessInput, entry: ReadinessInput["services"][number]) => ReadinessCell;

/** The requirements of a production-ready service, in the matrix's column order. */
export const REQUIREMENT_IDS = ["healthy", "wired", "https", "backed-up", "watched", "from-git", "runbook", "resources", "vpn"] as const;
export type RequirementId = (typeof REQUIREMENT_IDS)[number];

/** One requirement: its label, what it asks, and the one function that decides it. */
interface Requirement {
  label: string;
  description: string;
  check: Check;
}

const HEALTHY: Check = (s, _input, entry) => {
  const main = s.containerSpecs?.find((c) => c.main) ?? s.containerSpecs?.[0];
  if (entry.status !== "up") {
    return cell("healthy", "failing", `The panel's verdict is ${entry.status}${entry.reason ? `: ${entry.reason}` : ""}.`, { label: "See the service", href: serviceHref(s), kind: "page" });
  }
  const missing = main ? [main.readinessProbe ? null : "readiness", main.livenessProbe ? null : "liveness"].filter((m): m is string => m !== null) : ["readiness", "liveness"];
  if (missing.length > 0) {
    return cell("healthy", "failing", `Healthy, but no ${missing.join(" or ")} probe is defined${main ? ` on container ${main.name}` : ""}.`, {
      label: "Propose health probes",
      href: "/changes",
      kind: "pull-request",
    }, [{ kind: "change", request: { kind: "health-probes", target: s.id } }]);
  }
  return cell("healthy", "passed", "Healthy by the panel's verdict, with readiness and liveness probes.");
};

/** How a link that is not working is said in a reason ("Sonarr → qBittorrent (download client) is broken"). */
const LINK_STATE_WORDS: Record<LinkReading["state"], string> = {
  ok: "works",
  missing: "is not set up",
  misconfigured: "is set up differently from what the panel expects",
  broken: "is set up but its test fails",
  unknown: "cannot be checked",
  needs_git: "is configured only in its manifest, through Git",
};

const WIRED: Check = (s, input) => {
  if (!input.integrations) return unreadable("wired", input, "integrations", "/integrations");
  const links = input.integrations.links.filter((l) => l.fromService === s.id || l.toService === s.id);
  if (links.length === 0) return cell("wired", "not-applicable", "The integrations catalogue expects no link to or from it.");
  const bad = links.filter((l) => l.state !== "ok");
  if (bad.length === 0) return cell("wired", "passed", `${links.length} link${links.length === 1 ? "" : "s"} verified by the apps' own tests.`);
  const first = bad[0]!;
  const fixable = bad.filter((l) => l.key && l.fix && !l.blocked).map((l) => l.key!);
  // Links only a manifest configures: the pull request their definition names (once per change).
  const changes = [...new Map(bad.flatMap((l) => (l.gitChange ? [[JSON.stringify(l.gitChange), l.gitChange] as const] : []))).values()];
  return cell(
    "wired",
    "failing",
    `${bad.length} of ${links.length} links not working: ${first.fromName} → ${first.toName} (${first.title}) ${LINK_STATE_WORDS[first.state]}${first.message ? `: ${first.message}` : ""}.`,
    { label: "Fix the links", href: "/integrations", kind: "action" },
    [...(fixable.length > 0 ? [{ kind: "integrations" as const, keys: fixable }] : []), ...changes.map((request) => ({ kind: "change" as const, request }))],
  );
};

const WORSE: Record<CertState, number> = { critical: 3, warning: 2, unknown: 1, ok: 0 };

const HTTPS: Check = (s, input) => {
  if (s.ingressUrls.length === 0) return cell("https", "not-applicable", "Not exposed through an Ingress or route.");
  if (!input.certificates) return unreadable("https", input, "certificates", "/certificates");
  const mine = (refs: readonly ServiceRef[]) => refs.some((r) => r.id === s.id);
  const plain = s.ingressUrls.filter((u) => u.startsWith("http://"));
  const signals: Array<{ state: CertState; message: string; subject: string; fix: NextClick; actions: ReadinessFix[] }> = [];
  for (const r of input.certificates.certificates) {
    if (!mine(r.services)) continue;
    const renew: ReadinessFix[] = [{ kind: "renew-certificate", namespace: r.cert.namespace, name: r.cert.name }];
    for (const sig of r.signals) signals.push({ state: sig.state, message: sig.message, subject: `Certificate ${r.cert.namespace}/${r.cert.name}`, fix: { label: "Renew the certificate", href: "/certificates", kind: "action" }, actions: renew });
    if (r.daysLeft !== undefined && r.daysLeft <= input.settings.certMinDays && r.signals.length === 0) {
      signals.push({ state: "warning", message: `expires in ${r.daysLeft} days (under ${input.settings.certMinDays})`, subject: `Certificate ${r.cert.namespace}/${r.cert.name}`, fix: { label: "Renew the certificate", href: "/certificates", kind: "action" }, actions: renew });
    }
  }
  for (const r of input.certificates.hosts) {
    if (mine(r.services)) for (const sig of r.signals) signals.push({ state: sig.state, message: sig.message, subject: r.host, fix: { label: "See the certificates", href: "/certificates", kind: "page" }, actions: [] });
  }
  const httpsRows = input.certificates.httpsOnly.filter((r) => mine(r.services));
  const httpsOnlyChange = (ingress: string): ReadinessFix[] => [{ kind: "change", request: { kind: "https-only", ingress } }];
  for (const r of httpsRows) {
    for (const sig of r.signals) {
      signals.push({
        state: sig.state,
        message: sig.message,
        subject: `${r.host} (Ingress ${r.ingress})`,
        fix: r.fixable ? { label: "Propose the HTTPS redirect", href: "/certificates", kind: "pull-request" } : { label: "See the HTTPS checks", href: "/certificates", kind: "page" },
        actions: r.fixable ? httpsOnlyChange(r.ingress) : [],
      });
    }
  }
  const worst = signals.filter((x) => x.state === "critical" || x.state === "warning").sort((a, b) => WORSE[b.state] - WORSE[a.state])[0];
  if (worst) return cell("https", "failing", `${worst.subject}: ${worst.message}.`, worst.fix, worst.actions);
  if (plain.length > 0) {
    const fixable = httpsRows.find((r) => r.fixable);
    return cell("https", "failing", `Served on plain HTTP: ${plain[0]}.`, { label: "Propose TLS and the redirect", href: "/certificates", kind: "pull-request" }, fixable ? httpsOnlyChange(fixable.ingress) : []);
  }
  const certs = input.certificates.certificates.filter((r) => mine(r.services));
  const validHosts = input.certificates.hosts.filter((r) => mine(r.services) && r.state === "ok" && r.probe);
  if (certs.length === 0 && validHosts.length === 0) {
    return cell("https", "failing", "No certificate is known for its hosts, and no TLS probe has verified one yet.", { label: "See the certificates", href: "/certificates", kind: "page" });
  }
  const unchecked = httpsRows.filter((r) => r.redirect !== "yes");
  if (httpsRows.length > 0 && unchecked.length === httpsRows.length) {
    return cell("https", "failing", `Not verified HTTPS-only yet: ${unchecked[0]!.host} has no checked redirect from plain HTTP.`, { label: "Check the hosts now", href: "/certificates", kind: "action" }, [
      { kind: "probe-hosts", hosts: [...new Set(unchecked.map((r) => r.host))] },
    ]);
  }
  const days = certs.map((r) => r.daysLeft).filter((d): d is number => d !== undefined);
  const least = days.length > 0 ? Math.min(...days) : undefined;
  return cell("https", "passed", `HTTPS only, with a valid certificate${least !== undefined ? ` (${Math.floor(least)} days left)` : ""}.`);
};

const BACKED_UP: Check = (s, input) => {
  if (!input.backups) return unreadable("backed-up", input, "backups", "/backups");
  const p = input.backups.services.find((x) => x.serviceId === s.id);
  if (!p) return cell("backed-up", "not-applicable", "Outside the namespaces the backups cover.");
  if (p.state === "not-needed") return cell("backed-up", "not-applicable", "Nothing to back up: no configuration volume.");
  if (p.state === "unprotected") {
    return cell(
      "backed-up",
      "failing",
      `No backup: ${p.summary}${!p.enable.offered && p.enable.reason ? `; enable backups is not offered: ${p.enable.reason}` : ""}.`,
      p.enable.offered ? { label: "Enable backups", href: "/backups", kind: "pull-request" } : { label: "See the backups", href: "/backups", kind: "page" },
      p.enable.offered && input.settings.backupClaim ? [{ kind: "change", request: { kind: "enable-backups", target: s.id, backupClaim: input.settings.backupClaim } }] : [],
    );
  }
  if (p.state === "stale" || p.state === "never") {
    const now: ReadinessFix[] = p.backupNow === "volume" ? [{ kind: "backup-now", serviceId: s.id }, { kind: "drill", serviceId: s.id }] : [];
    return cell("backed-up", "failing", `${p.state === "never" ? "No good backup yet" : "Backup stale"}: ${p.summary}.`, { label: "Back up now", href: "/backups", kind: "action" }, now);
  }
  const good = p.lastGood ? input.backups.records.find((r) => r.id === p.lastGood!.id) : undefined;
  const drillAge = good?.verification === "verified" && good.verifiedAt ? input.now - good.verifiedAt : undefined;
  const days = input.settings.drillIntervalDays;
  const drill: ReadinessFix[] = p.lastGood?.source === "volume" ? [{ kind: "drill", serviceId: s.id }] : [];
  if (drillAge === undefined) {
    return cell("backed-up", "failing", `Backed up on schedule, but no restore drill has passed on the last good backup${good?.verification === "failed" ? " (the last drill failed)" : ""}.`, {
      label: "Run the drill",
      href: "/backups",
      kind: "action",
    }, drill);
  }
  if (days > 0 && drillAge > days * DAY) {
    return cell("backed-up", "failing", `Backed up on schedule, but the last restore drill passed ${Math.floor(drillAge / DAY)} days ago (more than ${days}).`, { label: "Run the drill", href: "/backups", kind: "action" }, drill);
  }
  return cell("backed-up", "passed", `${p.summary}; restore drill passed.`);
};

/**
 * Why the panel's alert rules are not in Prometheus, given the newest pull request that adds them:
 * none yet (propose it), open (merge it), merged but deployed by no Application (nothing brings the
 * file to the cluster), merged and waiting for the sync, or live but not reloaded by Prometheus.
 */
function rulesNotLoaded(change: NonNullable<ReadinessInput["alerts"]>["rulesChange"]): ReadinessCell {
  const propose: ReadinessFix[] = [{ kind: "change", request: { kind: "alert-rules" } }];
  const changes: NextClick = { label: "See the change", href: "/changes", kind: "page" };
  if (!change || change.status === "closed") {
    return cell("watched", "failing", "The panel's alert rules are not loaded in Prometheus.", { label: "Add the alert rules", href: "/alerts", kind: "pull-request" }, propose);
  }
  if (change.status === "open" || change.status === "pushed") {
    return cell("watched", "failing", `The pull request adding the panel's alert rules is not merged yet (${change.prUrl}): Prometheus loads them once it is merged and deployed.`, changes, propose);
  }
  const file = change.files[0] ?? "the rules file";
  if (change.applications === 0) {
    return cell(
      "watched",
      "failing",
      `The panel's alert rules are merged into Git, but no Argo CD Application deploys ${file}, so they never reach Prometheus: deploy that folder from an Application (an ApplicationSet whose element is commented out deploys nothing).`,
      { label: "See the Applications", href: "/applications", kind: "page" },
    );
  }
  if (change.status === "merged") return cell("watched", "failing", `The panel's alert rules are merged into Git; Argo CD has not synced ${file} yet.`, changes);
  return cell("watched", "failing", `The panel's alert rules are deployed (${file}), but Prometheus has not loaded them: it reloads its rule files when told (a configmap-reload sidecar, or POST /-/reload).`, {
    label: "See the alerts",
    href: "/alerts",
    kind: "page",
  });
}

const WATCHED: Check = (_s, input) => {
  if (!input.alerts) return unreadable("watched", input, "alerts", "/alerts");
  const a = input.alerts;
  if (!a.prometheusConfigured) return cell("watched", "failing", "No Prometheus is configured, so no alert rule watches it.", { label: "See the alerts", href: "/alerts", kind: "page" });
  if (a.prometheusError) return cell("watched", "failing", `Prometheus cannot be read: ${a.prometheusError}.`, { label: "See the alerts", href: "/alerts", kind: "page" });
  if (!a.panelRules?.loaded) return rulesNotLoaded(a.rulesChange);
  if (a.panelRules.unhealthy.length > 0) return cell("watched", "failing", `An alert rule fails in Prometheus: ${a.panelRules.unhealthy[0]}.`, { label: "See the alerts", href: "/alerts", kind: "page" });
  if (a.targets === 0) return cell("watched", "failing", "Alert rules loaded, but no notification target is configured.", { label: "Configure notifications", href: "/settings", kind: "page" });
  const delivered = a.notifications.find((n) => n.event === "test" && n.status === "sent");
  if (!delivered) return cell("watched", "failing", "Alert rules loaded, but no notification target has delivered a test message.", { label: "Send a test notification", href: "/settings", kind: "action" }, [{ kind: "test-notification" }]);
  return cell("watched", "passed", `${a.panelRules.count} alert rules loaded; ${delivered.target} delivered a test message.`);
};

const FROM_GIT: Check = (s) => {
  if (!s.argocdApp) return cell("from-git", "failing", "No Argo CD Application deploys it: it is not deployed from Git.", { label: "See the Applications", href: "/applications", kind: "page" });
  const a = s.argoState;
  const name = `${s.argocdApp.namespace}/${s.argocdApp.name}`;
  if (!a) return cell("from-git", "failing", `Application ${name} cannot be read.`, { label: "See the Applications", href: "/applications", kind: "page" });
  if (a.syncStatus !== "Synced" || a.health !== "Healthy") {
    const error = a.conditions.find((c) => c.type.endsWith("Error"));
    return cell("from-git", "failing", `Application ${name} is ${a.syncStatus} and ${a.health}${error ? `: ${error.type}: ${error.message}` : a.problems[0] ? `: ${a.problems[0].kind} ${a.problems[0].name} differs from Git` : ""}.`, {
      label: "See the Application",
      href: "/applications",
      kind: "action",
    });
  }
  return cell("from-git", "passed", `Application ${name} Synced and Healthy.`);
};

const RUNBOOK: Check = (s, input) => {
  if (input.runbooks.baseUrl) return cell("runbook", "passed", `Runbooks kept at ${input.runbooks.baseUrl}.`);
  const id = appRunbookId(s.appKind);
  if (input.runbooks.ids.has(id)) return cell("runbook", "passed", `Runbook ${id}.`);
  return cell("runbook", "failing", `No runbook for ${appLabel(s.appKind)} (${id}).`, { label: "See the runbooks", href: "/runbooks", kind: "page" });
};

const RESOURCES: Check = (s) => {
  const containers = s.containerSpecs ?? [];
  if (containers.length === 0) return cell("resources", "failing", "Its containers cannot be read.", { label: "See the service", href: serviceHref(s), kind: "page" });
  const gaps = containers.flatMap((c) => {
    const missing = [...(c.requests.length === 0 ? ["requests"] : []), ...(c.limits.length === 0 ? ["limits"] : [])];
    return missing.length > 0 ? [`container ${c.name} sets no ${missing.join(" and no ")}`] : [];
  });
  if (gaps.length > 0) {
    const text = gaps.join("; ");
    return cell("resources", "failing", `${text.charAt(0).toUpperCase()}${text.slice(1)}.`, { label: "Propose requests and limits", href: "/changes", kind: "pull-request" }, [
      { kind: "change", request: { kind: "resources", target: s.id } },
    ]);
  }
  return cell("resources", "passed", `Requests and limits set on ${containers.length === 1 ? "its container" : `all ${containers.length} containers`}.`);
};

const VPN: Check = (s, input) => {
  if (!input.integrations) return unreadable("vpn", input, "integrations", "/integrations");
  const v = input.integrations.vpn.find((x) => x.service === s.id);
  if (!v) return cell("vpn", "not-applicable", "Not a download client behind a VPN sidecar.");
  if (v.status === "protected") return cell("vpn", "passed", `Traffic protected by the VPN: ${v.message}.`);
  return cell("vpn", "failing", v.status === "leak" ? `${v.message}.` : `The leak check could not tell: ${v.message}.`, { label: "See the VPN check", href: "/integrations", kind: "page" });
};

/** Each requirement, decided in one place. */
export const REQUIREMENTS = {
  healthy: { label: "Healthy", description: "Running and healthy by the panel's verdict, with readiness and liveness probes defined.", check: HEALTHY },
  wired: { label: "Wired", description: "Every link the integrations catalogue expects for it works, verified by the apps' own tests.", check: WIRED },
  https: { label: "HTTPS", description: "Reachable over HTTPS only, with a valid certificate more than 30 days (by default) from expiry.", check: HTTPS },
  "backed-up": { label: "Backed up", description: "Configuration backed up on schedule, the last backup fresh, a restore drill passed recently.", check: BACKED_UP },
  watched: { label: "Watched", description: "Alert rules loaded, and a notification target that has delivered a test message.", check: WATCHED },
  "from-git": { label: "From Git", description: "Deployed by an Argo CD Application that is Synced and Healthy.", check: FROM_GIT },
  runbook: { label: "Runbook", description: "A runbook says what to do when it breaks.", check: RUNBOOK },
  resources: { label: "Resources", description: "Requests and limits set on every container.", check: RESOURCES },
  vpn: { label: "VPN", description: "For download clients: traffic protected by the VPN (the leak check passing).", check: VPN },
} satisfies Record<RequirementId, Requirement>;

/** The score of a list of cells. */
export function scoreOf(cells: readonly ReadinessCell[]): Score {
  const applicable = cells.filter((c) => c.state !== "not-applicable").length;
  const passed = cells.filter((c) => c.state === "passed").length;
  return { passed, applicable, percent: applicable === 0 ? 100 : Math.floor((passed * 100) / applicable) };
}

/** The matrix: every service (worst score first) × every requirement, and the stack's score. */
export function readinessMatrix(input: ReadinessInput): ReadinessMatrix {
  const services: ServiceReadiness[] = input.services.map((entry) => {
    const s = entry.service;
    const cells = REQUIREMENT_IDS.map((id) => REQUIREMENTS[id].check(s, input, entry));
    return { id: s.id, namespace: s.namespace, name: s.name, displayName: s.displayName, cells, score: scoreOf(cells) };
  });
  services.sort((a, b) => a.score.percent - b.score.percent || a.id.localeCompare(b.id));
  const unreadableSources: ReadinessSource[] = (Object.keys(input.errors) as SourceName[]).map((name) => ({ name, ok: false, message: input.errors[name] ?? "" }));
  return {
    requirements: REQUIREMENT_IDS.map((id) => ({ id, label: REQUIREMENTS[id].label, description: REQUIREMENTS[id].description })),
    services,
    score: scoreOf(services.flatMap((s) => s.cells)),
    unreadable: unreadableSources,
    generatedAt: input.now,
  };
}

/** The failing cells of the matrix, grouped by requirement, for the summary. */
export function failingByRequirement(matrix: ReadinessMatrix): Array<{ id: RequirementId; label: string; services: string[] }> {
  return matrix.requirements
    .map((r) => ({ id: r.id, label: r.label, services: matrix.services.filter((s) => s.cells.some((c) => c.requirement === r.id && c.state === "failing")).map((s) => s.id) }))
    .filter((g) => g.services.length > 0);
}
