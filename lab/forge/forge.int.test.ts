import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLabRepo } from "../apps/git-repo";
import type { LabRepo } from "../apps/git-repo";
import { defaultGitopsRepo } from "../paths";
import { ForgeControlError, ForgeControls } from "./controls";
import { listenForge } from "./server";
import { describeErrors, forgeDescription, operations, SpecValidator } from "./spec";

const run = promisify(execFile);
const spec = forgeDescription();
const validator = new SpecValidator(spec);
/** A token made for this run (GitHub's shape: "ghp_" and 36 characters). */
const TOKEN = `ghp_${randomBytes(18).toString("hex")}`;
const covered = new Set<string>();

let dir: string;
let repo: LabRepo;
let server: Server;
let base: string;
let controls: ForgeControls;

interface Call {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Fills `{param}`s; multi-segment values (paths, refs) keep their slashes like real clients send them. */
function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = String(params[name] ?? (name === "owner" ? repo.owner : name === "repo" ? repo.repo : ""));
    return ["path", "ref"].includes(name) ? v.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(v);
  });
}

/**
 * Calls one documented operation. The request body is checked against the spec first (unless
 * `invalid`), and the response is always checked against the spec's schema for its status.
 */
async function call(
  method: string,
  template: string,
  opts: { params?: Record<string, string | number>; query?: Record<string, string>; body?: unknown; token?: string | null; invalid?: boolean; raw?: string } = {},
): Promise<Call> {
  const op = operations(spec).find((o) => o.method === method && o.path === template);
  if (op === undefined) throw new Error(`${method} ${template} is not in the spec`);
  if (opts.body !== undefined && opts.invalid !== true) {
    const req = validator.checkRequestBody(method, template, opts.body);
    expect(req.valid, `request body of ${op.operationId} violates the spec:\n${describeErrors(req.errors)}`).toBe(true);
  }
  const qs = opts.query === undefined ? "" : `?${new URLSearchParams(opts.query).toString()}`;
  const headers: Record<string, string> = { accept: "application/vnd.github+json" };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${fill(template, opts.params ?? {})}${qs}`, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  const body: unknown = text === "" ? undefined : JSON.parse(text);
  if (res.status !== 401 && res.status !== 400) {
    const check = validator.check(method, template, res.status, body);
    expect(check.undocumented, `${op.operationId} answered ${res.status}, a status the spec does not list`).toBe(false);
    expect(check.valid, `${op.operationId} ${res.status} response violates the spec:\n${describeErrors(check.errors)}`).toBe(true);
  }
  if (res.status < 300) covered.add(op.operationId);
  return { status: res.status, body, headers: res.headers };
}

function obj(c: Call): Record<string, unknown> {
  return c.body as Record<string, unknown>;
}

const bare = (args: string[]): Promise<string> => run("git", ["--git-dir", repo.bareDir, ...args]).then((r) => r.stdout.trim());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lab-forge-test-"));
  repo = await ensureLabRepo({ labDir: dir, gitopsDir: defaultGitopsRepo(), log: () => undefined });
  const started = await listenForge({
    bareDir: repo.bareDir,
    owner: repo.owner,
    repo: repo.repo,
    token: TOKEN,
    cloneUrl: "http://127.0.0.1:9/lab.git",
    stateFile: join(dir, "forge", "state.json"),
    validateResponses: true,
  });
  server = started.server;
  base = started.url;
  controls = new ForgeControls({ apiUrl: base, token: TOKEN, owner: repo.owner, repo: repo.repo });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const R = "/repos/{owner}/{repo}";
const FEATURE = "lab/feature";
let featureSha = "";
let pullNumber = 0;

describe("forge simulator: authentication and request validation", () => {
  it("answers 401 Bad credentials to a wrong token and 401 without one", async () => {
    const bad = await call("GET", R, { token: "ghp_wrong" });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ message: "Bad credentials", documentation_url: expect.any(String), status: "401" });
    const none = await call("GET", R, { token: null });
    expect(none.status).toBe(401);
    expect(obj(none).message).toBe("Requires authentication");
  });

  it("accepts both `Bearer` and `token` authorization schemes", async () => {
    const res = await fetch(`${base}/repos/${repo.owner}/${repo.repo}`, { headers: { authorization: `token ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it("rejects spec-violating requests with GitHub's 422 shape", async () => {
    const missing = await call("POST", `${R}/pulls`, { body: { title: "no head or base" }, invalid: true });
    expect(missing.status).toBe(422);
    expect(String(obj(missing).message)).toMatch(/^Invalid request\.\n\n"(head|base)" wasn't supplied\./);
    const wrongType = await call("POST", `${R}/git/refs`, { body: { ref: "refs/heads/x", sha: 42 }, invalid: true });
    expect(wrongType.status).toBe(422);
    const badEnum = await call("GET", `${R}/pulls`, { query: { state: "merged" } });
    expect(badEnum.status).toBe(422);
    expect(String(obj(badEnum).message)).toContain("Invalid request");
  });

  it("answers 400 Problems parsing JSON to a body that is not JSON", async () => {
    const r = await call("POST", `${R}/git/blobs`, { raw: "{not json", invalid: true });
    expect(r.status).toBe(400);
    expect(obj(r).message).toBe("Problems parsing JSON");
  });

  it("answers 404 for another repository", async () => {
    const r = await call("GET", R, { params: { owner: "someone", repo: "else" } });
    expect(r.status).toBe(404);
    expect(obj(r).message).toBe("Not Found");
  });
});

describe("forge simulator: repository and git database on the real bare repo", () => {
  it("repos/get describes the lab repository", async () => {
    const r = await call("GET", R);
    expect(r.status).toBe(200);
    expect(obj(r)).toMatchObject({ full_name: `${repo.owner}/${repo.repo}`, default_branch: repo.defaultBranch, clone_url: "http://127.0.0.1:9/lab.git" });
  });

  it("git/get-ref and git/list-matching-refs read the branches", async () => {
    const main = await call("GET", `${R}/git/ref/{ref}`, { params: { ref: `heads/${repo.defaultBranch}` } });
    expect(main.status).toBe(200);
    expect((obj(main).object as { sha: string }).sha).toBe(await bare(["rev-parse", repo.defaultBranch]));
    expect((await call("GET", `${R}/git/ref/{ref}`, { params: { ref: "heads/does-not-exist" } })).status).toBe(404);
    const heads = await call("GET", `${R}/git/matching-refs/{ref}`, { params: { ref: "heads/" } });
    const names = (heads.body as { ref: string }[]).map((r) => r.ref);
    expect(names).toEqual(expect.arrayContaining(["refs/heads/main", "refs/heads/live"]));
  });

  it("git/create-ref creates a branch, refuses a duplicate and a malformed name", async () => {
    const sha = await bare(["rev-parse", repo.defaultBranch]);
    const created = await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${FEATURE}`, sha } });
    expect(created.status).toBe(201);
    expect(await bare(["rev-parse", `refs/heads/${FEATURE}`])).toBe(sha);
    const again = await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${FEATURE}`, sha } });
    expect(again.status).toBe(422);
    expect(obj(again).message).toBe("Reference already exists");
    expect((await call("POST", `${R}/git/refs`, { body: { ref: "heads/no-prefix", sha } })).status).toBe(422);
    expect((await call("POST", `${R}/git/refs`, { body: { ref: "refs/heads/ghost", sha: "0".repeat(40) } })).status).toBe(422);
  });

  it("repos/get-content returns files (base64) and directories", async () => {
    const path = "apps/media-services/starr/sonarr-deployment.yaml";
    const file = await call("GET", `${R}/contents/{path}`, { params: { path }, query: { ref: FEATURE } });
    expect(file.status).toBe(200);
    const content = Buffer.from(String(obj(file).content), "base64").toString("utf8");
    expect(content).toBe(readFileSync(join(defaultGitopsRepo(), path), "utf8"));
    const listing = await call("GET", `${R}/contents/{path}`, { params: { path: "apps/media-services" } });
    expect((listing.body as { name: string; type: string }[]).map((e) => `${e.name}:${e.type}`)).toContain("starr:dir");
    expect((await call("GET", `${R}/contents/{path}`, { params: { path: "nope/none.yaml" } })).status).toBe(404);
  });

  it("repos/create-or-update-file-contents commits to a branch (201 new, 200 update, 422 without sha, 409 stale sha)", async () => {
    const path = "apps/media-services/starr/sonarr-deployment.yaml";
    const current = obj(await call("GET", `${R}/contents/{path}`, { params: { path }, query: { ref: FEATURE } }));
    const changed = `${Buffer.from(String(current.content), "base64").toString("utf8")}# changed by the lab forge test\n`;
    const noSha = await call("PUT", `${R}/contents/{path}`, { params: { path }, body: { message: "x", content: Buffer.from(changed).toString("base64"), branch: FEATURE } });
    expect(noSha.status).toBe(422);
    const stale = await call("PUT", `${R}/contents/{path}`, {
      params: { path },
      body: { message: "x", content: Buffer.from(changed).toString("base64"), branch: FEATURE, sha: "1".repeat(40) },
    });
    expect(stale.status).toBe(409);
    const updated = await call("PUT", `${R}/contents/{path}`, {
      params: { path },
      body: { message: "sonarr: tweak", content: Buffer.from(changed).toString("base64"), branch: FEATURE, sha: String(current.sha), committer: { name: "Lab Bot", email: "bot@lab.invalid" } },
    });
    expect(updated.status).toBe(200);
    const commit = obj(updated).commit as { sha: string; message: string; committer: { name: string } };
    expect(commit.message).toBe("sonarr: tweak");
    expect(commit.committer.name).toBe("Lab Bot");
    expect(await bare(["rev-parse", `refs/heads/${FEATURE}`])).toBe(commit.sha);
    expect(await bare(["show", `${FEATURE}:${path}`])).toBe(changed.trimEnd());
    const created = await call("PUT", `${R}/contents/{path}`, {
      params: { path: "apps/lab/new-file.yaml" },
      body: { message: "add a file", content: Buffer.from("a: 1\n").toString("base64"), branch: FEATURE },
    });
    expect(created.status).toBe(201);
  });

  it("repos/delete-file removes a file in a new commit", async () => {
    const path = "apps/lab/new-file.yaml";
    const current = obj(await call("GET", `${R}/contents/{path}`, { params: { path }, query: { ref: FEATURE } }));
    const deleted = await call("DELETE", `${R}/contents/{path}`, { params: { path }, body: { message: "remove it", sha: String(current.sha), branch: FEATURE } });
    expect(deleted.status).toBe(200);
    expect(obj(deleted).content).toBeNull();
    expect((await call("GET", `${R}/contents/{path}`, { params: { path }, query: { ref: FEATURE } })).status).toBe(404);
  });

  it("git blobs, trees and commits build a commit like a client without a clone would", async () => {
    const blob = await call("POST", `${R}/git/blobs`, { body: { content: "kind: ConfigMap\n", encoding: "utf-8" } });
    expect(blob.status).toBe(201);
    const blobSha = String(obj(blob).sha);
    const b64 = await call("POST", `${R}/git/blobs`, { body: { content: Buffer.from("binary\u0000data").toString("base64"), encoding: "base64" } });
    expect(b64.status).toBe(201);
    const read = await call("GET", `${R}/git/blobs/{file_sha}`, { params: { file_sha: blobSha } });
    expect(Buffer.from(String(obj(read).content), "base64").toString("utf8")).toBe("kind: ConfigMap\n");
    expect((await call("GET", `${R}/git/blobs/{file_sha}`, { params: { file_sha: "2".repeat(40) } })).status).toBe(404);

    const parent = await bare(["rev-parse", `refs/heads/${FEATURE}`]);
    const baseTree = await bare(["rev-parse", `${parent}^{tree}`]);
    const tree = await call("POST", `${R}/git/trees`, {
      body: {
        base_tree: baseTree,
        tree: [
          { path: "apps/lab/configmap.yaml", mode: "100644", type: "blob", sha: blobSha },
          { path: "apps/lab/inline.txt", mode: "100644", type: "blob", content: "inline\n" },
        ],
      },
    });
    expect(tree.status).toBe(201);
    const treeSha = String(obj(tree).sha);
    const listed = await call("GET", `${R}/git/trees/{tree_sha}`, { params: { tree_sha: treeSha }, query: { recursive: "1" } });
    const paths = (obj(listed).tree as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["apps/lab/configmap.yaml", "apps/lab/inline.txt", "apps/media-services/starr/sonarr-deployment.yaml"]));

    const commit = await call("POST", `${R}/git/commits`, {
      body: { message: "lab: add config via the git database API", tree: treeSha, parents: [parent], author: { name: "Lab Bot", email: "bot@lab.invalid", date: "2026-01-02T03:04:05Z" } },
    });
    expect(commit.status).toBe(201);
    const commitSha = String(obj(commit).sha);
    const got = await call("GET", `${R}/git/commits/{commit_sha}`, { params: { commit_sha: commitSha } });
    expect(obj(got)).toMatchObject({ message: "lab: add config via the git database API", tree: { sha: treeSha } });
    expect((obj(got).parents as { sha: string }[])[0]?.sha).toBe(parent);
    expect((obj(got).author as { date: string }).date).toBe("2026-01-02T03:04:05Z");

    const moved = await call("PATCH", `${R}/git/refs/{ref}`, { params: { ref: `heads/${FEATURE}` }, body: { sha: commitSha } });
    expect(moved.status).toBe(200);
    expect(await bare(["rev-parse", `refs/heads/${FEATURE}`])).toBe(commitSha);
    const back = await call("PATCH", `${R}/git/refs/{ref}`, { params: { ref: `heads/${FEATURE}` }, body: { sha: parent } });
    expect(back.status).toBe(422);
    expect(obj(back).message).toBe("Update is not a fast forward");
    featureSha = commitSha;
  });
});

describe("forge simulator: pull requests", () => {
  it("pulls/create opens a pull request with live stats and mergeability", async () => {
    const r = await call("POST", `${R}/pulls`, { body: { title: "Tweak Sonarr", head: FEATURE, base: repo.defaultBranch, body: "From the contract test" } });
    expect(r.status).toBe(201);
    const p = obj(r);
    expect(p).toMatchObject({ state: "open", merged: false, mergeable: true, mergeable_state: "clean", title: "Tweak Sonarr" });
    expect((p.head as { sha: string }).sha).toBe(featureSha);
    expect(p.commits).toBe(Number(await bare(["rev-list", "--count", `${repo.defaultBranch}..${FEATURE}`])));
    expect(p.commits).toBeGreaterThanOrEqual(3);
    pullNumber = Number(p.number);
  });

  it("pulls/create refuses a duplicate, an unknown head and a branch without commits", async () => {
    const dup = await call("POST", `${R}/pulls`, { body: { title: "again", head: `${repo.owner}:${FEATURE}`, base: repo.defaultBranch } });
    expect(dup.status).toBe(422);
    expect(JSON.stringify(obj(dup).errors)).toContain("A pull request already exists");
    const ghost = await call("POST", `${R}/pulls`, { body: { title: "ghost", head: "no/such/branch", base: repo.defaultBranch } });
    expect(ghost.status).toBe(422);
    expect(obj(ghost).errors).toEqual([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    const empty = await call("POST", `${R}/pulls`, { body: { title: "empty", head: "live", base: repo.defaultBranch } });
    expect(empty.status).toBe(422);
    expect(JSON.stringify(obj(empty).errors)).toContain("No commits between");
  });

  it("the refuse-pull-creation fault with headIncludes refuses only pull requests from a matching branch, once", async () => {
    await controls.refusePullCreation(1, "refused-here");
    const other = await call("POST", `${R}/pulls`, { body: { title: "other", head: "no/such/branch", base: repo.defaultBranch } });
    expect(other.status).toBe(422);
    const refused = await call("POST", `${R}/pulls`, { body: { title: "refused", head: "panel/refused-here-1", base: repo.defaultBranch } });
    expect(refused.status).toBe(401);
    expect(obj(refused).message).toBe("Bad credentials");
    const again = await call("POST", `${R}/pulls`, { body: { title: "refused", head: "panel/refused-here-1", base: repo.defaultBranch } });
    expect(again.status).toBe(422);
  });

  it("pulls/list filters by state, head and base", async () => {
    const open = await call("GET", `${R}/pulls`);
    expect((open.body as { number: number }[]).map((p) => p.number)).toContain(pullNumber);
    const byHead = await call("GET", `${R}/pulls`, { query: { head: `${repo.owner}:${FEATURE}`, state: "all" } });
    expect((byHead.body as unknown[]).length).toBe(1);
    const closed = await call("GET", `${R}/pulls`, { query: { state: "closed", base: repo.defaultBranch } });
    expect((closed.body as unknown[]).length).toBe(0);
  });

  it("pulls/get and pulls/update read and edit it", async () => {
    const got = await call("GET", `${R}/pulls/{pull_number}`, { params: { pull_number: pullNumber } });
    expect(obj(got).number).toBe(pullNumber);
    expect((await call("GET", `${R}/pulls/{pull_number}`, { params: { pull_number: 9999 } })).status).toBe(404);
    const edited = await call("PATCH", `${R}/pulls/{pull_number}`, { params: { pull_number: pullNumber }, body: { title: "Tweak Sonarr (edited)" } });
    expect(obj(edited).title).toBe("Tweak Sonarr (edited)");
  });

  it("issues/add-labels adds labels to the pull request, creating the ones the repository lacks", async () => {
    const L = `${R}/issues/{issue_number}/labels`;
    const added = await call("POST", L, { params: { issue_number: pullNumber }, body: { labels: ["k8s-nas-panel", "health-probes"] } });
    expect(added.status).toBe(200);
    expect((added.body as { name: string }[]).map((l) => l.name)).toEqual(["k8s-nas-panel", "health-probes"]);
    // Again, with one known (in another case) and one new name, as an array of objects: no duplicates.
    const again = await call("POST", L, { params: { issue_number: pullNumber }, body: { labels: [{ name: "K8S-NAS-PANEL" }, { name: "monitoring" }] } });
    expect((again.body as { name: string; id: number }[]).map((l) => l.name)).toEqual(["k8s-nas-panel", "health-probes", "monitoring"]);
    const pull = obj(await call("GET", `${R}/pulls/{pull_number}`, { params: { pull_number: pullNumber } }));
    expect((pull.labels as { name: string; id: number }[]).map((l) => [l.name, l.id])).toEqual((again.body as { name: string; id: number }[]).map((l) => [l.name, l.id]));
    const listed = await call("GET", `${R}/pulls`, { query: { state: "open" } });
    expect((listed.body as { number: number; labels: { name: string }[] }[]).find((p) => p.number === pullNumber)?.labels.map((l) => l.name)).toContain("monitoring");
    // Request validation from the description; an issue that is no pull request does not exist in the lab.
    expect((await call("POST", L, { params: { issue_number: pullNumber }, body: { labels: [] }, invalid: true })).status).toBe(422);
    expect((await call("POST", L, { params: { issue_number: pullNumber }, body: { labels: "k8s-nas-panel" }, invalid: true })).status).toBe(422);
    expect((await call("POST", L, { params: { issue_number: 9999 }, body: { labels: ["x"] } })).status).toBe(404);
  });

  it("merge control: merge commit lands on the base branch of the bare repo", async () => {
    const baseBefore = await bare(["rev-parse", repo.defaultBranch]);
    const result = await controls.mergePull(pullNumber);
    expect(result.merged).toBe(true);
    const baseAfter = await bare(["rev-parse", repo.defaultBranch]);
    expect(baseAfter).toBe(result.sha);
    expect((await bare(["rev-list", "--parents", "-n", "1", baseAfter])).split(" ").slice(1)).toEqual([baseBefore, featureSha]);
    await expect(run("git", ["--git-dir", repo.bareDir, "merge-base", "--is-ancestor", featureSha, repo.defaultBranch])).resolves.toBeDefined();
    expect(await bare(["show", `${repo.defaultBranch}:apps/lab/inline.txt`])).toBe("inline");
    const p = obj(await call("GET", `${R}/pulls/{pull_number}`, { params: { pull_number: pullNumber } }));
    expect(p).toMatchObject({ state: "closed", merged: true, merge_commit_sha: result.sha });
    expect(p.merged_at).not.toBeNull();
  });

  it("merge control refuses a pull request that is already merged (405)", async () => {
    await expect(controls.mergePull(pullNumber)).rejects.toMatchObject({ status: 405 });
  });

  it("close control and PATCH state close and reopen without merging", async () => {
    const branch = "lab/to-close";
    await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${branch}`, sha: await bare(["rev-parse", repo.defaultBranch]) } });
    await call("PUT", `${R}/contents/{path}`, { params: { path: "apps/lab/closing.txt" }, body: { message: "to close", content: Buffer.from("x\n").toString("base64"), branch } });
    const p = obj(await call("POST", `${R}/pulls`, { body: { title: "Will be closed", head: branch, base: repo.defaultBranch } }));
    const closed = await controls.closePull(Number(p.number));
    expect(closed).toMatchObject({ state: "closed", merged: false, merge_commit_sha: null });
    const reopened = await call("PATCH", `${R}/pulls/{pull_number}`, { params: { pull_number: Number(p.number) }, body: { state: "open" } });
    expect(obj(reopened).state).toBe("open");
    const closedAgain = await call("PATCH", `${R}/pulls/{pull_number}`, { params: { pull_number: Number(p.number) }, body: { state: "closed" } });
    expect(obj(closedAgain)).toMatchObject({ state: "closed", merged: false });
  });

  it("fast-forward merge moves the base to the head commit", async () => {
    const branch = "lab/ff";
    await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${branch}`, sha: await bare(["rev-parse", repo.defaultBranch]) } });
    await call("PUT", `${R}/contents/{path}`, { params: { path: "apps/lab/ff.txt" }, body: { message: "ff", content: Buffer.from("ff\n").toString("base64"), branch } });
    const head = await bare(["rev-parse", branch]);
    const p = obj(await call("POST", `${R}/pulls`, { body: { title: "FF", head: branch, base: repo.defaultBranch } }));
    const r = await controls.mergePull(Number(p.number), { method: "fast-forward" });
    expect(r.sha).toBe(head);
    expect(await bare(["rev-parse", repo.defaultBranch])).toBe(head);
  });

  it("reports a conflicting pull request as not mergeable and refuses to merge it", async () => {
    const start = await bare(["rev-parse", repo.defaultBranch]);
    const path = "apps/lab/conflict.txt";
    for (const [branch, text] of [
      ["lab/conflict-a", "a\n"],
      ["lab/conflict-b", "b\n"],
    ] as const) {
      await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${branch}`, sha: start } });
      await call("PUT", `${R}/contents/{path}`, { params: { path }, body: { message: branch, content: Buffer.from(text).toString("base64"), branch } });
    }
    const a = obj(await call("POST", `${R}/pulls`, { body: { title: "A", head: "lab/conflict-a", base: repo.defaultBranch } }));
    await controls.mergePull(Number(a.number));
    const b = obj(await call("POST", `${R}/pulls`, { body: { title: "B", head: "lab/conflict-b", base: repo.defaultBranch } }));
    expect(b).toMatchObject({ mergeable: false, mergeable_state: "dirty" });
    const err = await controls.mergePull(Number(b.number)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeControlError);
    expect((err as ForgeControlError).status).toBe(405);
  });

  it("marks a pull request merged when its head reaches the base by a plain push", async () => {
    const branch = "lab/pushed";
    await call("POST", `${R}/git/refs`, { body: { ref: `refs/heads/${branch}`, sha: await bare(["rev-parse", repo.defaultBranch]) } });
    await call("PUT", `${R}/contents/{path}`, { params: { path: "apps/lab/pushed.txt" }, body: { message: "pushed", content: Buffer.from("p\n").toString("base64"), branch } });
    const p = obj(await call("POST", `${R}/pulls`, { body: { title: "Pushed", head: branch, base: repo.defaultBranch } }));
    await bare(["update-ref", `refs/heads/${repo.defaultBranch}`, await bare(["rev-parse", branch])]);
    const after = obj(await call("GET", `${R}/pulls/{pull_number}`, { params: { pull_number: Number(p.number) } }));
    expect(after).toMatchObject({ state: "closed", merged: true });
  });

  it("git/delete-ref deletes a branch (204), then 422 for a missing one", async () => {
    const del = await call("DELETE", `${R}/git/refs/{ref}`, { params: { ref: "heads/lab/ff" } });
    expect(del.status).toBe(204);
    expect((await call("DELETE", `${R}/git/refs/{ref}`, { params: { ref: "heads/lab/ff" } })).status).toBe(422);
  });

  it("the pull request page shows its state", async () => {
    const res = await fetch(`${base}/${repo.owner}/${repo.repo}/pull/${pullNumber}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-testid="pr-state">merged<');
  });

  it("exercised every operation the spec lists", () => {
    const all = operations(spec).map((o) => o.operationId).sort();
    expect([...covered].sort()).toEqual(all);
  });
});
