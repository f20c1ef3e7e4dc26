/**
 * Process entry of the lab's Argo CD reconciler: `node --import tsx lab/argocd/main.ts <config.json>`.
 * `lab up` runs it under lab/lib/supervise.mjs, which starts it again with backoff if it exits.
 */
import { runWorker } from './worker';

const configFile = process.argv[2];
if (!configFile) {
  process.stderr.write('usage: main.ts <config.json>\n');
  process.exit(2);
}
runWorker(configFile).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stdout.write(`${new Date().toISOString()} argocd: reconciler failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
