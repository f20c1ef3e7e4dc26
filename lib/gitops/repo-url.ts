/**
 * Git repository URLs: who owns the repository, where its forge API lives, how a browser compares two
 * branches, and how a URL is shown without credentials.
 */

/** A repository URL taken apart. */
export interface RepoId {
  /** `https`, `http` or `ssh`. */
  protocol: "https" | "http" | "ssh";
  /** Host with port when there is one (`github.com`, `127.0.0.1:3000`). */
  host: string;
  owner: string;
  repo: string;
  /** Path segments before the owner (a forge served under a sub-path, e.g. `/git`). */
  prefix: string;
}

/**
 * Parses `https://host/owner/repo(.git)`, `ssh://git@host/owner/repo.git` and the scp-like
 * `git@host:owner/repo.git`. Returns undefined for anything else (a local path, a URL without a repo).
 */
export function parseRepoUrl(url: string): RepoId | undefined {
  const trimmed = url.trim();
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(trimmed);
  if (scp && !/^[a-z]+:\/\//i.test(trimmed)) {
    return fromPath("ssh", scp[1] ?? "", scp[2] ?? "");
  }
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return undefined;
  }
  const protocol = parsed.protocol.replace(/:$/, "");
  if (protocol !== "https" && protocol !== "http" && protocol !== "ssh") return undefined;
  return fromPath(protocol, parsed.host, decodeURIComponent(parsed.pathname));
}

function fromPath(protocol: RepoId["protocol"], host: string, path: string): RepoId | undefined {
  const parts = path.replace(/\.git\/?$/, "").split("/").filter(Boolean);
  if (parts.length < 2 || !host) return undefined;
  const repo = parts[parts.length - 1] ?? "";
  const owner = parts[parts.length - 2] ?? "";
  const prefix = parts.length > 2 ? `/${parts.slice(0, -2).join("/")}` : "";
  return { protocol, host, owner, repo, prefix };
}

/**
 * Why a repository URL must not be used as it is, or undefined when it is fine: an HTTP(S) URL with
 * user info carries a credential (GitHub and Gitea accept a token as the user name, so even a bare
 * `https://<token>@github.com/...` is one). SSH URLs keep their user name (`git@`), which is no secret.
 */
export function repoUrlCredentialProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  if (parsed.username === "" && parsed.password === "") return undefined;
  return "must not contain a user name or password (a forge token is accepted as a user name, so it would be a secret in the configuration): put the token in the variable gitops.tokenEnv names, and a user name in gitops.username";
}

/** `owner/repo` in lower case: how two URLs of the same repository (SSH and HTTPS) are matched. */
export function repoKey(url: string): string | undefined {
  const id = parseRepoUrl(url);
  return id ? `${id.owner}/${id.repo}`.toLowerCase() : undefined;
}

/** The URL without user info, query or fragment: safe for logs, messages and the database. */
export function redactRepoUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    return parsed.toString();
  } catch {
    // scp-like syntax carries a user name only (git@), never a secret.
    return url;
  }
}

/** Forge kinds the panel speaks to. */
export type ForgeKind = "github" | "gitea" | "none";

/**
 * The forge API base URL for a repository when the configuration gives none: `api.github.com` for
 * github.com, `/api/v3` for GitHub Enterprise, `/api/v1` for Gitea and Forgejo.
 */
export function defaultApiUrl(kind: ForgeKind, id: RepoId): string | undefined {
  if (kind === "none") return undefined;
  const scheme = id.protocol === "http" ? "http" : "https";
  if (kind === "github") {
    return id.host.toLowerCase() === "github.com" ? "https://api.github.com" : `${scheme}://${id.host}${id.prefix}/api/v3`;
  }
  return `${scheme}://${id.host}${id.prefix}/api/v1`;
}

/** The web page of the repository (`https://host/owner/repo`). */
export function webUrlOf(id: RepoId): string {
  const scheme = id.protocol === "http" ? "http" : "https";
  return `${scheme}://${id.host}${id.prefix}/${id.owner}/${id.repo}`;
}

/** The page that compares `head` with `base`, where a person opens the pull request by hand. */
export function compareUrl(id: RepoId, base: string, head: string): string {
  const ref = (name: string) => name.split("/").map(encodeURIComponent).join("/");
  return `${webUrlOf(id)}/compare/${ref(base)}...${ref(head)}`;
}
