/**
 * The integrations model: the links the stack needs (Prowlarr -> Sonarr, Sonarr -> qBittorrent, ...),
 * what each link looks like right now, the plan that would make it right and what applying it did.
 * Plain serialisable data shared by the server, the server actions and the UI. No value in here is
 * ever a secret: secret fields appear only as `secret: true` with a word ("set", "differs").
 */
import type { ChangeRequest } from "../gitops/change-kinds";


/**
 * State of one link, as the apps themselves report it:
 * - `ok`: configured as the panel expects and the app's own `test` succeeds;
 * - `missing`: the app has no such configuration;
 * - `misconfigured`: it exists but fields differ (see the diff);
 * - `broken`: it exists and looks right, but the app's `test` fails (the app's message is kept);
 * - `unknown`: the panel could not tell (an app is down, a key is refused); the reason says why;
 * - `needs_git`: configured only through manifests (Unpackerr): a Git change, not an API call.
 */
export const LINK_STATES = ["ok", "missing", "misconfigured", "broken", "unknown", "needs_git"] as const;
export type LinkState = (typeof LINK_STATES)[number];

/** Worst first, for sorting and for the summary. */
export const LINK_STATE_SEVERITY: Record<LinkState, number> = {
  broken: 5,
  misconfigured: 4,
  missing: 3,
  unknown: 2,
  needs_git: 1,
  ok: 0,
};

/** Kinds of link, used for grouping and wording. */
export type LinkKind =
  | "download-client"
  | "indexer-sync"
  | "root-folder"
  | "media-server"
  | "request-target"
  | "subtitles"
  | "indexer-proxy"
  | "gitops";

/** One field that differs between what an app holds and what the panel would set. */
export interface FieldDiff {
  /** API field name (`port`, `tvCategory`, `baseUrl`). */
  field: string;
  /** Human label ("Port", "Category"). */
  label: string;
  /** Current value as text; null when the field is empty or absent. Never a secret. */
  current: string | null;
  /** Value the panel would set; null to clear. Never a secret. */
  desired: string | null;
  /** A secret field (key, password): the values are words, not values ("set", "differs"). */
  secret?: boolean;
}

/** A choice the person can change in the preview (Jellyseerr's quality profile, root folder). */
export interface PlanOption {
  name: string;
  label: string;
  value: string;
  choices: Array<{ value: string; label: string }>;
}

/** What the panel observed about one link. */
export interface LinkReading {
  /** Stable key of this link instance: `<definition>|<from service>|<to service>`. */
  key: string;
  /** Definition id, e.g. `sonarr->qbittorrent`. */
  id: string;
  kind: LinkKind;
  /** App kinds at both ends (the target may be a place such as `storage`). */
  from: string;
  to: string;
  /** Service ids (`media/sonarr`); `to` is absent for targets that are not services. */
  fromService: string;
  toService?: string;
  /** "Sonarr", "qBittorrent" (with the instance name when there are several). */
  fromName: string;
  toName: string;
  /** What the link is, e.g. "download client", "application (full sync)". */
  title: string;
  state: LinkState;
  /** One sentence: the app's test message when broken, the reason when unknown. */
  message?: string;
  /** The app's own messages, verbatim (validation failures, test failures). */
  appMessages?: string[];
  diff: FieldDiff[];
  /** Facts worth showing ("accessible, 1.4 TB free", "sync level full sync"). */
  facts?: string[];
  /** When fixing is possible: what the fix would do, in words. */
  fix?: { verb: "create" | "update"; words: string };
  /** Why the panel will not fix it by itself (a refused qBittorrent password, a Git change). */
  blocked?: string;
  /** A page that helps with a blocked link (the GitOps Changes page for Unpackerr). */
  helpHref?: string;
  /** The change through Git that fixes a link configured only in manifests (`needs_git`). */
  gitChange?: ChangeRequest;
  options?: PlanOption[];
  checkedAt: number;
}

/** One step of a plan: the change to one link, in words and as a field diff. */
export interface PlanStep {
  key: string;
  id: string;
  title: string;
  fromName: string;
  toName: string;
  state: LinkState;
  verb: "create" | "update";
  words: string;
  diff: FieldDiff[];
  options?: PlanOption[];
}

/** The preview of "fix": the steps, and the links that need no or no automatic change. */
export interface IntegrationPlan {
  steps: PlanStep[];
  /** Links that are fine. */
  unchanged: number;
  /** Links that cannot be fixed here, with the reason. */
  skipped: Array<{ key: string; title: string; reason: string }>;
  createdAt: number;
}

/** Outcome of applying one step. */
export type ApplyOutcome = "created" | "updated" | "unchanged" | "failed" | "skipped";

export interface LinkApplyResult {
  key: string;
  id: string;
  title: string;
  outcome: ApplyOutcome;
  /** What happened, in words; for a failure the app's messages follow in `appMessages`. */
  message: string;
  appMessages?: string[];
  /** Labels of the fields that were written. */
  changed: string[];
  /** The link as read again after the change (state verified by the app's own test). */
  after?: LinkReading;
}

/** What "apply" returns. */
export interface ApplyReport {
  results: LinkApplyResult[];
  changed: number;
  failed: number;
  unchanged: number;
  durationMs: number;
}

/** Status of an app's API key (or login), never its value. */
export interface KeyStatus {
  app: string;
  service: string;
  name: string;
  /** "API key" or "login". */
  credential: "api key" | "login";
  present: boolean;
  /** "present, ends in …4f2a" at most. */
  hint: string;
  /** Where it was read (Secret and key name, variable name), never the value. */
  source?: string;
  /**
   * `accepted`: the app took it; `rejected`: the app refused it; `missing`: not where the panel
   * looked; `forbidden`: the cluster does not let the panel read it (RBAC); `unknown`: could not tell.
   */
  verdict: "accepted" | "rejected" | "missing" | "forbidden" | "unknown";
  message?: string;
}

/** The VPN verdict for one download client behind Gluetun. */
export interface VpnStatus {
  /** Service id of the workload the Gluetun sidecar belongs to (`qbittorrent/qbittorrent`). */
  service: string;
  name: string;
  status: "protected" | "leak" | "unknown";
  /** One sentence: "exits from 198.51.100.23 (Toronto, Canada)", "LEAK: traffic exits from the home IP 203.0.113.45". */
  message: string;
  publicIp?: string;
  country?: string;
  city?: string;
  vpnStatus?: string;
  checkedAt: number;
}

/** Everything the Integrations page shows. */
export interface IntegrationsView {
  links: LinkReading[];
  keys: KeyStatus[];
  vpn: VpnStatus[];
  /** Problems that hide links (discovery unavailable, ...). */
  notices: string[];
  readAt: number;
  durationMs: number;
}
