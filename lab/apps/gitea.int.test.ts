/**
 * The lab's Gitea as a process: a fresh start in its own lab directory (admin, token, repository
 * pushed from the lab's git server), reuse, restart with its data kept, and a lost state file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLabRepo, planRepo } from "./git-repo";
import type { LabRepo } from "./git-repo";
import { GiteaControls } from "./gitea-controls";
import { gitAuthEnv, giteaApi, startGitea } from "./gitea";
import type { GiteaInfo } from "./gitea";
import { defaultGitopsRepo } from "../paths";
import { isAlive, stopPid } from "../lib/process";
import type { AppsState } from "../lib/state";
import { readState, writeState } from "../lib/state";

const run = promisify(execFile);
let dir: string;
let repo: LabRepo;
let first: GiteaInfo;
const log = (m: string): void => {
  if (process.env.LAB_APPS_VERBOSE === "1") process.stdout.write(`[gitea] ${m}\n`);
};

async function start(state: AppsState): Promise<GiteaInfo> {
  const info = await startGitea({ labDir: dir, state, log, source: { ...repo, branches: planRepo(defaultGitopsRepo()).branches } });
  writeState(dir, state);
  return info;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lab-gitea-"));
  repo = await ensureLabRepo({ labDir: dir, gitopsDir: defaultGitopsRepo(), log });
}, 60_000);

afterAll(async () => {
  if (first !== undefined && isAlive(first.pid)) await stopPid(first.pid, 10_000);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("lab Gitea", () => {
  it("starts fresh on loopback with an admin, a scoped token and the repository at the import commit", async () => {
    const t0 = Date.now();
    first = await start(readState(dir));
    console.log(`fresh Gitea (migrate, admin, start, token, organisation, repository, push): ${Date.now() - t0} ms`);
    expect(first).toMatchObject({ kind: "gitea", version: "1.26.0", owner: repo.owner, repo: repo.repo, defaultBranch: repo.defaultBranch, importCommit: repo.importCommit });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Secrets on disk are the owner's only.
    expect(statSync(first.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "apps-state.json")).mode & 0o777).toBe(0o600);
    expect(readState(dir).secrets["gitea.token"]).toBe(first.token);

    const controls = new GiteaControls(first, repo.bareDir);
    expect((await controls.branches()).sort()).toEqual([...first.branches].sort());
    for (const b of first.branches) expect(await controls.branchSha(b)).toBe(repo.importCommit);
    const described = await giteaApi(first.apiUrl, `token ${first.token}`, "GET", `/repos/${first.owner}/${first.repo}`);
    expect(described).toMatchObject({ status: 200, body: { private: true, default_branch: repo.defaultBranch, empty: false } });
    // The token has the scopes the panel's documentation asks for, and not more.
    expect((await giteaApi(first.apiUrl, `token ${first.token}`, "GET", "/user")).status).toBe(403);
    expect((await giteaApi(first.apiUrl, `token ${first.token}`, "GET", "/admin/users")).status).toBe(403);
    // Cloning needs credentials; the token works as the Git password.
    const clone = join(dir, "clone");
    await run("git", ["clone", "--quiet", "--branch", repo.defaultBranch, first.cloneUrl, clone], { env: { ...process.env, ...gitAuthEnv(first.username, first.token) } });
    expect((await run("git", ["-C", clone, "rev-parse", "HEAD"])).stdout.trim()).toBe(repo.importCommit);
    await expect(run("git", ["ls-remote", first.cloneUrl], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } })).rejects.toThrow();
  });

  it("a second start reuses the running process, its port and its token", async () => {
    const again = await start(readState(dir));
    expect(again).toMatchObject({ pid: first.pid, url: first.url, token: first.token });
  });

  it("after a stop it starts on the same port with its data: pushes and the token survive", async () => {
    const controls = new GiteaControls(first, repo.bareDir);
    await run("git", ["--git-dir", repo.bareDir, "push", "--quiet", first.cloneUrl, `${repo.importCommit}:refs/heads/kept`], { env: { ...process.env, ...gitAuthEnv(first.username, first.token) } });
    await stopPid(first.pid, 10_000);
    const t0 = Date.now();
    const restarted = await start(readState(dir));
    console.log(`Gitea restart with its data: ${Date.now() - t0} ms`);
    expect(restarted.pid).not.toBe(first.pid);
    expect(restarted).toMatchObject({ url: first.url, token: first.token });
    expect(await controls.branchSha("kept")).toBe(repo.importCommit);
    first = restarted;
  });

  it("a lost state file gets the admin password reset and a new token; the repository is kept", async () => {
    const kept = readState(dir);
    await stopPid(first.pid, 10_000);
    const lost: AppsState = { ports: kept.ports, secrets: {} };
    const fresh = await start(lost);
    expect(fresh.password).not.toBe(first.password);
    expect(fresh.token).not.toBe(first.token);
    expect((await giteaApi(fresh.apiUrl, `token ${fresh.token}`, "GET", `/repos/${fresh.owner}/${fresh.repo}`)).status).toBe(200);
    expect(await new GiteaControls(fresh, repo.bareDir).branchSha("kept")).toBe(repo.importCommit);
    first = fresh;
  });
});
