/**
 * Process entry of the lab's configmap-reload (`./prometheus-sync.ts`):
 * `node --import tsx lab/apps/prometheus-sync-main.ts <config.json>` with
 * `{ kubeconfig, namespace, rulesDir, prometheusUrl, intervalMs }`. Logs every change.
 */
import { readFileSync } from "node:fs";
import { syncOnce, type SyncOptions } from "./prometheus-sync";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: prometheus-sync-main.ts <config.json>\n");
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(file, "utf8")) as SyncOptions & { intervalMs?: number };
const log = (m: string): void => void process.stdout.write(`${new Date().toISOString()} ${m}\n`);
let lastError = "";
let stopping = false;
async function loop(): Promise<void> {
  while (!stopping) {
    try {
      const r = await syncOnce(cfg);
      if (r.changed) log(`rules from ${r.configMap ?? "(no ConfigMap with prometheus.yml)"}: ${r.files.join(", ") || "none"}; ${r.reloaded ? "Prometheus reloaded" : (r.error ?? "not reloaded")}`);
      lastError = "";
    } catch (error) {
      const m = error instanceof Error ? error.message : String(error);
      if (m !== lastError) log(`sync failed: ${m}`);
      lastError = m;
    }
    await new Promise((r) => setTimeout(r, cfg.intervalMs ?? 2000));
  }
}
process.on("SIGTERM", () => {
  stopping = true;
  process.exit(0);
});
log(`watching ConfigMaps of ${cfg.namespace} for prometheus.yml and its rule files -> ${cfg.rulesDir}`);
void loop();
