import type { CommitInfo, TreeEntry } from "./git-store";

/** Where the forge lives: API base, web base for html_url, and the clone URL of the repo. */
export interface ForgeUrls {
  api: string;
  web: string;
  cloneUrl: string;
  owner: string;
  repo: string;
}

/** A stable fake node id in GitHub's style. */
export function nodeId(kind: string, id: string | number): string {
  return Buffer.from(`${kind}:${id}`).toString("base64").replace(/=+$/, "");
}

/** GitHub's `simple-user` for a login. */
export function simpleUser(u: ForgeUrls, login: string, id: number): Record<string, unknown> {
  const api = `${u.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId("User", id),
    avatar_url: `${u.web}/avatars/${login}`,
    gravatar_id: "",
    url: api,
    html_url: `${u.web}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: "User",
    user_view_type: "public",
    site_admin: false,
  };
}

/** A repository label as GitHub renders it (the items of `pull-request.labels`). */
export function labelJson(u: ForgeUrls, l: { id: number; name: string; color: string; description: string; default: boolean }): Record<string, unknown> {
  return {
    id: l.id,
    node_id: nodeId("Label", l.id),
    url: `${u.api}/repos/${u.owner}/${u.repo}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    description: l.description,
    color: l.color,
    default: l.default,
  };
}

/** Fields shared by `repository` and `full-repository`. */
export function repository(u: ForgeUrls, o: { id: number; ownerId: number; defaultBranch: string; createdAt: string; pushedAt: string; openIssues: number; sizeKb: number }): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  const html = `${u.web}/${u.owner}/${u.repo}`;
  return {
    id: o.id,
    node_id: nodeId("Repository", o.id),
    name: u.repo,
    full_name: `${u.owner}/${u.repo}`,
    private: true,
    owner: simpleUser(u, u.owner, o.ownerId),
    html_url: html,
    description: "GitOps repository of the k8s-nas lab",
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: o.createdAt,
    updated_at: o.pushedAt,
    pushed_at: o.pushedAt,
    git_url: u.cloneUrl,
    ssh_url: u.cloneUrl,
    clone_url: u.cloneUrl,
    svn_url: html,
    homepage: null,
    size: o.sizeKb,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: false,
    has_projects: false,
    has_downloads: false,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: o.openIssues,
    license: null,
    allow_forking: false,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: "private",
    forks: 0,
    open_issues: o.openIssues,
    watchers: 0,
    default_branch: o.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_update_branch: false,
    use_squash_pr_title_as_default: false,
    merge_commit_title: "MERGE_MESSAGE",
    merge_commit_message: "PR_TITLE",
    network_count: 0,
    subscribers_count: 0,
  };
}

/** `git-ref` */
export function gitRef(u: ForgeUrls, ref: string, sha: string, type: string): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  const objKind = type === "tag" ? "tags" : "commits";
  return {
    ref,
    node_id: nodeId("Ref", ref),
    url: `${api}/git/${ref}`,
    object: { sha, type, url: `${api}/git/${objKind}/${sha}` },
  };
}

/** `git-commit` */
export function gitCommit(u: ForgeUrls, c: CommitInfo): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  const html = `${u.web}/${u.owner}/${u.repo}`;
  return {
    sha: c.sha,
    node_id: nodeId("Commit", c.sha),
    url: `${api}/git/commits/${c.sha}`,
    html_url: `${html}/commit/${c.sha}`,
    author: c.author,
    committer: c.committer,
    tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    message: c.message,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${html}/commit/${p}` })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

/** `git-tree` */
export function gitTree(u: ForgeUrls, sha: string, entries: TreeEntry[]): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    truncated: false,
    tree: entries.map((e) => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.size !== undefined ? { size: e.size } : {}),
      ...(e.type === "commit" ? {} : { url: `${api}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}` }),
    })),
  };
}

/** Base64 in 60-character lines, the way GitHub encodes file and blob content. */
export function githubBase64(buf: Buffer): string {
  const b64 = buf.toString("base64");
  const lines = b64.match(/.{1,60}/g) ?? [""];
  return `${lines.join("\n")}\n`;
}

/** One item of a contents listing or a `content-file` (with `content` for files). */
export function contentItem(u: ForgeUrls, e: TreeEntry, ref: string, content?: Buffer): Record<string, unknown> {
  const api = `${u.api}/repos/${u.owner}/${u.repo}`;
  const html = `${u.web}/${u.owner}/${u.repo}`;
  const name = e.path.split("/").pop() ?? e.path;
  const type = e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : e.mode === "120000" ? "symlink" : "file";
  const self = `${api}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = type === "dir" ? `${api}/git/trees/${e.sha}` : type === "submodule" ? null : `${api}/git/blobs/${e.sha}`;
  const htmlUrl = `${html}/${type === "dir" ? "tree" : "blob"}/${ref}/${e.path}`;
  return {
    name,
    path: e.path,
    sha: e.sha,
    size: e.size ?? 0,
    url: self,
    html_url: htmlUrl,
    git_url: gitUrl,
    download_url: type === "file" ? `${u.web}/raw/${u.owner}/${u.repo}/${ref}/${e.path}` : null,
    type,
    ...(content !== undefined ? { content: githubBase64(content), encoding: "base64" } : {}),
    _links: { self, git: gitUrl, html: htmlUrl },
  };
}

/** The `{ content, commit }` answer of the contents write endpoints. */
export function fileCommit(u: ForgeUrls, entry: TreeEntry | null, branch: string, c: CommitInfo): Record<string, unknown> {
  return { content: entry === null ? null : contentItem(u, entry, branch), commit: gitCommit(u, c) };
}
