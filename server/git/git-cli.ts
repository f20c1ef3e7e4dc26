import "server-only";
import { describeBytes } from "@/server/net/body-limit";
import { scrubSecrets } from "@/lib/redact";
import { execFile, type ExecFileException } from "node:child_process";
import { AppError } from "@/lib/errors";

/** How git authenticates to the remote. Secrets travel in the child's environment only. */
export type GitAuth =
  | { type: "none" }
  /** HTTP(S) basic authentication (a forge token as the password). */
  | { type: "basic"; username: string; password: string }
  /** SSH with a private key file (written by the caller, mode 0600) and a known_hosts file. */
  | { type: "ssh"; keyFile: string; knownHostsFile: string };

/** One git invocation. */
export interface GitCall {
  args: string[];
  cwd?: string;
  /** Milliseconds before the process is killed. */
  timeoutMs: number;
  /** Authentication for commands that talk to `remoteUrl`. */
  auth?: GitAuth;
  remoteUrl?: string;
  env?: Record<string, string>;
  input?: string;
}

/** What a failed git command left: its exit code and its (secret-free) stderr. The cause of a git AppError. */
export interface GitFailure {
  args: string[];
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
}

/** The AppError of a failed git command (`timeout` when it was killed for taking too long, else `internal`). */
export function gitCommandError(failure: GitFailure): AppError {
  const { args, stderr, timedOut } = failure;
  const message = `git ${args[0] ?? ""} failed${timedOut ? " (timed out)" : ""}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`;
  return new AppError(timedOut ? "timeout" : "internal", message, { source: "git", cause: failure });
}

/** The failed command behind a git AppError, if it is one. */
export function gitFailureOf(error: unknown): GitFailure | undefined {
  if (!(error instanceof AppError) || error.source !== "git") return undefined;
  const cause = error.cause as Partial<GitFailure> | undefined;
  return Array.isArray(cause?.args) && typeof cause?.stderr === "string" ? (cause as GitFailure) : undefined;
}

/** Removes secrets from git output: authorization headers, credentials in URLs and the given values. */
export function scrubGitOutput(text: string, secrets: readonly string[]): string {
  const out = text.replace(/(authorization:\s*)(basic|bearer|token)\s+\S+/gi, "$1$2 [redacted]");
  return scrubSecrets(out, secrets).replace(/(https?:\/\/)[^/@\s]+@/g, "$1");
}

/**
 * The environment of a git child process: no system or user configuration, no prompts, and the
 * credentials as configuration passed through the environment (`GIT_CONFIG_COUNT`), scoped to the
 * remote URL: never on the command line (visible in `ps`), in the remote URL, or on disk.
 */
export function gitEnv(call: Pick<GitCall, "auth" | "remoteUrl" | "env">): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C",
    LC_ALL: "C",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
  const config: Array<[string, string]> = [["credential.helper", ""]];
  const auth = call.auth;
  if (auth?.type === "basic" && call.remoteUrl) {
    const value = Buffer.from(`${auth.username}:${auth.password}`).toString("base64");
    config.push([`http.${call.remoteUrl}.extraHeader`, `Authorization: Basic ${value}`]);
  }
  if (auth?.type === "ssh") {
    const quote = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;
    env.GIT_SSH_COMMAND = `ssh -i ${quote(auth.keyFile)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${quote(auth.knownHostsFile)}`;
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return { ...env, ...call.env };
}

function secretsOf(auth: GitAuth | undefined): string[] {
  if (auth?.type !== "basic") return [];
  return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString("base64")];
}

/** The most output of one git command the panel keeps (the files it reads are small YAML). */
export const GIT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Runs git and resolves with its stdout; rejects with an AppError whose cause is the {@link GitFailure} (secrets removed). */
export async function runGit(call: GitCall): Promise<string> {
  return (await runGitBuffer(call)).toString("utf8");
}

/** Like {@link runGit}, with stdout as bytes (for `cat-file --batch`). */
export function runGitBuffer(call: GitCall): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      call.args,
      { cwd: call.cwd, env: gitEnv(call) as NodeJS.ProcessEnv, timeout: call.timeoutMs, killSignal: "SIGKILL", maxBuffer: GIT_MAX_OUTPUT_BYTES, encoding: "buffer" },
      (error: ExecFileException | null, stdout: Buffer, stderr: Buffer) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const secrets = secretsOf(call.auth);
        if ((error as { code?: unknown }).code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          const what = `git ${call.args[0] ?? ""}`.trim();
          reject(new AppError("invalid_response", `${what} printed more than ${describeBytes(GIT_MAX_OUTPUT_BYTES)}; the panel stopped it`, { source: "git" }));
          return;
        }
        const timedOut = error.killed === true;
        if (error.code === "ENOENT") {
          reject(new AppError("internal", "The git program is not installed where the panel runs (it needs the git package).", { source: "git" }));
          return;
        }
        const code = typeof error.code === "number" ? error.code : null;
        const text = stderr.length > 0 ? stderr.toString("utf8") : error.message;
        reject(gitCommandError({ args: call.args, exitCode: code, stderr: scrubGitOutput(text, secrets), timedOut }));
      },
    );
    if (call.input !== undefined) child.stdin?.end(call.input);
    else child.stdin?.end();
  });
}

/**
 * Turns a failed network command (clone, fetch, push, ls-remote) into an AppError with a message a
 * person can act on. `what` names the repository (without credentials); `credentialHint` says where
 * the credentials come from.
 */
export function networkError(error: unknown, what: string, credentialHint: string): AppError {
  const failure = gitFailureOf(error);
  if (!failure) return error instanceof AppError ? error : new AppError("internal", `git failed on ${what}.`, { source: "git", cause: failure });
  const stderr = failure.stderr;
  if (failure.timedOut) return new AppError("timeout", `The GitOps repository ${what} did not answer in time.`, { source: "git", cause: failure });
  if (/Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]|Permission denied \(publickey|access denied|not authorized/i.test(stderr)) {
    return new AppError("unauthorized", `The GitOps repository ${what} refused the credentials: ${credentialHint}.`, { source: "git", cause: failure });
  }
  if (/returned error: 404|repository .*not found|does not appear to be a git repository|Repository not found/i.test(stderr)) {
    return new AppError("not_found", `The GitOps repository ${what} does not exist, or the credentials cannot see it (${credentialHint}).`, { source: "git", cause: failure });
  }
  if (/Could not resolve host|Connection refused|Failed to connect|Connection timed out|Network is unreachable|No route to host|unable to access|Could not read from remote repository|Connection reset/i.test(stderr)) {
    const reason = /Could not resolve host/i.test(stderr)
      ? "the host name does not resolve"
      : /Connection refused/i.test(stderr)
        ? "the connection was refused"
        : "the network connection failed";
    return new AppError("unreachable", `The GitOps repository ${what} cannot be reached: ${reason}.`, { source: "git", cause: failure });
  }
  return new AppError("internal", `git failed on ${what}: ${stderr.trim().split("\n").slice(-2).join(" ")}`, { source: "git", cause: failure });
}
