import "server-only";
import { isAppError } from "@/lib/errors";
import { ConfigError, getConfig, getConfigSource } from "./config/load";
import { getDb } from "./db";
import { logger } from "./observability/logger";

/** Start-up checks; exits the process with a readable message when the panel cannot run. */
export async function startPanel(): Promise<void> {
  // `next build` loads this module too; it must not need the runtime configuration.
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  try {
    const config = getConfig();
    if (!process.env.AUTH_SECRET || process.env.AUTH_SECRET.length < 32) {
      throw new ConfigError(getConfigSource(), [
        { path: "AUTH_SECRET", message: "must be set to a random string of at least 32 characters (openssl rand -base64 33)" },
      ]);
    }
    if (config.auth.oidc) process.env.PANEL_OIDC_ISSUER_ORIGIN = new URL(config.auth.oidc.issuer).origin;
    getDb();
    if (config.kubernetes.mode !== "none") {
      // The informers and the prober run for the life of the process, with or without a browser open.
      const { startInformers } = await import("./k8s/informers");
      const { startProber } = await import("./probes/scheduler");
      startInformers();
      startProber();
    }
    logger.info(
      { config: getConfigSource(), dataDir: config.server.dataDir, kubernetes: config.kubernetes.mode },
      "k8s-nas-panel started",
    );
  } catch (error) {
    const message =
      error instanceof ConfigError || isAppError(error) ? error.message : `Start-up failed: ${(error as Error).message}`;
    // Printed plainly (not only as JSON) so a person reading `kubectl logs` sees it at once.
    process.stderr.write(`\nk8s-nas-panel cannot start.\n${message}\n\n`);
    logger.fatal({ reason: message }, "start-up failed");
    process.exit(1);
  }
}
