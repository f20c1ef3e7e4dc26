import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { parseRepoUrl } from "@/lib/gitops/repo-url";
import { GiteaForge } from "./gitea";
import { createForge } from "./index";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
const seen: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];

async function forgeAt(handler: Handler): Promise<string> {
  seen.length = 0;
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
};

const repo = parseRepoUrl("https://github.com/brettswift/k8s_nas.git");
if (!repo) throw new Error("parse");
const pull = (over: Record<string, unknown> = {}) => ({
  number: 7,
  html_url: "https://github.com/brettswift/k8s_nas/pull/7",
  state: "open",
  merged: false,
  merged_at: null,
  merge_commit_sha: "abc",
  mergeable: true,
  head: { ref: "panel/x" },
  base: { ref: "live" },
  ...over,
});

describe("GitHub provider", () => {
  it("opens a pull request with labels, finds it, and follows it to merged", async () => {
    const apiUrl = await forgeAt((req, _body, res) => {
      if (req.method === "GET" && req.url === "/repos/brettswift/k8s_nas") return json(res, 200, { full_name: "brettswift/k8s_nas" });
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/pulls") return json(res, 201, pull());
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/issues/7/labels") return json(res, 200, []);
      if (req.url?.startsWith("/repos/brettswift/k8s_nas/pulls?")) return json(res, 200, [pull()]);
      if (req.url === "/repos/brettswift/k8s_nas/pulls/7") return json(res, 200, pull({ state: "closed", merged: true, merged_at: "2026-11-26T08:00:00Z", merge_commit_sha: "m3rge" }));
      return json(res, 404, { message: "Not Found" });
    });
    const forge = createForge({ kind: "github", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "ghp_token123" } });
    await forge.checkAccess();
    const created = await forge.createPull({ head: "panel/x", base: "live", title: "t", body: "b", labels: ["k8s-nas-panel"] });
    expect(created).toMatchObject({ number: 7, state: "open", url: "https://github.com/brettswift/k8s_nas/pull/7", warnings: [] });
    expect(seen.find((s) => s.url.endsWith("/labels"))?.body).toBe('{"labels":["k8s-nas-panel"]}');
    expect(seen.every((s) => s.auth === "Bearer ghp_token123")).toBe(true);
    expect(await forge.findOpenPull("panel/x", "live")).toMatchObject({ number: 7 });
    expect(seen.at(-1)?.url).toContain("head=brettswift%3Apanel%2Fx");
    expect(await forge.getPull(7)).toMatchObject({ state: "merged", mergeCommitSha: "m3rge", mergedAt: "2026-11-26T08:00:00Z" });
  });

  it("names the variable, the Secret and the scope when the token is missing, refused or too weak", async () => {
    const apiUrl = await forgeAt((req, _body, res) => {
      if (req.headers.authorization === "Bearer weak") return json(res, 403, { message: "Resource not accessible by personal access token" });
      if (req.headers.authorization === "Bearer limited") return json(res, 403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0" });
      return json(res, 401, { message: "Bad credentials" });
    });
    const make = (value: string | undefined) => createForge({ kind: "github", repo, apiUrl, token: { env: "GITOPS_TOKEN", value } });
    await expect(make(undefined).checkAccess()).rejects.toMatchObject({ code: "unauthorized", message: expect.stringContaining("GITOPS_TOKEN (in the cluster: the key GITOPS_TOKEN of the Secret k8s-nas-panel-secrets) is not set") });
    await expect(make("nope").checkAccess()).rejects.toMatchObject({ code: "unauthorized", message: expect.stringMatching(/refused the token in GITOPS_TOKEN .*HTTP 401: Bad credentials.*Pull requests: read and write/) });
    await expect(make("weak").checkAccess()).rejects.toMatchObject({ code: "forbidden", message: expect.stringContaining("Resource not accessible") });
    await expect(make("limited").checkAccess()).rejects.toMatchObject({ code: "rate_limited" });
    expect(seen.some((s) => s.auth === undefined)).toBe(false);
  });

  it("a forge without labels gives a warning, a duplicate a conflict, a wrong shape invalid_response", async () => {
    const apiUrl = await forgeAt((req, _body, res) => {
      if (req.url?.endsWith("/labels")) return json(res, 404, { message: "Not Found" });
      if (req.method === "POST") return json(res, 201, pull());
      if (req.url === "/repos/brettswift/k8s_nas/pulls/8") return json(res, 422, { message: "Validation Failed", errors: [{ message: "A pull request already exists for brettswift:panel/x." }] });
      return json(res, 200, { unexpected: true });
    });
    const forge = createForge({ kind: "github", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "t" } });
    expect((await forge.createPull({ head: "panel/x", base: "live", title: "t", body: "b", labels: ["a"] })).warnings).toEqual(["Labels were not added (HTTP 404)."]);
    await expect(forge.getPull(8)).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining("A pull request already exists") });
    await expect(forge.getPull(9)).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("an unreachable forge is unreachable", async () => {
    const forge = createForge({ kind: "github", repo, apiUrl: "http://127.0.0.1:9", token: { env: "GITOPS_TOKEN", value: "t" } });
    await expect(forge.checkAccess()).rejects.toMatchObject({ code: "unreachable", message: expect.stringContaining("http://127.0.0.1:9 cannot be reached") });
  });
});

describe("Gitea provider", () => {
  it("uses `token` auth, finds the open pull request by head, and adds labels by id, creating the missing ones", async () => {
    const labels = [{ id: 11, name: "k8s-nas-panel" }];
    const apiUrl = await forgeAt((req, body, res) => {
      if (req.url === "/repos/brettswift/k8s_nas/pulls?state=open&limit=50&page=1") return json(res, 200, [pull({ number: 3, head: { ref: "other" } }), pull({ number: 4 })]);
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/pulls") return json(res, 201, pull({ number: 4 }));
      if (req.url === "/repos/brettswift/k8s_nas/labels?limit=50&page=1") return json(res, 200, labels);
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/labels") {
        const created = { id: 12, name: (JSON.parse(body) as { name: string }).name };
        labels.push(created);
        return json(res, 201, created);
      }
      if (req.url === "/repos/brettswift/k8s_nas/issues/4/labels") return json(res, 200, labels);
      return json(res, 404, { message: "not found" });
    });
    const forge = createForge({ kind: "gitea", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "gt" } });
    expect(await forge.findOpenPull("panel/x", "live")).toMatchObject({ number: 4 });
    const created = await forge.createPull({ head: "panel/x", base: "live", title: "t", body: "b", labels: ["k8s-nas-panel", "health-probes"] });
    expect(created.warnings).toEqual([]);
    expect(JSON.parse(seen.find((s) => s.method === "POST" && s.url === "/repos/brettswift/k8s_nas/labels")?.body ?? "{}")).toMatchObject({ name: "health-probes", color: expect.stringMatching(/^#[0-9a-f]{6}$/) });
    expect(seen.find((s) => s.url === "/repos/brettswift/k8s_nas/issues/4/labels")?.body).toBe('{"labels":[11,12]}');
    expect(seen.every((s) => s.auth === "token gt")).toBe(true);
  });

  it("reads every page of labels; a label the token may not create is a warning naming the scope", async () => {
    const page1 = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, name: `l${i + 1}` }));
    const apiUrl = await forgeAt((req, _body, res) => {
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/pulls") return json(res, 201, pull({ number: 5 }));
      if (req.url === "/repos/brettswift/k8s_nas/labels?limit=50&page=1") return json(res, 200, page1);
      if (req.url === "/repos/brettswift/k8s_nas/labels?limit=50&page=2") return json(res, 200, [{ id: 77, name: "k8s-nas-panel" }]);
      if (req.method === "POST" && req.url === "/repos/brettswift/k8s_nas/labels") return json(res, 403, { message: "token does not have at least one of required scope(s): [write:issue]" });
      if (req.url === "/repos/brettswift/k8s_nas/issues/5/labels") return json(res, 200, []);
      return json(res, 404, { message: "not found" });
    });
    const forge = createForge({ kind: "gitea", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "gt" } });
    const found = await forge.createPull({ head: "panel/x", base: "live", title: "t", body: "b", labels: ["k8s-nas-panel"] });
    expect(found.warnings).toEqual([]);
    expect(seen.find((s) => s.url === "/repos/brettswift/k8s_nas/issues/5/labels")?.body).toBe('{"labels":[77]}');
    const refused = await forge.createPull({ head: "panel/y", base: "live", title: "t", body: "b", labels: ["k8s-nas-panel", "monitoring"] });
    expect(refused.warnings).toEqual([expect.stringMatching(/^Labels were not added \(HTTP 403: token does not have .*write:issue.*\); the token needs the write:issue scope/)]);
  });

  it("a head branch Gitea cannot find (its 404) is named as such, not as a missing repository", async () => {
    const apiUrl = await forgeAt((_req, _body, res) => json(res, 404, { errors: null, message: "not found" }));
    const forge = createForge({ kind: "gitea", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "gt" } });
    await expect(forge.createPull({ head: "panel/gone", base: "live", title: "t", body: "b", labels: [] })).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("from panel/gone into live on brettswift/k8s_nas: one of the branches"),
    });
  });

  it("reads an open pull request that is not mergeable once more (Gitea says false while it checks)", async () => {
    let reads = 0;
    const apiUrl = await forgeAt((req, _body, res) => {
      if (req.url === "/repos/brettswift/k8s_nas/pulls/6") return json(res, 200, pull({ number: 6, mergeable: ++reads > 1 }));
      if (req.url === "/repos/brettswift/k8s_nas/pulls/7") return json(res, 200, pull({ number: 7, mergeable: false }));
      return json(res, 404, { message: "not found" });
    });
    const forge = new GiteaForge({ apiUrl, owner: "brettswift", repo: "k8s_nas", token: { env: "GITOPS_TOKEN", value: "gt" }, recheckMs: 10 });
    expect(await forge.getPull(6)).toMatchObject({ mergeable: true });
    expect(reads).toBe(2);
    expect(await forge.getPull(7)).toMatchObject({ mergeable: false });
    expect(seen.filter((s) => s.url.endsWith("/pulls/7"))).toHaveLength(2);
  });
});

describe("no forge", () => {
  it("gives the compare page of the pushed branch", async () => {
    const forge = createForge({ kind: "none", repo, token: { env: "GITOPS_TOKEN", value: undefined } });
    await forge.checkAccess();
    const created = await forge.createPull({ head: "panel/probes-x", base: "live", title: "t", body: "b", labels: [] });
    expect(created).toMatchObject({ number: null, state: "pushed", url: "https://github.com/brettswift/k8s_nas/compare/live...panel/probes-x" });
  });
});

describe("a forge answering 50 MiB", () => {
  it("is cut off at the body ceiling with a clear error, streamed or declared", async () => {
    const apiUrl = await forgeAt((req, _body, res) => {
      const declared = req.url?.includes("pulls/8");
      res.writeHead(200, { "content-type": "application/json", ...(declared ? { "content-length": String(50 * 1024 * 1024) } : {}) });
      const chunk = Buffer.alloc(64 * 1024, " ");
      let sent = 0;
      let closed = false;
      res.on("close", () => (closed = true));
      const pump = (): void => {
        while (!closed && sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!closed) res.end();
      };
      pump();
    });
    const forge = createForge({ kind: "github", repo, apiUrl, token: { env: "GITOPS_TOKEN", value: "t" } });
    const error = (await forge.getPull(7).catch((e: unknown) => e)) as { code: string; message: string };
    expect({ code: error.code, message: error.message }).toEqual({
      code: "invalid_response",
      message: "The GitHub API sent more than 8 MiB for GET /repos/brettswift/k8s_nas/pulls/7; the panel stopped reading it.",
    });
    await expect(forge.getPull(8)).rejects.toMatchObject({ code: "invalid_response" });
  });
});
