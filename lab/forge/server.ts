import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import OpenAPIBackend from "openapi-backend";
import type { Context, Document } from "openapi-backend";
import addFormats from "ajv-formats";
import type { ErrorObject } from "ajv";
import { GitCommandError, GitStore, TreeEntryError } from "./git-store";
import type { CommitInfo, GitIdentity, NewTreeEntry } from "./git-store";
import { PullStore, pullJson } from "./pulls";
import type { PullRecord, PullView } from "./pulls";
import { contentItem, fileCommit, gitCommit, gitRef, gitTree, githubBase64, labelJson, nodeId, repository } from "./shapes";
import type { ForgeUrls } from "./shapes";
import { describeErrors, encodeMultiSegment, forgeDescription, multiSegmentPrefixes, SpecValidator } from "./spec";
import { specChecks } from "../paths";

/** How one forge instance is set up. */
export interface ForgeConfig {
  bareDir: string;
  owner: string;
  repo: string;
  /** The one API token the forge accepts (`Authorization: Bearer|token <t>`). */
  token: string;
  /** Clone URL reported as `clone_url` (the lab's git smart-HTTP URL). */
  cloneUrl: string;
  /** JSON file for pull requests. */
  stateFile: string;
  specFile?: string;
  /** Check every response against the spec; a mismatch becomes a 500 naming the violation. */
  validateResponses?: boolean;
  /** Echoed by `/_lab/health`, so a launcher can tell whether a running forge has its config. */
  configId?: string;
  log?: (m: string) => void;
}

/** Options of the merge control. */
export interface MergeOptions {
  /** `merge` (GitHub's default: always a merge commit), `squash`, or `fast-forward` (no new commit). */
  method?: "merge" | "squash" | "fast-forward";
  commitTitle?: string;
  commitMessage?: string;
}

/** What the merge control answers (the shape of GitHub's merge endpoint). */
export interface MergeResult {
  sha: string;
  merged: boolean;
  message: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DOCS = "https://docs.github.com/rest";
const OWNER_ID = 1_000_001;
const REPO_ID = 900_000_001;

/** An error that is answered with GitHub's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

function ghError(status: number, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(status, { message, ...extra, documentation_url: DOCS, status: String(status) });
}

const notFound = (): ApiError => ghError(404, "Not Found");

function validationFailed(errors: Record<string, unknown>[]): ApiError {
  return ghError(422, "Validation Failed", { errors });
}

function custom422(resource: string, message: string): ApiError {
  return validationFailed([{ resource, code: "custom", message }]);
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** GitHub's wording for request-schema violations ("Invalid request. ... wasn't supplied."). */
export function invalidRequestMessage(errors: ErrorObject[]): string {
  const lines = errors.map((e) => {
    const where = e.instancePath.replace(/^\/(requestBody|query|path|header)/, "").replace(/^\//, "");
    const prop = where === "" ? "" : `properties/${where.replace(/\//g, "/properties/")}`;
    if (e.keyword === "required") return `"${String((e.params as { missingProperty?: string }).missingProperty)}" wasn't supplied.`;
    if (e.keyword === "type") return `For '${prop}', ${JSON.stringify(e.data ?? null)} is not ${String((e.params as { type?: string }).type)}.`;
    if (e.keyword === "enum") return `For '${prop}', ${JSON.stringify(e.data ?? null)} is not a member of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}.`;
    if (e.keyword === "additionalProperties") return `"${String((e.params as { additionalProperty?: string }).additionalProperty)}" is not a permitted key.`;
    return `${prop === "" ? "Request" : `For '${prop}'`}: ${e.message ?? e.keyword}.`;
  });
  return `Invalid request.\n\n${[...new Set(lines)].join("\n")}`;
}

function param(c: Context, name: string): string {
  const v = c.request.params[name];
  const s = Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function query(c: Context, name: string): string | undefined {
  const v = c.request.query[name];
  return Array.isArray(v) ? v[0] : v;
}

function bodyOf<T>(c: Context): T {
  return (c.request.requestBody ?? {}) as T;
}

function identity(v: unknown, fallback: GitIdentity): GitIdentity {
  if (typeof v !== "object" || v === null) return fallback;
  const o = v as { name?: string; email?: string; date?: string };
  return { name: o.name ?? fallback.name, email: o.email ?? fallback.email, date: o.date ?? fallback.date };
}

/**
 * The forge simulator: a subset of GitHub's REST API (the operations of
 * `github-pulls-subset.openapi.json`, plus `issues/add-labels`: see {@link forgeDescription}) on top
 * of a real bare repository, plus lab controls to merge or close pull requests. Every request is
 * validated against the description before a handler runs.
 */
export class ForgeApp {
  readonly git: GitStore;
  readonly pulls: PullStore;
  readonly uiKey = randomBytes(12).toString("base64url");
  private readonly api: OpenAPIBackend;
  private readonly prefixes: RegExp[];
  private readonly responses: SpecValidator | undefined;
  private urls: ForgeUrls;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly cfg: ForgeConfig) {
    const doc = forgeDescription(cfg.specFile);
    // Without the description (`LAB_SPEC_CHECKS=0`) the stand-in only routes: nothing to validate.
    const checked = cfg.specFile !== undefined || specChecks();
    this.git = new GitStore(cfg.bareDir);
    this.pulls = new PullStore(cfg.stateFile);
    this.prefixes = multiSegmentPrefixes(doc);
    this.responses = cfg.validateResponses === true ? new SpecValidator(doc) : undefined;
    this.urls = { api: "http://127.0.0.1", web: "http://127.0.0.1", cloneUrl: cfg.cloneUrl, owner: cfg.owner, repo: cfg.repo };
    this.api = new OpenAPIBackend({
      definition: doc as unknown as Document,
      strict: false,
      validate: checked,
      quick: true,
      customizeAjv: (ajv) => {
        addFormats(ajv);
        ajv.addFormat("repo.nwo", /^[^/]+\/[^/]+$/);
        return ajv;
      },
    });
    this.api.register({
      validationFail: (c: Context) => {
        throw ghError(422, invalidRequestMessage((c.validation.errors ?? []) as ErrorObject[]));
      },
      notFound: () => {
        throw notFound();
      },
      methodNotAllowed: () => {
        throw notFound();
      },
      notImplemented: () => {
        throw notFound();
      },
      "repos/get": (c: Context) => this.getRepo(c),
      "pulls/list": (c: Context) => this.listPulls(c),
      "pulls/create": (c: Context) => this.exclusive(() => this.createPull(c)),
      "pulls/get": (c: Context) => this.getPull(c),
      "pulls/update": (c: Context) => this.exclusive(() => this.updatePull(c)),
      "issues/add-labels": (c: Context) => this.exclusive(() => this.addLabels(c)),
      "repos/get-content": (c: Context) => this.getContent(c),
      "repos/create-or-update-file-contents": (c: Context) => this.exclusive(() => this.putContent(c)),
      "repos/delete-file": (c: Context) => this.exclusive(() => this.deleteContent(c)),
      "git/get-ref": (c: Context) => this.getRef(c),
      "git/list-matching-refs": (c: Context) => this.matchingRefs(c),
      "git/create-ref": (c: Context) => this.exclusive(() => this.createRef(c)),
      "git/update-ref": (c: Context) => this.exclusive(() => this.updateRef(c)),
      "git/delete-ref": (c: Context) => this.exclusive(() => this.deleteRef(c)),
      "git/create-tree": (c: Context) => this.createTree(c),
      "git/get-tree": (c: Context) => this.getTree(c),
      "git/create-commit": (c: Context) => this.createCommit(c),
      "git/get-commit": (c: Context) => this.getCommit(c),
      "git/create-blob": (c: Context) => this.createBlob(c),
      "git/get-blob": (c: Context) => this.getBlob(c),
    });
  }

  /** Sets the origin used in every URL the API returns (call once the port is known). */
  setBaseUrl(base: string): void {
    this.urls = { ...this.urls, api: base, web: base };
  }

  async init(): Promise<void> {
    await this.api.init();
  }

  /** Runs mutations one at a time (refs use compare-and-swap too; this keeps the JSON store consistent). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private get defaultIdentity(): GitIdentity {
    return { name: this.cfg.owner, email: `${this.cfg.owner}@users.noreply.lab.invalid`, date: nowIso() };
  }

  // ---------------------------------------------------------------- HTTP

  /** Node HTTP handler: lab pages and controls, then the validated API. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://forge.invalid");
    let reply: Reply;
    try {
      const raw = await readBody(req);
      if (url.pathname.startsWith("/_lab/")) reply = await this.handleControl(req, url, raw);
      else if (this.isPagePath(url.pathname)) reply = await this.handlePage(req, url, raw);
      else reply = await this.handleApi(req, url, raw);
    } catch (err) {
      reply = this.errorReply(err);
    }
    const headers: Record<string, string> = {
      "x-github-media-type": "github.v3; format=json",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      ...reply.headers,
    };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
    } else if (typeof reply.body === "string" && headers["content-type"] !== undefined) {
      res.writeHead(reply.status, headers).end(reply.body);
    } else {
      res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(reply.body));
    }
  }

  private errorReply(err: unknown): Reply {
    if (err instanceof ApiError) return { status: err.status, body: err.body };
    this.cfg.log?.(`forge: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { status: 500, body: { message: "Server Error", documentation_url: DOCS, status: "500" } };
  }

  private authorize(req: IncomingMessage): void {
    const h = req.headers.authorization;
    if (h === undefined || h === "") throw ghError(401, "Requires authentication");
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(h.trim());
    const given = Buffer.from(m?.[1] ?? "");
    const want = Buffer.from(this.cfg.token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw ghError(401, "Bad credentials");
  }

  /** Lab fault: pull request creations still to be answered "Bad credentials" (a token revoked after a push). */
  private refusePullCreations = 0;
  /** With the fault: only pull requests whose head branch contains this are refused. */
  private refuseHeadIncludes: string | undefined;

  private async handleApi(req: IncomingMessage, url: URL, raw: string): Promise<Reply> {
    this.authorize(req);
    let body: unknown;
    if (raw.trim() !== "") {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        throw ghError(400, "Problems parsing JSON");
      }
    }
    if (this.refusePullCreations > 0 && req.method === "POST" && /\/pulls$/.test(url.pathname)) {
      const head = typeof (body as { head?: unknown } | undefined)?.head === "string" ? (body as { head: string }).head : "";
      if (this.refuseHeadIncludes === undefined || head.includes(this.refuseHeadIncludes)) {
        this.refusePullCreations -= 1;
        throw ghError(401, "Bad credentials");
      }
    }
    const path = encodeMultiSegment(url.pathname.replace(/\/+$/, "") || "/", this.prefixes);
    const queryObj: Record<string, string> = {};
    for (const [k, v] of url.searchParams) queryObj[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const result = (await this.api.handleRequest({ method: req.method ?? "GET", path, query: queryObj, headers, body })) as Reply;
    if (this.responses !== undefined) {
      const op = this.api.matchOperation({ method: req.method ?? "GET", path, headers });
      if (op !== undefined) {
        const check = this.responses.check(op.method, op.path, result.status, result.body);
        if (!check.valid) {
          return {
            status: 500,
            body: {
              message: `Response does not match the spec: ${op.operationId ?? op.path} ${result.status}`,
              errors: check.undocumented ? ["undocumented status"] : describeErrors(check.errors).split("\n"),
              documentation_url: DOCS,
              status: "500",
            },
          };
        }
      }
    }
    return result;
  }

  private checkRepo(c: Context): void {
    if (param(c, "owner").toLowerCase() !== this.cfg.owner.toLowerCase() || param(c, "repo").toLowerCase() !== this.cfg.repo.toLowerCase()) {
      throw notFound();
    }
  }

  // ---------------------------------------------------------------- repository

  private async getRepo(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const refs = await this.git.listRefs("refs/heads/");
    let pushedAt = this.pulls.createdAt;
    for (const r of refs) {
      const commit = await this.git.readCommit(r.sha);
      if (commit !== undefined && new Date(commit.committer.date) > new Date(pushedAt)) pushedAt = new Date(commit.committer.date).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    return { status: 200, body: await this.repoJson(pushedAt) };
  }

  private async repoJson(pushedAt?: string): Promise<Record<string, unknown>> {
    const open = this.pulls.all().filter((p) => p.state === "open").length;
    return repository(this.urls, {
      id: REPO_ID,
      ownerId: OWNER_ID,
      defaultBranch: await this.git.defaultBranch(),
      createdAt: this.pulls.createdAt,
      pushedAt: pushedAt ?? this.pulls.createdAt,
      openIssues: open,
      sizeKb: 0,
    });
  }

  // ---------------------------------------------------------------- pulls

  /** Brings an open pull request up to date with its branches; detects a merge done by a push. */
  private async refresh(p: PullRecord): Promise<void> {
    if (p.state !== "open") return;
    const head = await this.git.resolveCommit(`refs/heads/${p.head}`);
    const base = await this.git.resolveCommit(`refs/heads/${p.base}`);
    let changed = false;
    if (head !== undefined && head !== p.headSha) {
      p.headSha = head;
      changed = true;
    }
    if (base !== undefined && base !== p.baseSha) {
      p.baseSha = base;
      changed = true;
    }
    if (head !== undefined && base !== undefined) {
      p.stats = await this.git.compare(base, head);
      if (p.stats.commits === 0 && (await this.git.isAncestor(head, base)) && changed) {
        // The head was merged into the base by a plain push: GitHub marks the PR merged.
        const t = nowIso();
        Object.assign(p, { state: "closed", mergedAt: t, closedAt: t, updatedAt: t, mergedBy: this.cfg.owner, mergeCommitSha: base });
      }
    }
    if (changed) this.pulls.save();
  }

  private async view(p: PullRecord): Promise<PullView> {
    let mergeable: boolean | null = null;
    let mergeableState = "unknown";
    if (p.state === "open") {
      const m = await this.git.mergeTree(p.baseSha, p.headSha);
      mergeable = !m.conflicts;
      mergeableState = m.conflicts ? "dirty" : p.draft ? "draft" : "clean";
    }
    return { repo: await this.repoJson(), labels: this.pulls.labels(), ownerId: OWNER_ID, mergeable, mergeableState };
  }

  private async pullFull(p: PullRecord): Promise<Record<string, unknown>> {
    await this.refresh(p);
    return pullJson(this.urls, p, await this.view(p), true);
  }

  private findPull(c: Context): PullRecord {
    const n = Number(param(c, "pull_number"));
    const p = this.pulls.get(n);
    if (p === undefined) throw notFound();
    return p;
  }

  private async listPulls(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const state = query(c, "state") ?? "open";
    const head = query(c, "head");
    const base = query(c, "base");
    const sort = query(c, "sort") ?? "created";
    const direction = query(c, "direction") ?? (sort === "created" ? "desc" : "asc");
    const perPage = Math.min(Math.max(Number(query(c, "per_page") ?? 30), 1), 100);
    const page = Math.max(Number(query(c, "page") ?? 1), 1);
    for (const p of this.pulls.all()) await this.refresh(p);
    let list = this.pulls.all().filter((p) => state === "all" || p.state === state);
    if (head !== undefined) {
      const [who, branch] = head.includes(":") ? head.split(":", 2) : [undefined, head];
      list = list.filter((p) => (who === undefined || who.toLowerCase() === this.cfg.owner.toLowerCase()) && p.head === branch);
    }
    if (base !== undefined) list = list.filter((p) => p.base === base);
    const key = (p: PullRecord): number => (sort === "updated" ? Date.parse(p.updatedAt) : sort === "popularity" ? 0 : Date.parse(p.createdAt) + p.number);
    list = [...list].sort((a, b) => (direction === "asc" ? key(a) - key(b) : key(b) - key(a)));
    const pageItems = list.slice((page - 1) * perPage, page * perPage);
    const repo = await this.repoJson();
    const body = pageItems.map((p) => pullJson(this.urls, p, { repo, labels: this.pulls.labels(), ownerId: OWNER_ID, mergeable: null, mergeableState: "unknown" }, false));
    const headers: Record<string, string> = {};
    const last = Math.max(Math.ceil(list.length / perPage), 1);
    if (last > 1) {
      const link = (n: number, rel: string): string => {
        const u = new URL(`${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/pulls`);
        for (const [k, v] of Object.entries(c.request.query)) if (typeof v === "string") u.searchParams.set(k, v);
        u.searchParams.set("page", String(n));
        u.searchParams.set("per_page", String(perPage));
        return `<${u.toString()}>; rel="${rel}"`;
      };
      const parts: string[] = [];
      if (page < last) parts.push(link(page + 1, "next"), link(last, "last"));
      if (page > 1) parts.push(link(1, "first"), link(page - 1, "prev"));
      headers.link = parts.join(", ");
    }
    return { status: 200, body, headers };
  }

  private stripOwner(ref: string, field: string): string {
    if (!ref.includes(":")) return ref;
    const [who = "", branch = ""] = ref.split(":", 2);
    if (who.toLowerCase() !== this.cfg.owner.toLowerCase()) throw validationFailed([{ resource: "PullRequest", field, code: "invalid" }]);
    return branch;
  }

  private async createPull(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const b = bodyOf<{ title?: string; head: string; base: string; body?: string; draft?: boolean; maintainer_can_modify?: boolean; issue?: number; head_repo?: string }>(c);
    if (b.issue !== undefined) throw custom422("PullRequest", "Converting issues to pull requests is not available in the lab");
    if (b.title === undefined) throw validationFailed([{ resource: "PullRequest", field: "title", code: "missing_field" }]);
    const head = this.stripOwner(b.head, "head");
    const base = this.stripOwner(b.base, "base");
    const headSha = await this.git.resolveCommit(`refs/heads/${head}`);
    const baseSha = await this.git.resolveCommit(`refs/heads/${base}`);
    const errors: Record<string, unknown>[] = [];
    if (baseSha === undefined) errors.push({ resource: "PullRequest", field: "base", code: "invalid" });
    if (headSha === undefined) errors.push({ resource: "PullRequest", field: "head", code: "invalid" });
    if (errors.length > 0 || headSha === undefined || baseSha === undefined) throw validationFailed(errors);
    if (this.pulls.all().some((p) => p.state === "open" && p.head === head && p.base === base)) {
      throw custom422("PullRequest", `A pull request already exists for ${this.cfg.owner}:${head}.`);
    }
    const stats = await this.git.compare(baseSha, headSha);
    if (stats.commits === 0) throw custom422("PullRequest", `No commits between ${base} and ${head}`);
    const t = nowIso();
    const p = this.pulls.add({
      title: b.title,
      body: b.body ?? null,
      head,
      base,
      state: "open",
      draft: b.draft ?? false,
      maintainerCanModify: b.maintainer_can_modify ?? true,
      user: this.cfg.owner,
      createdAt: t,
      updatedAt: t,
      closedAt: null,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      headSha,
      baseSha,
      stats,
    });
    this.cfg.log?.(`forge: opened #${p.number} ${head} -> ${base}: ${p.title}`);
    return {
      status: 201,
      body: await this.pullFull(p),
      headers: { location: `${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/pulls/${p.number}` },
    };
  }

  private async getPull(c: Context): Promise<Reply> {
    this.checkRepo(c);
    return { status: 200, body: await this.pullFull(this.findPull(c)) };
  }

  private async updatePull(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const p = this.findPull(c);
    await this.refresh(p);
    const b = bodyOf<{ title?: string; body?: string; state?: "open" | "closed"; base?: string; maintainer_can_modify?: boolean }>(c);
    if (b.base !== undefined && b.base !== p.base) {
      if (p.state !== "open") throw custom422("PullRequest", "Cannot change the base branch of a closed pull request.");
      const sha = await this.git.resolveCommit(`refs/heads/${b.base}`);
      if (sha === undefined) throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
      p.base = b.base;
      p.baseSha = sha;
    }
    if (b.title !== undefined) p.title = b.title;
    if (b.body !== undefined) p.body = b.body;
    if (b.maintainer_can_modify !== undefined) p.maintainerCanModify = b.maintainer_can_modify;
    if (b.state !== undefined && b.state !== p.state) {
      if (p.mergedAt !== null) throw custom422("PullRequest", "state cannot be changed. The pull request has been merged.");
      if (b.state === "closed") {
        p.state = "closed";
        p.closedAt = nowIso();
      } else {
        const head = await this.git.resolveCommit(`refs/heads/${p.head}`);
        if (head === undefined) throw custom422("PullRequest", "state cannot be changed. The head branch has been deleted.");
        p.state = "open";
        p.closedAt = null;
      }
    }
    p.updatedAt = nowIso();
    this.pulls.save();
    return { status: 200, body: await this.pullFull(p) };
  }

  /**
   * `issues/add-labels` on a pull request (the lab has no other issues): adds the names, creating
   * repository labels that do not exist yet as GitHub does, and answers every label the pull
   * request now has.
   */
  private addLabels(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const p = this.pulls.get(Number(param(c, "issue_number")));
    if (p === undefined) throw notFound();
    const b = bodyOf<{ labels: (string | { name: string })[] } | (string | { name: string })[]>(c);
    const given = (Array.isArray(b) ? b : b.labels).map((l) => (typeof l === "string" ? l : l.name).trim());
    if (given.some((n) => n === "")) throw validationFailed([{ resource: "Label", field: "name", code: "missing_field" }]);
    const names = p.labels ?? [];
    for (const name of given) {
      const label = this.pulls.ensureLabel(name);
      if (!names.includes(label.name)) names.push(label.name);
    }
    p.labels = names;
    p.updatedAt = nowIso();
    this.pulls.save();
    const all = this.pulls.labels();
    return Promise.resolve({ status: 200, body: names.flatMap((n) => all.filter((l) => l.name === n).map((l) => labelJson(this.urls, l))) });
  }

  /** Lab control: merges an open pull request into its base branch in the bare repository. */
  mergePull(number: number, opts: MergeOptions = {}): Promise<MergeResult> {
    return this.exclusive(async () => {
      const p = this.pulls.get(number);
      if (p === undefined) throw notFound();
      await this.refresh(p);
      if (p.state !== "open") throw ghError(405, "Pull Request is not mergeable");
      const head = await this.git.resolveCommit(`refs/heads/${p.head}`);
      const base = await this.git.resolveCommit(`refs/heads/${p.base}`);
      if (head === undefined || base === undefined) throw ghError(405, "Pull Request is not mergeable");
      const method = opts.method ?? "merge";
      let sha: string;
      if (method === "fast-forward") {
        if (!(await this.git.isAncestor(base, head))) throw ghError(405, "Pull Request is not mergeable: the base branch is not an ancestor of the head");
        sha = head;
      } else {
        const merged = await this.git.mergeTree(base, head);
        if (merged.conflicts) throw ghError(405, "Pull Request is not mergeable");
        const me = this.defaultIdentity;
        const title =
          opts.commitTitle ??
          (method === "squash" ? `${p.title} (#${p.number})` : `Merge pull request #${p.number} from ${this.cfg.owner}/${p.head}`);
        const message = `${title}\n\n${opts.commitMessage ?? (method === "squash" ? (p.body ?? "") : p.title)}`.trimEnd();
        sha = await this.git.createCommit({
          tree: merged.tree,
          parents: method === "squash" ? [base] : [base, head],
          message: `${message}\n`,
          author: me,
          committer: me,
        });
      }
      p.stats = await this.git.compare(base, head);
      await this.git.updateRef(`refs/heads/${p.base}`, sha, base);
      const t = nowIso();
      Object.assign(p, { state: "closed", mergedAt: t, closedAt: t, updatedAt: t, mergedBy: this.cfg.owner, mergeCommitSha: sha, headSha: head, baseSha: base });
      this.pulls.save();
      this.cfg.log?.(`forge: merged #${p.number} into ${p.base} (${method}) -> ${sha}`);
      return { sha, merged: true, message: "Pull Request successfully merged" };
    });
  }

  /** Lab control: closes a pull request without merging. */
  closePull(number: number): Promise<Record<string, unknown>> {
    return this.exclusive(async () => {
      const p = this.pulls.get(number);
      if (p === undefined) throw notFound();
      await this.refresh(p);
      if (p.state === "open") {
        p.state = "closed";
        p.closedAt = nowIso();
        p.updatedAt = p.closedAt;
        this.pulls.save();
        this.cfg.log?.(`forge: closed #${p.number}`);
      }
      return this.pullFull(p);
    });
  }

  // ---------------------------------------------------------------- contents

  private async branchCommit(ref: string | undefined): Promise<{ ref: string; commit: string }> {
    const name = ref ?? (await this.git.defaultBranch());
    const commit = (await this.git.resolveCommit(`refs/heads/${name}`)) ?? (await this.git.resolveCommit(`refs/tags/${name}`)) ?? (/^[0-9a-f]{4,40}$/.test(name) ? await this.git.resolveCommit(name) : undefined);
    if (commit === undefined) throw ghError(404, `No commit found for the ref ${name}`);
    return { ref: name, commit };
  }

  private async getContent(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const path = param(c, "path").replace(/^\/+|\/+$/g, "");
    const { ref, commit } = await this.branchCommit(query(c, "ref"));
    const entry = await this.git.entryAt(commit, path);
    if (entry === undefined) throw notFound();
    if (entry.type === "tree") {
      const tree = await this.git.readTree(entry.sha, false);
      const items = (tree?.entries ?? []).map((e) => contentItem(this.urls, { ...e, path: path === "" ? e.path : `${path}/${e.path}` }, ref));
      return { status: 200, body: items };
    }
    if (entry.type !== "blob") return { status: 200, body: contentItem(this.urls, entry, ref) };
    const blob = (await this.git.readBlob(entry.sha)) ?? Buffer.alloc(0);
    return { status: 200, body: contentItem(this.urls, { ...entry, size: blob.length }, ref, blob) };
  }

  private async putContent(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const path = param(c, "path").replace(/^\/+|\/+$/g, "");
    const b = bodyOf<{ message: string; content: string; sha?: string; branch?: string; committer?: unknown; author?: unknown }>(c);
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(b.content)) throw ghError(422, "content is not valid Base64");
    const { ref, commit } = await this.branchOrFail(b.branch);
    const existing = await this.git.entryAt(commit, path);
    if (existing?.type === "tree") throw ghError(422, `Invalid request.\n\n"${path}" is a directory.`);
    if (existing !== undefined && b.sha === undefined) throw ghError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
    if (existing !== undefined && b.sha !== existing.sha) throw ghError(409, `${path} does not match ${b.sha ?? ""}`);
    const blob = await this.git.createBlob(Buffer.from(b.content, "base64"));
    const tree = await this.git.treeWithFile(commit, path, blob, existing?.mode ?? "100644");
    const info = await this.commitOnBranch(ref, commit, tree, b.message, b.author, b.committer);
    const entry = await this.git.entryAt(info.sha, path);
    return { status: existing === undefined ? 201 : 200, body: fileCommit(this.urls, entry ?? null, ref, info) };
  }

  private async deleteContent(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const path = param(c, "path").replace(/^\/+|\/+$/g, "");
    const b = bodyOf<{ message: string; sha: string; branch?: string; committer?: unknown; author?: unknown }>(c);
    const { ref, commit } = await this.branchOrFail(b.branch);
    const existing = await this.git.entryAt(commit, path);
    if (existing === undefined || existing.type !== "blob") throw notFound();
    if (b.sha !== existing.sha) throw ghError(409, `${path} does not match ${b.sha}`);
    const tree = await this.git.treeWithFile(commit, path, null);
    const info = await this.commitOnBranch(ref, commit, tree, b.message, b.author, b.committer);
    return { status: 200, body: fileCommit(this.urls, null, ref, info) };
  }

  private async branchOrFail(branch: string | undefined): Promise<{ ref: string; commit: string }> {
    const name = branch ?? (await this.git.defaultBranch());
    const commit = await this.git.resolveCommit(`refs/heads/${name}`);
    if (commit === undefined) throw ghError(404, `Branch ${name} not found`);
    return { ref: name, commit };
  }

  private async commitOnBranch(branch: string, parent: string, tree: string, message: string, author: unknown, committer: unknown): Promise<CommitInfo> {
    const a = identity(author ?? committer, this.defaultIdentity);
    const cm = identity(committer, a);
    const sha = await this.git.createCommit({ tree, parents: [parent], message, author: a, committer: cm });
    try {
      await this.git.updateRef(`refs/heads/${branch}`, sha, parent);
    } catch (err) {
      if (err instanceof GitCommandError) throw ghError(409, `${branch} was updated concurrently; retry`);
      throw err;
    }
    const info = await this.git.readCommit(sha);
    if (info === undefined) throw new Error(`commit ${sha} vanished`);
    return info;
  }

  // ---------------------------------------------------------------- git database

  private async getRef(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const ref = `refs/${param(c, "ref").replace(/^refs\//, "")}`;
    const found = (await this.git.listRefs(ref)).find((r) => r.ref === ref);
    if (found === undefined) throw notFound();
    return { status: 200, body: gitRef(this.urls, found.ref, found.sha, found.type) };
  }

  private async matchingRefs(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const prefix = `refs/${param(c, "ref").replace(/^refs\//, "")}`;
    const refs = await this.git.listRefs(prefix);
    return { status: 200, body: refs.map((r) => gitRef(this.urls, r.ref, r.sha, r.type)) };
  }

  private async createRef(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const b = bodyOf<{ ref: string; sha: string }>(c);
    if (!b.ref.startsWith("refs/") || b.ref.split("/").length < 3) throw ghError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    const type = await this.git.objectType(b.sha);
    if (type === undefined || !/^[0-9a-f]{40}$/.test(b.sha)) throw ghError(422, "Object does not exist");
    if ((await this.git.listRefs(b.ref)).some((r) => r.ref === b.ref)) throw ghError(422, "Reference already exists");
    await this.git.updateRef(b.ref, b.sha, "0".repeat(40));
    return {
      status: 201,
      body: gitRef(this.urls, b.ref, b.sha, type),
      headers: { location: `${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/git/${b.ref}` },
    };
  }

  private async updateRef(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const ref = `refs/${param(c, "ref").replace(/^refs\//, "")}`;
    const b = bodyOf<{ sha: string; force?: boolean }>(c);
    const current = (await this.git.listRefs(ref)).find((r) => r.ref === ref);
    if (current === undefined) throw ghError(422, "Reference does not exist");
    const type = await this.git.objectType(b.sha);
    if (type === undefined) throw ghError(422, "Object does not exist");
    if (b.force !== true && !(await this.git.isAncestor(current.sha, b.sha))) throw ghError(422, "Update is not a fast forward");
    await this.git.updateRef(ref, b.sha, current.sha);
    return { status: 200, body: gitRef(this.urls, ref, b.sha, type) };
  }

  private async deleteRef(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const ref = `refs/${param(c, "ref").replace(/^refs\//, "")}`;
    // The description documents this 422 without a body, so none is sent.
    if (!(await this.git.listRefs(ref)).some((r) => r.ref === ref)) return { status: 422 };
    await this.git.deleteRef(ref);
    return { status: 204 };
  }

  private async createTree(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const b = bodyOf<{ tree: NewTreeEntry[]; base_tree?: string }>(c);
    let base: string | undefined;
    if (b.base_tree !== undefined) {
      base = await this.git.resolve(`${b.base_tree}^{tree}`);
      if (base === undefined) throw ghError(404, "Not Found");
    }
    for (const e of b.tree) {
      if (e.sha === undefined && e.content === undefined) throw ghError(422, `Must supply either tree.sha or tree.content for ${e.path}`);
      if (typeof e.sha === "string") {
        const t = await this.git.objectType(e.sha);
        const want = e.type === "commit" ? undefined : e.type;
        if (want !== undefined && t !== want) throw ghError(422, `tree.sha ${e.sha} is not a valid ${e.type}`);
      }
    }
    try {
      const sha = await this.git.createTree(base, b.tree);
      const tree = await this.git.readTree(sha, false);
      return { status: 201, body: gitTree(this.urls, sha, tree?.entries ?? []) };
    } catch (err) {
      if (err instanceof TreeEntryError || err instanceof GitCommandError) throw ghError(422, `Invalid tree: ${err.message}`);
      throw err;
    }
  }

  private async getTree(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const recursive = query(c, "recursive");
    const tree = await this.git.readTree(param(c, "tree_sha"), recursive !== undefined && recursive !== "" && recursive !== "0" && recursive !== "false");
    if (tree === undefined) throw notFound();
    return { status: 200, body: gitTree(this.urls, tree.sha, tree.entries) };
  }

  private async createCommit(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const b = bodyOf<{ message: string; tree: string; parents?: string[]; author?: unknown; committer?: unknown }>(c);
    if ((await this.git.objectType(b.tree)) !== "tree") throw ghError(422, "Tree SHA does not exist");
    for (const p of b.parents ?? []) if ((await this.git.objectType(p)) !== "commit") throw ghError(422, "Parent SHA does not exist or is not a commit object");
    const author = identity(b.author, this.defaultIdentity);
    const committer = identity(b.committer, author);
    const sha = await this.git.createCommit({ tree: b.tree, parents: b.parents ?? [], message: b.message, author, committer });
    const info = await this.git.readCommit(sha);
    if (info === undefined) throw new Error(`commit ${sha} vanished`);
    return {
      status: 201,
      body: gitCommit(this.urls, info),
      headers: { location: `${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/git/commits/${sha}` },
    };
  }

  private async getCommit(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const info = await this.git.readCommit(param(c, "commit_sha"));
    if (info === undefined) throw notFound();
    return { status: 200, body: gitCommit(this.urls, info) };
  }

  private async createBlob(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const b = bodyOf<{ content: string; encoding?: string }>(c);
    const encoding = (b.encoding ?? "utf-8").toLowerCase();
    if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64") {
      throw validationFailed([{ resource: "Blob", field: "encoding", code: "invalid" }]);
    }
    const sha = await this.git.createBlob(Buffer.from(b.content, encoding === "base64" ? "base64" : "utf8"));
    const url = `${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/git/blobs/${sha}`;
    return { status: 201, body: { url, sha }, headers: { location: url } };
  }

  private async getBlob(c: Context): Promise<Reply> {
    this.checkRepo(c);
    const sha = param(c, "file_sha");
    const blob = await this.git.readBlob(sha);
    if (blob === undefined) throw notFound();
    return {
      status: 200,
      body: {
        sha,
        node_id: nodeId("Blob", sha),
        size: blob.length,
        url: `${this.urls.api}/repos/${this.cfg.owner}/${this.cfg.repo}/git/blobs/${sha}`,
        content: githubBase64(blob),
        encoding: "base64",
      },
    };
  }

  // ---------------------------------------------------------------- lab controls

  /**
   * `GET /_lab/health`; with the API token: `GET /_lab/pulls`, `POST /_lab/pulls/{n}/merge`
   * (`{ method?, commit_title?, commit_message? }`), `POST /_lab/pulls/{n}/close`, and the fault
   * `POST /_lab/faults/refuse-pull-creation` (`{ times?, headIncludes? }`): the next pull request
   * creations (only those whose head branch contains `headIncludes`, when given) are answered 401
   * "Bad credentials" as for a token revoked after the branch was pushed.
   */
  private async handleControl(req: IncomingMessage, url: URL, raw: string): Promise<Reply> {
    if (url.pathname === "/_lab/health") return { status: 200, body: { ok: true, owner: this.cfg.owner, repo: this.cfg.repo, configId: this.cfg.configId ?? null } };
    this.authorize(req);
    if (req.method === "POST" && url.pathname === "/_lab/faults/refuse-pull-creation") {
      const b = raw.trim() === "" ? {} : (JSON.parse(raw) as { times?: number; headIncludes?: string });
      this.refusePullCreations = Math.max(0, Math.floor(b.times ?? 1));
      this.refuseHeadIncludes = typeof b.headIncludes === "string" && b.headIncludes !== "" ? b.headIncludes : undefined;
      return { status: 200, body: { refusePullCreations: this.refusePullCreations } };
    }
    if (req.method === "GET" && url.pathname === "/_lab/pulls") {
      const out: Record<string, unknown>[] = [];
      for (const p of this.pulls.all()) out.push(await this.pullFull(p));
      return { status: 200, body: out };
    }
    const m = /^\/_lab\/pulls\/(\d+)\/(merge|close)$/.exec(url.pathname);
    if (req.method === "POST" && m?.[1] !== undefined) {
      const n = Number(m[1]);
      if (m[2] === "close") return { status: 200, body: await this.closePull(n) };
      let b: { method?: string; commit_title?: string; commit_message?: string } = {};
      if (raw.trim() !== "") {
        try {
          b = JSON.parse(raw) as typeof b;
        } catch {
          throw ghError(400, "Problems parsing JSON");
        }
      }
      if (b.method !== undefined && !["merge", "squash", "fast-forward"].includes(b.method)) {
        throw validationFailed([{ resource: "Merge", field: "method", code: "invalid" }]);
      }
      return {
        status: 200,
        body: await this.mergePull(n, { method: b.method as MergeOptions["method"], commitTitle: b.commit_title, commitMessage: b.commit_message }),
      };
    }
    throw notFound();
  }

  // ---------------------------------------------------------------- pages

  private isPagePath(path: string): boolean {
    const base = `/${this.cfg.owner}/${this.cfg.repo}`;
    return path === base || path.startsWith(`${base}/pull/`) || path === `${base}/pulls`;
  }

  /** Small HTML pages for a person in the demo: the pull request list and one pull request with merge/close buttons. */
  private async handlePage(req: IncomingMessage, url: URL, raw: string): Promise<Reply> {
    const base = `/${this.cfg.owner}/${this.cfg.repo}`;
    const html = (title: string, body: string): Reply => ({
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8" },
      body: `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f6f8fa;padding:1rem;overflow:auto}.state{padding:.2rem .6rem;border-radius:1rem;background:#ddd}</style></head><body>${body}</body></html>`,
    });
    const action = /^(.*)\/pull\/(\d+)\/(merge|close)$/.exec(url.pathname);
    if (req.method === "POST" && action?.[2] !== undefined) {
      const form = new URLSearchParams(raw);
      if (form.get("key") !== this.uiKey) throw ghError(403, "Forbidden");
      const n = Number(action[2]);
      if (action[3] === "merge") await this.mergePull(n, { method: (form.get("method") as MergeOptions["method"]) ?? "merge" });
      else await this.closePull(n);
      return { status: 303, headers: { location: `${base}/pull/${n}` } };
    }
    const one = /\/pull\/(\d+)$/.exec(url.pathname);
    if (one?.[1] !== undefined) {
      const p = this.pulls.get(Number(one[1]));
      if (p === undefined) throw notFound();
      await this.refresh(p);
      const v = await this.view(p);
      const diff = p.mergedAt === null ? await this.git.diff(p.baseSha, p.headSha).catch(() => "") : "";
      const state = p.mergedAt !== null ? "merged" : p.state;
      const buttons =
        p.state === "open"
          ? `<form method="post" action="${base}/pull/${p.number}/merge" style="display:inline"><input type="hidden" name="key" value="${this.uiKey}"><select name="method"><option>merge</option><option>squash</option><option>fast-forward</option></select> <button ${v.mergeable === false ? "disabled" : ""}>Merge</button></form>
             <form method="post" action="${base}/pull/${p.number}/close" style="display:inline"><input type="hidden" name="key" value="${this.uiKey}"><button>Close</button></form>`
          : "";
      return html(
        `#${p.number} ${p.title}`,
        `<p><a href="${base}">${esc(this.cfg.owner)}/${esc(this.cfg.repo)}</a> (lab forge)</p>
         <h1>${esc(p.title)} <small>#${p.number}</small></h1>
         <p><span class="state" data-testid="pr-state">${state}</span> ${esc(p.head)} &rarr; ${esc(p.base)} &middot; ${p.stats.commits} commit(s), +${p.stats.additions} -${p.stats.deletions}${p.mergeCommitSha !== null ? ` &middot; merge commit <code>${p.mergeCommitSha}</code>` : ""}</p>
         <p>${buttons}</p>
         <pre>${esc(p.body ?? "")}</pre>
         ${diff !== "" ? `<h2>Diff</h2><pre>${esc(diff)}</pre>` : ""}`,
      );
    }
    const rows = this.pulls
      .all()
      .slice()
      .reverse()
      .map((p) => `<li><a href="${base}/pull/${p.number}">#${p.number} ${esc(p.title)}</a> (${p.mergedAt !== null ? "merged" : p.state}) ${esc(p.head)} &rarr; ${esc(p.base)}</li>`)
      .join("");
    return html(`${this.cfg.owner}/${this.cfg.repo}`, `<h1>${esc(this.cfg.owner)}/${esc(this.cfg.repo)} <small>lab forge</small></h1><p>Clone: <code>${esc(this.cfg.cloneUrl)}</code></p><h2>Pull requests</h2><ul>${rows || "<li>none yet</li>"}</ul>`);
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function readBody(req: IncomingMessage, limit = 20 * 1024 * 1024): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(ghError(413, "Request body too large"));
        req.destroy();
      } else chunks.push(d);
    });
    req.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Starts the forge on 127.0.0.1:`port` (0 = any) and resolves with the server and its base URL. */
export async function listenForge(cfg: ForgeConfig, port = 0): Promise<{ server: Server; app: ForgeApp; url: string }> {
  const app = new ForgeApp(cfg);
  await app.init();
  const server = createServer((req, res) => {
    void app.handle(req, res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolveListen());
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === "object" && addr !== null ? addr.port : port}`;
  app.setBaseUrl(url);
  return { server, app, url };
}
