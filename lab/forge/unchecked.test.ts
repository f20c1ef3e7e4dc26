import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenForge } from "./server";
import { encodeMultiSegment, FORGE_OPERATIONS, multiSegmentPrefixes, operations, uncheckedForgeDescription } from "./spec";

/**
 * Without the API descriptions (a clone without `../shared`, `LAB_SPEC_CHECKS=0`) the forge serves
 * the same operations over its real bare repository, unchecked.
 */
const saved = { shared: process.env.K8S_NAS_SHARED_DIR, checks: process.env.LAB_SPEC_CHECKS };
/** A token made for this run (never a literal in the tree). */
const TOKEN = `ghp_${randomBytes(18).toString("hex")}`;
let tmp: string;
let server: Server;
let base: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" } }).trim();
}

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { accept: "application/vnd.github+json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "forge-unchecked-"));
  process.env.K8S_NAS_SHARED_DIR = join(tmp, "no-shared");
  process.env.LAB_SPEC_CHECKS = "0";
  const bare = join(tmp, "repo.git");
  const work = join(tmp, "work");
  git(tmp, "init", "-q", "--bare", "-b", "main", bare);
  git(tmp, "clone", "-q", bare, work);
  mkdirSync(join(work, "apps", "media"), { recursive: true });
  writeFileSync(join(work, "apps", "media", "sonarr.yaml"), "kind: Deployment\n");
  git(work, "add", ".");
  git(work, "commit", "-q", "-m", "first");
  git(work, "push", "-q", "origin", "HEAD:main");
  const started = await listenForge({ bareDir: bare, owner: "owner", repo: "gitops", token: TOKEN, cloneUrl: "http://127.0.0.1/owner/gitops.git", stateFile: join(tmp, "state.json") });
  server = started.server;
  base = started.url;
});

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  for (const [k, v] of [["K8S_NAS_SHARED_DIR", saved.shared], ["LAB_SPEC_CHECKS", saved.checks]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe("the forge without the API descriptions (LAB_SPEC_CHECKS=0)", () => {
  it("routes every operation it implements, paths and refs with slashes as one parameter", () => {
    const doc = uncheckedForgeDescription();
    expect(operations(doc)).toHaveLength(FORGE_OPERATIONS.length);
    const prefixes = multiSegmentPrefixes(doc);
    expect(prefixes).toHaveLength(6);
    expect(encodeMultiSegment("/repos/o/r/contents/apps/a b.yaml", prefixes)).toBe("/repos/o/r/contents/apps%2Fa%20b.yaml");
    expect(encodeMultiSegment("/repos/o/r/git/ref/heads/feat/x", prefixes)).toBe("/repos/o/r/git/ref/heads%2Ffeat%2Fx");
    expect(encodeMultiSegment("/repos/o/r/git/refs/heads/feat/x", prefixes)).toBe("/repos/o/r/git/refs/heads%2Ffeat%2Fx");
    expect(encodeMultiSegment("/repos/o/r/pulls/1", prefixes)).toBe("/repos/o/r/pulls/1");
  });

  it("reads the repository, a file and a ref, and refuses a request without the token", async () => {
    const repo = await call("GET", "/repos/owner/gitops");
    expect(repo.status).toBe(200);
    expect(repo.body.default_branch).toBe("main");
    const file = await call("GET", "/repos/owner/gitops/contents/apps/media/sonarr.yaml?ref=main");
    expect(file.status).toBe(200);
    expect(Buffer.from(String(file.body.content), "base64").toString("utf8")).toBe("kind: Deployment\n");
    const ref = await call("GET", "/repos/owner/gitops/git/ref/heads/main");
    expect(ref.status).toBe(200);
    expect((ref.body.object as { sha?: string }).sha).toMatch(/^[0-9a-f]{40}$/);
    expect((await call("GET", "/repos/owner/gitops", undefined, null)).status).toBe(401);
    expect((await call("GET", "/repos/owner/gitops/no-such-thing")).status).toBe(404);
  });

  it("makes a change as the panel does: a branch, a file on it, a pull request", async () => {
    const main = await call("GET", "/repos/owner/gitops/git/ref/heads/main");
    const sha = (main.body.object as { sha: string }).sha;
    expect((await call("POST", "/repos/owner/gitops/git/refs", { ref: "refs/heads/panel/change-1", sha })).status).toBe(201);
    const put = await call("PUT", "/repos/owner/gitops/contents/apps/media/radarr.yaml", {
      message: "add radarr",
      content: Buffer.from("kind: Deployment\n").toString("base64"),
      branch: "panel/change-1",
    });
    expect(put.status).toBe(201);
    const pr = await call("POST", "/repos/owner/gitops/pulls", { title: "Add Radarr", head: "panel/change-1", base: "main" });
    expect(pr.status).toBe(201);
    const list = await call("GET", "/repos/owner/gitops/pulls?state=open");
    expect(list.status).toBe(200);
    expect((list.body as unknown as { number: number; title: string }[]).map((p) => p.title)).toEqual(["Add Radarr"]);
  });
});
