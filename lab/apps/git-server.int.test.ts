import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppsHandle } from "./test-support";
import { useLabApps } from "./test-support";

const run = promisify(execFile);
let lab: AppsHandle;
let work: string;

/** git without prompts or stored credentials of the machine. */
function git(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return run("git", args, {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", HOME: work, GIT_ASKPASS: "", SSH_ASKPASS: "" },
  });
}

function urlWith(user: string, password: string): string {
  const u = new URL(lab.apps.git.url);
  u.username = user;
  u.password = password;
  return u.toString();
}

beforeAll(async () => {
  lab = await useLabApps();
  work = mkdtempSync(join(tmpdir(), "lab-git-test-"));
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await lab?.release();
});

describe("git over smart HTTP", () => {
  it("clones with the lab credentials and has the user's branches", async () => {
    const dir = join(work, "clone");
    await git(["clone", "--quiet", urlWith(lab.apps.git.username, lab.apps.git.password), dir]);
    const { stdout } = await git(["branch", "-r", "--format=%(refname:short)"], dir);
    const branches = stdout.split("\n").filter(Boolean);
    expect(branches).toEqual(expect.arrayContaining(["origin/main", "origin/live"]));
    const head = await git(["rev-parse", "--abbrev-ref", "HEAD"], dir);
    expect(head.stdout.trim()).toBe(lab.apps.git.defaultBranch);
    const files = await git(["ls-files"], dir);
    expect(files.stdout).toContain("apps/media-services/starr/sonarr-deployment.yaml");
  });

  it("pushes a new branch that then exists in the bare repository", async () => {
    const dir = join(work, "clone");
    const branch = `lab-test/push-${Date.now()}`;
    await git(["checkout", "--quiet", "-b", branch], dir);
    writeFileSync(join(dir, "lab-push-test.txt"), "pushed by the lab test\n");
    await git(["add", "lab-push-test.txt"], dir);
    await git(["-c", "user.name=lab test", "-c", "user.email=test@lab.invalid", "commit", "--quiet", "-m", "lab push test"], dir);
    const local = (await git(["rev-parse", "HEAD"], dir)).stdout.trim();
    await git(["push", "--quiet", "origin", branch], dir);
    const remote = await run("git", ["--git-dir", lab.apps.git.bareDir, "rev-parse", `refs/heads/${branch}`]);
    expect(remote.stdout.trim()).toBe(local);
    await git(["push", "--quiet", "origin", "--delete", branch], dir);
  });

  it("refuses a wrong password", async () => {
    await expect(git(["ls-remote", urlWith(lab.apps.git.username, "not-the-password")])).rejects.toThrow(/Authentication failed|401/);
  });

  it("refuses anonymous access", async () => {
    await expect(git(["ls-remote", lab.apps.git.url])).rejects.toThrow(/Authentication failed|could not read Username|401/);
  });
});
