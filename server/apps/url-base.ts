import "server-only";
import { APP_CATALOGUE } from "@/lib/apps/catalogue";
import { isAppError } from "@/lib/errors";
import { mergeCandidates, type UrlBaseCandidate } from "@/lib/k8s/url-base";
import type { DiscoveredService, UrlBaseOutcome, UrlBaseTrial } from "@/lib/services";
import type { AppModule } from "./define";
import { endpointUrl, readEndpoint } from "./endpoint";

/**
 * The URL base verification: discovery lists where the manifests suggest an app serves
 * (`DiscoveredService.urlBaseCandidates`: the annotation, the app's own settings, the routes in front
 * of it with and without their rewrite, the root); this tries them in order against the app's
 * identity endpoint (a catalogue fact) and keeps the first under which the app answers as itself.
 *
 * Cost: one request per candidate tried, once per app; the outcome is remembered until the
 * candidates change or a request under the base fails as a wrong base would (`forget`). When the
 * first candidate gets no answer at all (the app is down), the others are not tried: they share its
 * address. An outcome without a verified base is tried again after `retryMs`.
 */

export interface UrlBaseVerifierOptions {
  now?: () => number;
  /** How long an unverified outcome is reused before the candidates are tried again (default 5 min). */
  retryMs?: number;
  /**
   * More candidates for a service, read elsewhere (the ConfigMaps its pod mounts, from the GitOps
   * repository); merged with discovery's in source order. Failures are the provider's to swallow.
   */
  moreCandidates?: (service: DiscoveredService) => Promise<readonly UrlBaseCandidate[]>;
}

/** What a verification needs to call the app. */
export interface VerifyContext {
  /** The app's base URL under a URL base (the address map applied). */
  baseUrlFor(urlBase: string): string;
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Memo {
  key: string;
  outcome: UrlBaseOutcome;
}

function describeError(error: unknown): string {
  return isAppError(error) ? error.message : (error as Error).message;
}

/** The candidates of a service as discovery gave them (older services carry only the guess). */
function candidatesOf(service: DiscoveredService): UrlBaseCandidate[] {
  if (service.urlBaseCandidates && service.urlBaseCandidates.length > 0) return service.urlBaseCandidates;
  return [{ urlBase: service.urlBase, source: service.urlBaseSource ?? "default", reason: service.urlBaseSource ?? "discovery" }];
}

export class UrlBaseVerifier {
  private readonly memo = new Map<string, Memo>();
  private readonly running = new Map<string, Promise<{ outcome: UrlBaseOutcome; checkedNow: boolean }>>();
  private readonly now: () => number;
  private readonly retryMs: number;

  constructor(private readonly options: UrlBaseVerifierOptions = {}) {
    this.now = options.now ?? Date.now;
    this.retryMs = options.retryMs ?? 5 * 60_000;
  }

  /** The outcome last decided for a service (no request). */
  current(serviceId: string): UrlBaseOutcome | undefined {
    return this.memo.get(serviceId)?.outcome;
  }

  /** Forgets a service's outcome: the next `resolve` verifies again (after a request under the base failed as a wrong base would). */
  forget(serviceId: string): void {
    this.memo.delete(serviceId);
  }

  /** Forgets the services that no longer exist. */
  prune(serviceIds: Iterable<string>): void {
    const keep = new Set(serviceIds);
    for (const id of this.memo.keys()) if (!keep.has(id)) this.memo.delete(id);
  }

  /**
   * The URL base to use for a service's app: remembered, or verified now. Never throws; a
   * verification that gets no answer gives the best guess (`unverified`).
   */
  async resolve(service: DiscoveredService, module: AppModule, ctx: VerifyContext): Promise<{ outcome: UrlBaseOutcome; checkedNow: boolean }> {
    const more = this.options.moreCandidates ? await this.options.moreCandidates(service).catch(() => []) : [];
    const candidates = more.length > 0 ? mergeCandidates(candidatesOf(service), more) : candidatesOf(service);
    const identity = APP_CATALOGUE[module.id].identity;
    const key = JSON.stringify([module.id, identity?.path ?? null, candidates.map((c) => [c.urlBase, c.source]), ctx.baseUrlFor("")]);
    const hit = this.memo.get(service.id);
    if (hit && hit.key === key && (hit.outcome.state !== "unverified" || this.now() - hit.outcome.at < this.retryMs)) return { outcome: hit.outcome, checkedNow: false };
    const first = candidates[0] ?? { urlBase: "", source: "default" as const, reason: "the root" };
    if (!identity) {
      const outcome: UrlBaseOutcome = { ...first, state: "unchecked", at: this.now(), tried: [] };
      this.memo.set(service.id, { key, outcome });
      return { outcome, checkedNow: false };
    }
    // One verification per service at a time: the prober and the Integrations page share it.
    const running = this.running.get(service.id);
    if (running) return running;
    const work = this.verify(service, module, candidates, ctx)
      .then((outcome) => {
        if (!ctx.signal?.aborted) this.memo.set(service.id, { key, outcome });
        return { outcome, checkedNow: true };
      })
      .finally(() => this.running.delete(service.id));
    this.running.set(service.id, work);
    return work;
  }

  private async verify(service: DiscoveredService, module: AppModule, candidates: readonly UrlBaseCandidate[], ctx: VerifyContext): Promise<UrlBaseOutcome> {
    const identity = APP_CATALOGUE[module.id].identity;
    const tried: UrlBaseTrial[] = [];
    let found: UrlBaseCandidate | undefined;
    let version: string | undefined;
    if (identity) {
      for (const c of candidates) {
        const url = endpointUrl(ctx.baseUrlFor(c.urlBase), c.urlBase, identity);
        try {
          const r = await readEndpoint({ timeoutMs: ctx.timeoutMs, appName: module.displayName, source: module.id }, url, identity, ctx.signal);
          tried.push({ ...c, ok: r.matches, outcome: r.matches ? `answered as ${module.displayName}${r.version ? ` ${r.version}` : ""}` : (r.mismatch ?? `HTTP ${r.status}`) });
          if (r.matches) {
            found = c;
            version = r.version;
            break;
          }
        } catch (error) {
          tried.push({ ...c, ok: false, outcome: describeError(error) });
          // No answer at all: the app is down or unreachable, and every candidate shares its address.
          break;
        }
      }
    }
    const at = this.now();
    const first = candidates[0] ?? { urlBase: "", source: "default" as const, reason: "the root" };
    if (!found) return { ...first, state: "unverified", at, tried };
    const outcome: UrlBaseOutcome = { ...found, state: "verified", at, tried };
    const annotation = candidates.find((c) => c.source === "annotation");
    if (annotation && annotation !== found) {
      const why = tried.find((t) => t.source === "annotation")?.outcome ?? "it was not tried";
      const shown = (b: string) => (b === "" ? "/" : b);
      outcome.wrongAnnotation =
        `The annotation k8s-nas-panel/url-base says ${shown(annotation.urlBase)}, but ${module.displayName} does not answer there (${why}); ` +
        `it answers under ${shown(found.urlBase)} (${found.reason})${version ? `, as ${module.displayName} ${version}` : ""}. Fix or remove the annotation.`;
    }
    return outcome;
  }
}

const holder = globalThis as typeof globalThis & { __panelUrlBases?: UrlBaseVerifier };

/** The process-wide verifier, shared by the prober and the Integrations page. */
export function getUrlBaseVerifier(): UrlBaseVerifier {
  holder.__panelUrlBases ??= new UrlBaseVerifier();
  return holder.__panelUrlBases;
}

/** Installs the process-wide verifier (at start, with the GitOps repository's ConfigMaps as more candidates). */
export function setUrlBaseVerifier(verifier: UrlBaseVerifier): void {
  holder.__panelUrlBases = verifier;
}
