/**
 * Entry point of the lab's application layer: the real programs around the cluster
 * (qBittorrent, Prometheus, Alertmanager, nginx ingress, git over HTTP), the forge
 * simulator, and the app simulators from `./sims/` when present.
 */

/** What `lab up` hands to {@link startApps}. */
export interface AppsContext {
  /** Lab state directory (`${LAB_DIR:-<repo>/.lab}`). */
  labDir: string;
  /** Path of the admin kubeconfig of the lab cluster. */
  kubeconfig: string;
  /** Secret values the lab generated, keyed `<namespace>/<name>` then data key. */
  secrets: Record<string, Record<string, string>>;
  /** Progress output. */
  log: (msg: string) => void;
}

/** What {@link startApps} returns. */
export interface AppsResult {
  /** `<service>.<namespace>` -> `http://127.0.0.1:PORT`. */
  addressMap: Record<string, string>;
  /** Per-app connection facts (credentials, files, ports). */
  apps: Record<string, unknown>;
}

/** Starts (or reuses) every lab app process. Idempotent. */
export async function startApps(ctx: AppsContext): Promise<AppsResult> {
  ctx.log("apps: not started yet (layer under construction)");
  return { addressMap: {}, apps: {} };
}
