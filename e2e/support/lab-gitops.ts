import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import path from "node:path";
import { parse } from "yaml";

/**
 * The lab's GitOps repository (real git over smart HTTP) and its GitHub-like forge, as lab.json
 * describes them, plus a reset of both to the imported state for tests that open pull requests.
 */
export interface LabGitops {
  git: { url: string; username: string; password: string; bareDir: string; defaultBranch: string; branches: string[] };
  forge: { apiUrl: string; token: string; owner: string; repo: string };
}

function labJsonPath(): string {
  return path.join(process.env.LAB_DIR ?? path.resolve(__dirname, "..", "..", ".lab"), "lab.json");
}

/** `apps.git` and `apps.forge` of the running lab, or undefined when the lab (or one of them) is not up. */
/** The lab's Git server and forge for a spec's setup; throws one line saying how to start the lab. */
export function requireLabGitops(): LabGitops {
  const found = readLabGitops();
  if (!found) throw new Error("The lab is not up (no apps.git / apps.forge in .lab/lab.json): start it with `npm run lab -- up` before the e2e tests.");
  return found;
}

export function readLabGitops(): LabGitops | undefined {
  const file = labJsonPath();
  if (!existsSync(file)) return undefined;
  try {
    const lab = JSON.parse(readFileSync(file, "utf8")) as { apps?: { git?: LabGitops["git"]; forge?: LabGitops["forge"] } };
    const git = lab.apps?.git;
    const forge = lab.apps?.forge;
    if (!git?.url || !git.bareDir || !forge?.apiUrl || !forge.token) return undefined;
    return { git, forge };
  } catch {
    return undefined;
  }
}

/** Runs git on the lab's bare repository and returns trimmed stdout. */
export function bareGit(lab: LabGitops, args: string[]): string {
  return execFileSync("git", ["--git-dir", lab.git.bareDir, ...args], { encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } }).trim();
}

async function forgeControl(lab: LabGitops, method: string, pathName: string): Promise<unknown> {
  const send = () => fetch(`${lab.forge.apiUrl}${pathName}`, { method, headers: { authorization: `Bearer ${lab.forge.token}` }, signal: AbortSignal.timeout(30_000) });
  // A kept-alive connection the forge closed while idle fails before the request reaches it: send again.
  const res = await send().catch((err: Error & { cause?: { message?: string } }) => {
    if (err.cause?.message === "other side closed") return send();
    throw err;
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`forge ${method} ${pathName}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Pull requests of the lab forge (all states), as GitHub objects. */
export async function listLabPulls(lab: LabGitops): Promise<Array<{ number: number; state: string; merged: boolean; head: { ref: string }; base: { ref: string }; html_url: string; merge_commit_sha: string | null; title: string; body: string | null; labels: { name: string }[] }>> {
  return (await forgeControl(lab, "GET", "/_lab/pulls")) as Awaited<ReturnType<typeof listLabPulls>>;
}

/** Merges a pull request the way a reviewer would (forge control); returns the merge commit. */
export async function mergeLabPull(lab: LabGitops, number: number): Promise<string> {
  const res = (await forgeControl(lab, "POST", `/_lab/pulls/${number}/merge`)) as { sha: string };
  return res.sha;
}

/**
 * Back to the imported repository: open pull requests closed, `panel/*` branches deleted, every
 * other branch reset to the import commit.
 */
export async function resetLabGitops(lab: LabGitops): Promise<void> {
  for (const pull of await listLabPulls(lab)) {
    if (pull.state === "open") await forgeControl(lab, "POST", `/_lab/pulls/${pull.number}/close`);
  }
  const root = bareGit(lab, ["rev-list", "--max-parents=0", "-n", "1", `refs/heads/${lab.git.defaultBranch}`]);
  for (const line of bareGit(lab, ["for-each-ref", "--format=%(refname)", "refs/heads/"]).split("\n").filter(Boolean)) {
    if (line.startsWith("refs/heads/panel/")) bareGit(lab, ["update-ref", "-d", line]);
    else if (lab.git.branches.includes(line.slice("refs/heads/".length))) bareGit(lab, ["update-ref", line, root]);
  }
}

/** The `gitops` section of a panel config for the lab (credentials come from the environment below). */
export function labGitopsConfigLines(lab: LabGitops): string[] {
  return [
    "gitops:",
    `  repoUrl: ${lab.git.url}`,
    "  forge: github",
    `  apiUrl: ${lab.forge.apiUrl}`,
    "  tokenEnv: GITOPS_TOKEN",
    `  username: ${lab.git.username}`,
    "  passwordEnv: GITOPS_GIT_PASSWORD",
    "  pollSeconds: 5",
  ];
}

/** The environment variables the `gitops` section names: the forge token and the git password. */
export function labGitopsEnv(lab: LabGitops): Record<string, string> {
  return { GITOPS_TOKEN: lab.forge.token, GITOPS_GIT_PASSWORD: lab.git.password };
}

/** GETs an object of the lab cluster by its API path, with the lab's admin kubeconfig (undefined on 404). */
export async function readLabObject<T = Record<string, unknown>>(apiPath: string): Promise<T | undefined> {
  const { status, body } = await labKubeRequest("GET", apiPath);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET ${apiPath}: HTTP ${status}`);
  return JSON.parse(body) as T;
}

/** Replaces an object of the lab cluster (PUT, as the lab's admin): for tests putting back what they changed. */
export async function replaceLabObject(apiPath: string, obj: Record<string, unknown>): Promise<void> {
  const { status, body } = await labKubeRequest("PUT", apiPath, obj);
  if (status !== 200) throw new Error(`PUT ${apiPath}: HTTP ${status} ${body.slice(0, 300)}`);
}

async function labKubeRequest(method: "GET" | "PUT", apiPath: string, obj?: Record<string, unknown>): Promise<{ status: number; body: string }> {
  const labDir = process.env.LAB_DIR ?? path.resolve(__dirname, "..", "..", ".lab");
  const kc = parse(readFileSync(path.join(labDir, "admin.kubeconfig"), "utf8")) as {
    clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }>;
    users: Array<{ user: { "client-certificate-data": string; "client-key-data": string } }>;
  };
  const cluster = kc.clusters[0]?.cluster;
  const user = kc.users[0]?.user;
  if (!cluster || !user) throw new Error("the lab kubeconfig has no cluster or user");
  const b64 = (s: string) => Buffer.from(s, "base64");
  return await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      `${cluster.server}${apiPath}`,
      {
        method,
        ca: b64(cluster["certificate-authority-data"]),
        cert: b64(user["client-certificate-data"]),
        key: b64(user["client-key-data"]),
        timeout: 10_000,
        ...(obj ? { headers: { "content-type": "application/json" } } : {}),
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(obj ? JSON.stringify(obj) : undefined);
  });
}

/** An Argo CD Application's sync and health in the lab cluster, as the lab's Argo CD wrote them. */
export async function readApplicationSync(ns: string, name: string): Promise<{ status: string; revision?: string; health?: string } | undefined> {
  const app = await readLabObject<{ status?: { sync?: { status?: string; revision?: string }; health?: { status?: string } } }>(`/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications/${name}`);
  const sync = app?.status?.sync;
  if (!sync?.status) return undefined;
  return { status: sync.status, revision: sync.revision, health: app?.status?.health?.status };
}

/** The lab's Gitea (`apps.gitea` of lab.json): the fields the browser tests use. */
export interface LabGitea {
  url: string;
  apiUrl: string;
  username: string;
  password: string;
  token: string;
  owner: string;
  repo: string;
  cloneUrl: string;
  webUrl: string;
  importCommit: string;
  workDir: string;
}

/** `apps.gitea` of the running lab, or undefined when the lab runs no Gitea. */
export function readLabGitea(): LabGitea | undefined {
  const file = labJsonPath();
  if (!existsSync(file)) return undefined;
  const gitea = (JSON.parse(readFileSync(file, "utf8")) as { apps?: { gitea?: LabGitea } }).apps?.gitea;
  return gitea?.apiUrl && gitea.token ? gitea : undefined;
}

/** Gitea's own copy of the repository on disk (Gitea keeps owner and repository names in lower case). */
export function giteaBareDir(gitea: LabGitea): string {
  return path.join(gitea.workDir, "repositories", gitea.owner.toLowerCase(), `${gitea.repo.toLowerCase()}.git`);
}

/** Runs git on Gitea's copy of the repository and returns trimmed stdout. */
export function giteaGit(gitea: LabGitea, args: string[]): string {
  return execFileSync("git", ["--git-dir", giteaBareDir(gitea), ...args], { encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } }).trim();
}

/** The `gitops` section of a panel that works against the lab's Gitea, with the token as Git password too. */
export function labGiteaConfigLines(gitea: LabGitea): string[] {
  return ["gitops:", `  repoUrl: ${gitea.cloneUrl}`, "  forge: gitea", `  apiUrl: ${gitea.apiUrl}`, "  tokenEnv: GITOPS_TOKEN", `  username: ${gitea.username}`, "  pollSeconds: 5"];
}

/** A Gitea pull request as its API answers (`repoGetPullRequest`), the fields the tests read. */
export interface GiteaPull {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  merge_commit_sha: string | null;
  html_url: string;
  title: string;
  body: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: { name: string }[];
}

/** A call to Gitea's API as its admin (basic authentication): what a reviewer does there. */
export async function giteaApi<T>(gitea: LabGitea, method: string, pathName: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gitea.apiUrl}${pathName}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${gitea.username}:${gitea.password}`).toString("base64")}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A pull request of the lab's Gitea repository, read through Gitea's API. */
export async function getGiteaPull(gitea: LabGitea, number: number): Promise<GiteaPull> {
  const res = await giteaApi<GiteaPull>(gitea, "GET", `/repos/${gitea.owner}/${gitea.repo}/pulls/${number}`);
  if (res.status !== 200) throw new Error(`gitea GET pull ${number}: HTTP ${res.status}`);
  return res.body;
}

/** Merges a pull request on Gitea as its Merge button does (a merge commit); returns the merge commit. */
export async function mergeGiteaPull(gitea: LabGitea, number: number): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await giteaApi<{ message?: string }>(gitea, "POST", `/repos/${gitea.owner}/${gitea.repo}/pulls/${number}/merge`, { Do: "merge" });
    if (res.status === 200) break;
    // 405 "Please try again later" while Gitea still checks the pull request after the push.
    if (res.status !== 405 || Date.now() > deadline) throw new Error(`gitea merge of pull ${number}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const merged = await getGiteaPull(gitea, number);
  if (!merged.merged || !merged.merge_commit_sha) throw new Error(`gitea: pull request #${number} is not merged after the merge call`);
  return merged.merge_commit_sha;
}
