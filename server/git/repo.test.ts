import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { gitCommandError, gitEnv, gitFailureOf, networkError, scrubGitOutput } from "./git-cli";
import { GitRepo, pushRefusalOf } from "./repo";

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } }).trim();

let remote: string;
let repo: GitRepo;

beforeEach(() => {
  const root = mkdtempSync(path.join(tmpdir(), "panel-repo-"));
  remote = path.join(root, "remote.git");
  git(root, "init", "--quiet", "--bare", "--initial-branch=live", remote);
  const seed = path.join(root, "seed");
  mkdirSync(path.join(seed, "apps", "x"), { recursive: true });
  git(root, "init", "--quiet", "--initial-branch=live", seed);
  writeFileSync(path.join(seed, "apps", "x", "deployment.yaml"), "# keep me\nkind: Deployment\n");
  writeFileSync(path.join(seed, "README.bin"), Buffer.from([0, 1, 2]));
  git(seed, "add", ".");
  git(seed, "commit", "--quiet", "-m", "seed");
  git(seed, "push", "--quiet", remote, "live", "live:main");
  repo = new GitRepo({
    dir: path.join(root, "data", "gitops", "remote.git"),
    url: remote,
    auth: { type: "none" },
    credentialHint: "none",
    author: { name: "k8s-nas-panel", email: "panel@example.invalid" },
  });
});

describe("GitRepo", () => {
  it("clones, knows the default branch, and reads a commit's files", async () => {
    await repo.sync();
    expect(repo.defaultBranch()).toBe("live");
    expect((await repo.branches()).sort()).toEqual(["live", "main"]);
    const sha = await repo.branchSha("live");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await repo.branchSha("gone")).toBeUndefined();
    const view = await repo.snapshot(sha as string);
    expect([...view.paths].sort()).toEqual(["README.bin", "apps/x/deployment.yaml"]);
    expect(view.read("apps/x/deployment.yaml")).toBe("# keep me\nkind: Deployment\n");
    expect(view.read("README.bin")).toBeUndefined();
  });

  it("commits with the configured author to a new branch, never onto an existing one, and leaves no work tree", async () => {
    await repo.sync();
    const base = (await repo.branchSha("live")) as string;
    const { headSha } = await repo.commitAndPush({
      baseSha: base,
      branch: "panel/one",
      files: [{ path: "apps/x/deployment.yaml", content: "# keep me\nkind: Deployment\nspec: {}\n" }, { path: "apps/x/new.yaml", content: "a: 1\n" }],
      message: "x: change\n\nbody",
    });
    expect(git(remote, "rev-parse", "refs/heads/panel/one")).toBe(headSha);
    expect(git(remote, "log", "-1", "--format=%an <%ae>|%s|%P", "panel/one")).toBe(`k8s-nas-panel <panel@example.invalid>|x: change|${base}`);
    expect(git(remote, "show", "panel/one:apps/x/new.yaml")).toBe("a: 1");
    // The same branch again (even as a fast-forward) is refused.
    await expect(repo.commitAndPush({ baseSha: headSha, branch: "panel/one", files: [{ path: "b.yaml", content: "b: 1\n" }], message: "again" })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("The branch panel/one already exists"),
    });
    // Nothing to commit is refused too; a path outside the tree is refused.
    await expect(repo.commitAndPush({ baseSha: base, branch: "panel/two", files: [{ path: "apps/x/deployment.yaml", content: "# keep me\nkind: Deployment\n" }], message: "same" })).rejects.toThrow(/nothing to commit/);
    await expect(repo.commitAndPush({ baseSha: base, branch: "panel/three", files: [{ path: "../escape.yaml", content: "x" }], message: "bad" })).rejects.toThrow(/outside the repository/);
    expect(await repo.workTreeCount()).toBe(0);
    expect(git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/panel/")).toBe("panel/one");
  });

  it("never follows a symbolic link committed in the repository, and takes file names literally", async () => {
    const root = path.dirname(remote);
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(root, "victim.txt"), "untouched\n");
    const seed = path.join(root, "seed");
    symlinkSync(outside, path.join(seed, "apps", "linked"));
    symlinkSync(path.join(root, "victim.txt"), path.join(seed, "apps", "x", "service.yaml"));
    git(seed, "add", ".");
    git(seed, "commit", "--quiet", "-m", "links");
    git(seed, "push", "--quiet", remote, "live");
    await repo.sync();
    const base = (await repo.branchSha("live")) as string;
    const view = await repo.snapshot(base);
    expect(view.paths.has("apps/x/service.yaml")).toBe(false);
    await expect(repo.commitAndPush({ baseSha: base, branch: "panel/dir-link", files: [{ path: "apps/linked/evil.yaml", content: "x: 1\n" }], message: "m" })).rejects.toThrow(
      "Refusing to write apps/linked/evil.yaml: apps/linked is a symbolic link in the repository.",
    );
    await expect(repo.commitAndPush({ baseSha: base, branch: "panel/file-link", files: [{ path: "apps/x/service.yaml", content: "pwned\n" }], message: "m" })).rejects.toThrow(
      /apps\/x\/service.yaml is a symbolic link/,
    );
    await expect(repo.commitAndPush({ baseSha: base, branch: "panel/del-link", files: [{ path: "apps/x/service.yaml", content: null }], message: "m" })).rejects.toThrow(/symbolic link/);
    expect(existsSync(path.join(outside, "evil.yaml"))).toBe(false);
    expect(readFileSync(path.join(root, "victim.txt"), "utf8")).toBe("untouched\n");
    expect(await repo.workTreeCount()).toBe(0);

    // Pathspec magic and glob characters in a file name name only that file.
    const { headSha } = await repo.commitAndPush({
      baseSha: base,
      branch: "panel/literal",
      files: [
        { path: ":(icase)readme.yaml", content: "a: 1\n" },
        { path: "apps/x/[abc].yaml", content: "b: 1\n" },
      ],
      message: "literal names",
    });
    expect(git(remote, "diff-tree", "--no-commit-id", "--name-only", "-r", headSha).split("\n").sort()).toEqual([":(icase)readme.yaml", "apps/x/[abc].yaml"]);
  });

  it("writes several changes at once: one branch each, the clone intact", async () => {
    await repo.sync();
    const base = (await repo.branchSha("live")) as string;
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((n) => repo.commitAndPush({ baseSha: base, branch: `panel/${n}`, files: [{ path: `apps/${n}.yaml`, content: `${n}: 1\n` }], message: n })),
    );
    expect(new Set(results.map((r) => r.headSha)).size).toBe(4);
    for (const n of ["a", "b", "c", "d"]) expect(git(remote, "show", `panel/${n}:apps/${n}.yaml`)).toBe(`${n}: 1`);
    expect(await repo.workTreeCount()).toBe(0);
    await repo.sync();
    expect(await repo.isAncestor(base, (await repo.branchSha("panel/a")) as string)).toBe(true);
    expect(await repo.isAncestor((await repo.branchSha("panel/a")) as string, base)).toBe(false);
    expect(await repo.isAncestor("0".repeat(40), base)).toBeNull();
    await repo.deleteRemoteBranch("panel/a");
    expect(await repo.remoteBranchExists("panel/a")).toBe(false);
    expect(await repo.remoteBranchExists("panel/b")).toBe(true);
  });

  it("says when the repository does not exist, and recovers a broken clone", async () => {
    const missing = new GitRepo({ dir: path.join(mkdtempSync(path.join(tmpdir(), "panel-repo-")), "c.git"), url: `${remote}-nope`, auth: { type: "none" }, credentialHint: "h", author: { name: "a", email: "a@b.c" } });
    await expect(missing.sync()).rejects.toMatchObject({ code: "not_found" });
    await repo.sync();
    writeFileSync(path.join(path.dirname(remote), "data", "gitops", "remote.git", "HEAD"), "garbage");
    await repo.sync();
    expect(await repo.branchSha("live")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("refuses a repository URL that carries a password", () => {
    expect(() => new GitRepo({ dir: "/tmp/x", url: "https://me:secret@github.com/o/r.git", auth: { type: "none" }, credentialHint: "", author: { name: "a", email: "a@b.c" } })).toThrow(/contains a password/);
  });
});

describe("git credentials", () => {
  it("travel in the environment, scoped to the remote URL, never on the command line", () => {
    const env = gitEnv({ auth: { type: "basic", username: "lab", password: "s3cret-pass" }, remoteUrl: "https://git.example/o/r.git" });
    expect(env.GIT_CONFIG_KEY_1).toBe("http.https://git.example/o/r.git.extraHeader");
    expect(env.GIT_CONFIG_VALUE_1).toBe(`Authorization: Basic ${Buffer.from("lab:s3cret-pass").toString("base64")}`);
    expect(env.GIT_TERMINAL_PROMPT).toBe("0");
    expect(env.GIT_CONFIG_GLOBAL).toBe("/dev/null");
    expect(gitEnv({}).GIT_CONFIG_COUNT).toBe("1");
  });

  it("are scrubbed from messages and failures are named", () => {
    expect(scrubGitOutput("fatal: Authorization: Basic bGFiOnMzY3JldA== rejected for https://lab:s3cret@h/x s3cret", ["s3cret"])).toBe(
      "fatal: Authorization: Basic [redacted] rejected for https://h/x [redacted]",
    );
    const failed = gitCommandError({ args: ["fetch"], exitCode: 128, stderr: "fatal: Authentication failed for 'https://h/o/r.git/'", timedOut: false });
    expect(failed).toMatchObject({ code: "internal", source: "git" });
    expect(gitFailureOf(failed)?.exitCode).toBe(128);
    const refused = networkError(failed, "https://h/o/r.git", "the password in GITOPS_TOKEN");
    expect(refused).toMatchObject({ code: "unauthorized", message: "The GitOps repository https://h/o/r.git refused the credentials: the password in GITOPS_TOKEN." });
    expect(networkError(gitCommandError({ args: ["fetch"], exitCode: 128, stderr: "fatal: unable to access 'x': Could not resolve host: h", timedOut: false }), "x", "")).toMatchObject({ code: "unreachable" });
    expect(networkError(gitCommandError({ args: ["fetch"], exitCode: null, stderr: "", timedOut: true }), "x", "")).toMatchObject({ code: "timeout" });
  });
});

describe("pushRefusalOf", () => {
  it("keeps what the server's hooks said and the reason of the refusal, not git's closing line", () => {
    const gitea = [
      "remote: ",
      "remote: error:        ",
      "remote: error: Not allowed to push to protected branch panel/probes-jellyfin-x        ",
      "remote: error:        ",
      "To http://127.0.0.1:3000/brettswift/k8s_nas.git",
      " ! [remote rejected] HEAD -> panel/probes-jellyfin-x (pre-receive hook declined)",
      "error: failed to push some refs to 'http://127.0.0.1:3000/brettswift/k8s_nas.git'",
    ].join("\n");
    expect(pushRefusalOf(gitea)).toBe("Not allowed to push to protected branch panel/probes-jellyfin-x (pre-receive hook declined)");
    const github = [
      "remote: error: GH006: Protected branch update failed for refs/heads/panel/x.",
      "remote: error: Changes must be made through a pull request.",
      "To https://github.com/o/r.git",
      " ! [remote rejected] HEAD -> panel/x (protected branch hook declined)",
      "error: failed to push some refs to 'https://github.com/o/r.git'",
    ].join("\n");
    expect(pushRefusalOf(github)).toBe("GH006: Protected branch update failed for refs/heads/panel/x. Changes must be made through a pull request. (protected branch hook declined)");
    expect(pushRefusalOf(" ! [remote rejected] HEAD -> x (shallow update not allowed)\nerror: failed to push some refs to 'u'")).toBe("(shallow update not allowed)");
    expect(pushRefusalOf("error: failed to push some refs to 'u'\n")).toBe("error: failed to push some refs to 'u'");
  });
});
