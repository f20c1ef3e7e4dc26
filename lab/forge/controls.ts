import type { MergeOptions, MergeResult } from "./server";

/** Where a forge runs and the token it accepts (`apps.forge`). */
export interface ForgeEndpoint {
  apiUrl: string;
  token: string;
  owner: string;
  repo: string;
}

/** A failed control call, with the forge's HTTP status and GitHub-shaped body. */
export class ForgeControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`forge control: HTTP ${status} ${JSON.stringify(body)}`);
  }
}

/**
 * Test and demo controls of the lab forge, over its admin endpoint: merge or close a pull request
 * the way a reviewer would on GitHub, and list pull requests with their full state.
 */
export class ForgeControls {
  constructor(private readonly endpoint: ForgeEndpoint) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.endpoint.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.endpoint.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const parsed: unknown = text === "" ? undefined : JSON.parse(text);
    if (!res.ok) throw new ForgeControlError(res.status, parsed);
    return parsed as T;
  }

  /** Merges pull request `number` into its base branch (default method `merge`: a merge commit). */
  mergePull(number: number, opts: MergeOptions = {}): Promise<MergeResult> {
    return this.request("POST", `/_lab/pulls/${number}/merge`, {
      ...(opts.method !== undefined ? { method: opts.method } : {}),
      ...(opts.commitTitle !== undefined ? { commit_title: opts.commitTitle } : {}),
      ...(opts.commitMessage !== undefined ? { commit_message: opts.commitMessage } : {}),
    });
  }

  /** Closes pull request `number` without merging; answers the pull request. */
  closePull(number: number): Promise<Record<string, unknown>> {
    return this.request("POST", `/_lab/pulls/${number}/close`);
  }

  /**
   * Fault: the next `times` pull request creations are refused with 401 "Bad credentials" (the token
   * revoked after a push); with `headIncludes`, only those whose head branch contains it.
   */
  refusePullCreation(times = 1, headIncludes?: string): Promise<{ refusePullCreations: number }> {
    return this.request("POST", "/_lab/faults/refuse-pull-creation", { times, ...(headIncludes ? { headIncludes } : {}) });
  }

  /** Every pull request (open and closed), as GitHub's full pull-request objects. */
  listPulls(): Promise<Record<string, unknown>[]> {
    return this.request("GET", "/_lab/pulls");
  }
}
