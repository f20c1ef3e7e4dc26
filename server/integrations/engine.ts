import "server-only";
import { isAppError } from "@/lib/errors";
import { planFromReadings } from "@/lib/integrations/plan";
import type { ApplyReport, IntegrationPlan, LinkApplyResult, LinkReading } from "@/lib/integrations/types";
import { AppHttpError, scrubSecrets } from "@/server/apps/http";
import { getAppInstances } from "@/server/apps/instances";
import type { AppEnd, LinkContext, LinkDefinition, Observation } from "@/server/apps/links";
import { logger } from "@/server/observability/logger";
import { bareLinkKinds, linkCatalogue } from "./catalogue";
import { defaultEndsSource, discoverEnds, secretsOf, type EndsSnapshot, type EndsSource } from "./ends";
import { getAppLocks } from "./locks";
import { TestFailureCache } from "./test-cache";

/**
 * The integrations engine: read every link from the apps, plan the fixes, apply them.
 *
 * - read: the links whose apps are both deployed, each read by its definition (the app's API and
 *   its own `test`), at most a few at a time; a failure of one link is that link's `unknown` state.
 * - apply: per app, under that app's lock, read the link again, write it if it still needs it, then
 *   read it once more (which runs the app's test). Links of different apps run side by side;
 *   phase 2 (Prowlarr, Bazarr, Jellyseerr) waits for phase 1 (root folders, download clients).
 *   Every link reports what was and was not changed; nothing is retried.
 */

const log = logger.child({ component: "integrations" });

/** Options shared by read and apply. */
export interface EngineOptions {
  /** Where discovery and credentials come from (the process-wide ones by default). */
  source?: EndsSource;
  /** Where the Unpackerr link sends people (the Changes page), when GitOps is configured. */
  changesHref?: () => string | undefined;
  /** A discovery already made (the page reads links, keys and the VPN from one). */
  snapshot?: EndsSnapshot;
}

/** One link instance: a definition bound to its two ends. */
interface BoundLink {
  def: LinkDefinition;
  key: string;
  from: AppEnd;
  to?: AppEnd;
}

const holder = globalThis as typeof globalThis & { __panelTestFailures?: TestFailureCache; __panelTestTtlMs?: number };

function testCache(ttlMs: number): TestFailureCache {
  holder.__panelTestTtlMs = ttlMs;
  holder.__panelTestFailures ??= new TestFailureCache(() => holder.__panelTestTtlMs ?? 60_000);
  return holder.__panelTestFailures;
}

/** Forgets cached test failures (tests; after credentials changed). */
export function clearTestFailures(): void {
  holder.__panelTestFailures?.clear("");
}

function defaultChangesHref(source: EndsSource): () => string | undefined {
  return () => (source.config.gitops ? "/changes" : undefined);
}

/** Binds each definition to its deployed ends. */
function bindLinks(defs: readonly LinkDefinition[], snapshot: EndsSnapshot): BoundLink[] {
  const out: BoundLink[] = [];
  for (const def of defs) {
    const froms = snapshot.ends.get(def.from) ?? [];
    for (const from of froms) {
      if (def.to === "storage") {
        out.push({ def, key: `${def.id}|${from.serviceId}|-`, from });
        continue;
      }
      const tos = snapshot.ends.get(def.to) ?? [];
      for (const to of def.pairing === "each" ? tos : tos.slice(0, 1)) out.push({ def, key: `${def.id}|${from.serviceId}|${to.serviceId}`, from, to });
    }
  }
  return out;
}

/**
 * A login check of the apps that have a login, through the instance the prober shares (so its
 * back-off after a refused login holds), once per run; apps without a login are always ok.
 */
function loginChecker(snapshot: EndsSnapshot): (end: AppEnd) => Promise<{ ok: true } | { ok: false; reason: string }> {
  const memo = new Map<string, Promise<{ ok: true } | { ok: false; reason: string }>>();
  return (end) => {
    const resolution = snapshot.resolutions.get(end.serviceId);
    if (!resolution?.module.hasLogin) return Promise.resolve({ ok: true });
    const id = `${end.serviceId}|${resolution.fingerprint}`;
    const hit = memo.get(id);
    if (hit) return hit;
    const instance = getAppInstances().get(resolution);
    const check = (async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
      if (!instance.login) return { ok: true };
      try {
        await instance.login();
        return { ok: true };
      } catch (error) {
        if (isAppError(error) && (error.code === "unauthorized" || error.code === "forbidden")) return { ok: false, reason: error.message };
        return { ok: true };
      }
    })();
    memo.set(id, check);
    return check;
  };
}

function contextFor(link: BoundLink, snapshot: EndsSnapshot, source: EndsSource, extra: { choices?: Record<string, string>; checkLogin: LinkContext["checkLogin"] }): LinkContext {
  return {
    from: link.from,
    ...(link.to ? { to: link.to } : {}),
    ends: snapshot.ends,
    settings: source.config.integrations,
    choices: extra.choices ?? {},
    secrets: secretsOf(snapshot.ends),
    checkLogin: extra.checkLogin,
    testCache: testCache(source.config.integrations.failedTestCacheSeconds * 1000),
  };
}

function scrubObservation(obs: Observation, secrets: readonly string[]): Observation {
  const s = (t: string) => scrubSecrets(t, secrets);
  return {
    ...obs,
    ...(obs.message !== undefined ? { message: s(obs.message) } : {}),
    ...(obs.appMessages ? { appMessages: obs.appMessages.map(s) } : {}),
    ...(obs.facts ? { facts: obs.facts.map(s) } : {}),
    ...(obs.blocked !== undefined ? { blocked: s(obs.blocked) } : {}),
    ...(obs.fix ? { fix: { ...obs.fix, words: s(obs.fix.words) } } : {}),
  };
}

function toReading(link: BoundLink, obs: Observation): LinkReading {
  const { handle: _handle, ...rest } = obs;
  void _handle;
  return {
    key: link.key,
    id: link.def.id,
    kind: link.def.kind,
    from: link.def.from,
    to: link.def.to,
    fromService: link.from.serviceId,
    ...(link.to ? { toService: link.to.serviceId } : {}),
    fromName: link.from.name,
    toName: link.to?.name ?? link.def.targetName ?? link.def.to,
    title: link.def.title,
    ...rest,
    checkedAt: Date.now(),
  };
}

async function observe(link: BoundLink, ctx: LinkContext): Promise<Observation> {
  try {
    return scrubObservation(await link.def.read(ctx), ctx.secrets);
  } catch (error) {
    const message = isAppError(error) ? error.message : "The panel could not read this link (see its log).";
    if (!isAppError(error)) log.error({ err: error, link: link.key }, "reading a link failed");
    const appMessages = error instanceof AppHttpError && error.appMessages.length > 0 ? error.appMessages : undefined;
    return scrubObservation({ state: "unknown", message, diff: [], ...(appMessages ? { appMessages } : {}) }, ctx.secrets);
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Discovery, bound links and the definitions, once per read or apply. */
async function prepare(options: EngineOptions): Promise<{ source: EndsSource; snapshot: EndsSnapshot; links: BoundLink[] }> {
  const source = options.source ?? defaultEndsSource();
  const defs = linkCatalogue({ changesHref: options.changesHref ?? defaultChangesHref(source) });
  const snapshot = options.snapshot ?? (await discoverEnds(source, bareLinkKinds(defs)));
  return { source, snapshot, links: bindLinks(defs, snapshot) };
}

/** Reads every link; never throws. */
export async function readLinks(options: EngineOptions = {}): Promise<{ links: LinkReading[]; notices: string[]; snapshot: EndsSnapshot }> {
  const { source, snapshot, links } = await prepare(options);
  const checkLogin = loginChecker(snapshot);
  const readings = await mapLimit(links, 6, async (link) => toReading(link, await observe(link, contextFor(link, snapshot, source, { checkLogin }))));
  const notices = [...snapshot.notices];
  if (snapshot.services.length > 0 && links.length === 0) notices.push("None of the apps that link to each other (Sonarr, Radarr, Prowlarr, qBittorrent, ...) were found.");
  return { links: readings, notices, snapshot };
}

/** The plan for all links, or for the keys given. */
export async function planIntegrations(keys?: readonly string[], options: EngineOptions = {}): Promise<{ plan: IntegrationPlan; links: LinkReading[] }> {
  const { links } = await readLinks(options);
  return { plan: planFromReadings(links, keys), links };
}

/** What a person asked to apply. */
export interface ApplyRequest {
  /** Link keys; all fixable links when absent. */
  keys?: readonly string[];
  /** Choices made in the preview, by link key then option name. */
  choices?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

async function applyOne(link: BoundLink, snapshot: EndsSnapshot, source: EndsSource, request: ApplyRequest, checkLogin: LinkContext["checkLogin"]): Promise<LinkApplyResult> {
  const ctx = contextFor(link, snapshot, source, { choices: { ...(request.choices?.[link.key] ?? {}) }, checkLogin });
  const title = `${link.from.name} → ${link.to?.name ?? link.def.targetName ?? link.def.to}: ${link.def.title}`;
  const base = { key: link.key, id: link.def.id, title };
  const before = await observe(link, ctx);
  if (before.state === "ok") return { ...base, outcome: "unchanged", message: "Already right; nothing written.", changed: [], after: toReading(link, before) };
  // A credential that could not be read (the cluster unreachable, a Secret refused) is the reason the
  // app answered 401, not a missing key: say that, and write nothing with half the facts.
  const unreadable = [link.from, link.to]
    .map((end) => (end ? snapshot.resolutions.get(end.serviceId) : undefined))
    .find((r) => r?.credentialError === "unreadable" && r.credentialProblem);
  if (unreadable) {
    const who = unreadable.module.displayName;
    return { ...base, outcome: "skipped", message: `Not changed: ${who}'s credential could not be read (${unreadable.credentialProblem}); nothing was written. Try again once it can be read.`, changed: [], after: toReading(link, before) };
  }
  if (!before.fix || before.blocked || before.state === "unknown" || before.state === "needs_git") {
    const reason = before.blocked ?? (before.state === "unknown" ? `cannot be read: ${before.message ?? "reason unknown"}` : (before.message ?? "no automatic fix"));
    return { ...base, outcome: "skipped", message: `Not changed: ${reason}`, changed: [], after: toReading(link, before) };
  }
  let outcome: LinkApplyResult;
  try {
    const written = await link.def.apply(ctx, before);
    outcome = { ...base, outcome: written.outcome, message: scrubSecrets(written.message, ctx.secrets), changed: written.changed };
  } catch (error) {
    const message = isAppError(error) ? error.message : "The change failed inside the panel (see its log).";
    if (!isAppError(error)) log.error({ err: error, link: link.key }, "applying a link failed");
    const appMessages = error instanceof AppHttpError && error.appMessages.length > 0 ? error.appMessages.map((m) => scrubSecrets(m, ctx.secrets)) : undefined;
    outcome = {
      ...base,
      outcome: "failed",
      message: `Not changed: ${scrubSecrets(message, ctx.secrets)}`,
      ...(appMessages ? { appMessages } : {}),
      changed: [],
    };
  }
  ctx.testCache.clear(`${link.def.id}|${link.from.serviceId}`);
  const after = await observe(link, ctx);
  const reading = toReading(link, after);
  if (outcome.outcome !== "failed" && after.state !== "ok") {
    return {
      ...outcome,
      outcome: "failed",
      message: `${outcome.message} Written, but the app's check still says ${after.state}: ${after.message ?? "no reason given"}`,
      ...(after.appMessages ? { appMessages: after.appMessages } : {}),
      after: reading,
    };
  }
  return { ...outcome, after: reading };
}

/**
 * Applies the fixes: every fixable link, or the keys asked for. Per app under its lock, phase by
 * phase; each link is read again before and after its write.
 */
export async function applyIntegrations(request: ApplyRequest = {}, options: EngineOptions = {}): Promise<ApplyReport> {
  const started = performance.now();
  const { source, snapshot, links } = await prepare(options);
  const wanted = request.keys ? new Set(request.keys) : undefined;
  const selected = links.filter((l) => !wanted || wanted.has(l.key)).filter((l) => l.def.kind !== "gitops" || wanted !== undefined);
  const checkLogin = loginChecker(snapshot);
  const locks = getAppLocks();
  const results: LinkApplyResult[] = [];
  for (const phase of [1, 2] as const) {
    const byApp = new Map<string, BoundLink[]>();
    for (const l of selected.filter((x) => x.def.phase === phase)) byApp.set(l.from.serviceId, [...(byApp.get(l.from.serviceId) ?? []), l]);
    const groups = await Promise.all(
      [...byApp.entries()].map(([serviceId, group]) =>
        locks.run(serviceId, async () => {
          const out: LinkApplyResult[] = [];
          for (const link of group) out.push(await applyOne(link, snapshot, source, request, checkLogin));
          return out;
        }),
      ),
    );
    results.push(...groups.flat());
  }
  const order = new Map(links.map((l, i) => [l.key, i]));
  results.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
  const report: ApplyReport = {
    results,
    changed: results.filter((r) => r.outcome === "created" || r.outcome === "updated").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    unchanged: results.filter((r) => r.outcome === "unchanged").length,
    durationMs: Math.round(performance.now() - started),
  };
  log.info(
    { changed: report.changed, failed: report.failed, unchanged: report.unchanged, durationMs: report.durationMs, links: results.filter((r) => r.outcome !== "unchanged").map((r) => `${r.id}:${r.outcome}`) },
    "integrations applied",
  );
  return report;
}

/** The ends by kind of a fresh discovery (links, keys status, VPN read from one). */
export async function discoverAppEnds(options: EngineOptions = {}): Promise<{ source: EndsSource; snapshot: EndsSnapshot }> {
  const source = options.source ?? defaultEndsSource();
  const defs = linkCatalogue({ changesHref: options.changesHref ?? defaultChangesHref(source) });
  return { source, snapshot: await discoverEnds(source, bareLinkKinds(defs)) };
}
