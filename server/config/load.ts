import "server-only";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { parsePanelConfig, type ConfigProblem, type PanelConfig } from "@/lib/config-schema";
import { AppError } from "@/lib/errors";

/**
 * The error of a configuration that cannot be used: `invalid_input` from source `config`, whose
 * message lists every problem by field and whose cause holds them ({@link configProblemsOf}).
 */
export function configError(source: string, problems: ConfigProblem[]): AppError {
  const message = `Invalid panel configuration (${source}):\n` + problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n");
  return new AppError("invalid_input", message, { source: "config", cause: { problems } });
}

/** The problems behind a configuration error, if it is one. */
export function configProblemsOf(error: unknown): ConfigProblem[] | undefined {
  if (!(error instanceof AppError) || error.source !== "config") return undefined;
  const problems = (error.cause as { problems?: unknown } | undefined)?.problems;
  return Array.isArray(problems) ? (problems as ConfigProblem[]) : undefined;
}

/** The loaded configuration plus where it came from. */
export interface LoadedConfig {
  config: PanelConfig;
  source: string;
}

/**
 * Reads the YAML file named by `PANEL_CONFIG` (or none: all defaults), validates it, applies the
 * environment overrides (`PANEL_DATA_DIR`), and checks what can only be checked with the environment
 * (every referenced secret variable of a sign-in method exists).
 */
export function loadConfigFrom(env: Record<string, string | undefined>): LoadedConfig {
  const file = env.PANEL_CONFIG;
  let raw: unknown = {};
  let source = "defaults (PANEL_CONFIG not set)";
  if (file) {
    source = file;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file not readable";
      throw configError(source, [{ path: "PANEL_CONFIG", message: `${reason}: ${file}` }]);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0] : "not valid YAML";
      throw configError(source, [{ path: "(file)", message: `not valid YAML: ${message}` }]);
    }
  }
  const parsed = parsePanelConfig(raw);
  if (!parsed.ok) throw configError(source, parsed.problems);
  const config = parsed.config;
  if (env.PANEL_DATA_DIR) config.server.dataDir = env.PANEL_DATA_DIR;
  config.server.dataDir = path.resolve(config.server.dataDir);
  if (config.kubernetes.mode === "kubeconfig" && !config.kubernetes.kubeconfig && !env.KUBECONFIG) {
    throw configError(source, [
      { path: "kubernetes.kubeconfig", message: "required when kubernetes.mode is kubeconfig (or set KUBECONFIG)" },
    ]);
  }

  const problems: ConfigProblem[] = [];
  const usable = config.auth.localUsers.filter((u, i) => {
    const hash = env[u.passwordHashEnv];
    if (!hash) return false;
    if (!/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(hash)) {
      problems.push({
        path: `auth.localUsers[${i}].passwordHashEnv`,
        message: `${u.passwordHashEnv} does not hold a password hash made by "npm run hash-password" (plain passwords are refused)`,
      });
    }
    return true;
  });
  if (config.auth.oidc && !env[config.auth.oidc.clientSecretEnv]) {
    problems.push({
      path: "auth.oidc.clientSecretEnv",
      message: `environment variable ${config.auth.oidc.clientSecretEnv} is not set`,
    });
  }
  if (usable.length === 0 && !config.auth.oidc) {
    problems.push({
      path: "auth",
      message:
        "nobody can sign in: set the password hash variable of a local user (" +
        config.auth.localUsers.map((u) => u.passwordHashEnv).join(", ") +
        ") or configure auth.oidc",
    });
  }
  // A variable named on purpose must exist; the default one may be missing (metrics then answer nobody).
  if (config.metrics.bearerTokenEnv && !config.metrics.public && !env[config.metrics.bearerTokenEnv]) {
    problems.push({
      path: "metrics.bearerTokenEnv",
      message: `environment variable ${config.metrics.bearerTokenEnv} is not set`,
    });
  }
  if (problems.length > 0) throw configError(source, problems);
  return { config, source };
}

let cached: LoadedConfig | undefined;

/** The process-wide configuration, loaded once. */
export function getConfig(): PanelConfig {
  cached ??= loadConfigFrom(process.env);
  return cached.config;
}

/** Where the configuration came from, for the Settings page. */
export function getConfigSource(): string {
  cached ??= loadConfigFrom(process.env);
  return cached.source;
}
