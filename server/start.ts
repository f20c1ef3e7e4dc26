import "server-only";
import { isAppError } from "@/lib/errors";
import { weakSecretMessage, weakSecretReason } from "@/lib/secret-strength";
import { configError, getConfig, getConfigSource } from "./config/load";
import { installLoginBackoff } from "./apps/login-backoff";
import { getDb } from "./db";
import { sqliteLoginBackoff } from "./db/login-backoff";
import { pruneAuditEvents } from "./db/audit";
import { pruneSessions } from "./db/sessions";
import { installForwardedHook } from "./net/forwarded";
import { logger } from "./observability/logger";
import { metricsTokenState } from "./observability/metrics-auth";

const HOUR_MS = 3_600_000;

/** Deletes audit events past `audit.retentionDays` and ended sessions, now and every hour. */
function startHousekeeping(retentionDays: number): void {
  const run = () => {
    try {
      const db = getDb();
      const audit = pruneAuditEvents(db, retentionDays);
      const sessions = pruneSessions(db);
      if (audit > 0 || sessions > 0) logger.info({ auditEvents: audit, sessions }, "housekeeping: old rows deleted");
    } catch (error) {
      logger.error({ err: error }, "housekeeping failed");
    }
  };
  run();
  setInterval(run, HOUR_MS).unref();
}

/** Start-up checks; exits the process with a readable message when the panel cannot run. */
export async function startPanel(): Promise<void> {
  // `next build` loads this module too; it must not need the runtime configuration.
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  try {
    const config = getConfig();
    // First: from here on, forwarded headers count only when a trusted proxy sent them.
    installForwardedHook(config.server.trustedProxies);
    const weak = weakSecretReason(process.env.AUTH_SECRET);
    if (weak) throw configError(getConfigSource(), [{ path: "AUTH_SECRET", message: weakSecretMessage(weak) }]);
    if (config.auth.oidc) process.env.PANEL_OIDC_ISSUER_ORIGIN = new URL(config.auth.oidc.issuer).origin;
    // Auth.js builds its redirects and callback URLs from the public URL, never from a request's Host.
    if (config.server.publicUrl && !process.env.AUTH_URL) process.env.AUTH_URL = config.server.publicUrl;
    // Refused logins to apps that ban addresses outlive a restart (the secret was checked above).
    installLoginBackoff({ store: sqliteLoginBackoff(getDb()), secret: process.env.AUTH_SECRET ?? "" });
    startHousekeeping(config.audit.retentionDays);
    const metrics = metricsTokenState(config, process.env);
    if (metrics.kind === "missing") logger.warn({ variable: metrics.variable }, `/api/metrics answers nobody: set ${metrics.variable} (or metrics.public: true)`);
    if (config.server.publicUrl?.startsWith("https://") && config.server.trustedProxies.length === 0) {
      logger.warn("server.publicUrl is HTTPS but server.trustedProxies is empty: client addresses are the ingress's, and HSTS is not sent");
    }
    if (config.kubernetes.mode !== "none") {
      // The informers and the prober run for the life of the process, with or without a browser open.
      const { startInformers } = await import("./k8s");
      const { startProber } = await import("./probes/scheduler");
      const { startVpnChecks } = await import("./integrations/vpn");
      const { startCertificates } = await import("./certs");
      startInformers();
      startProber();
      startCertificates();
      startVpnChecks(config.integrations.vpn.checkIntervalSeconds * 1000);
      const { startDrills } = await import("./backups/restore");
      startDrills();
    }
    // The outbox, the detector over the prober, and the poller of Prometheus and Alertmanager.
    const { startAlerting } = await import("./alerts/start");
    await startAlerting();
    logger.info(
      { config: getConfigSource(), dataDir: config.server.dataDir, kubernetes: config.kubernetes.mode },
      "k8s-nas-panel started",
    );
  } catch (error) {
    const message = isAppError(error) ? error.message : `Start-up failed: ${(error as Error).message}`;
    // Printed plainly (not only as JSON) so a person reading `kubectl logs` sees it at once.
    process.stderr.write(`\nk8s-nas-panel cannot start.\n${message}\n\n`);
    logger.fatal({ reason: message }, "start-up failed");
    process.exit(1);
  }
}
