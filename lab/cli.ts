import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  crashLoopPod,
  deletePod,
  resetLab,
  scaleWorkload,
  setApplicationHealth,
  setApplicationSync,
  setCertificateReady,
} from './controls';
import { labDown, labUp, printStatus } from './lab';
import { ensurePanelIdentity } from './cluster/panel-identity';
import { LAB_CLUSTER_DIR, labDir } from './paths';
import { findSimulator } from './sims/index';
import { SimulatorControl } from './sims/control';

const USAGE = `Usage: npm run lab -- <command> [args]

  build                                   build and cache the lab binaries and Gitea (lab/cluster/build-binaries.sh)
  up [--cluster-only] [--no-gitea] [--repo <dir>]
                                          start the lab (idempotent): control plane, seeding, apps
                                          (--no-gitea: without Gitea, as LAB_GITEA=0)
  down                                    stop every lab process (by pidfile, newest first)
  status                                  processes, memory, endpoints, files
  reset                                   restore the seeded state (replicas, statuses, test objects)
  panel-kubeconfig                        give the panel its deploy/ RBAC identity; writes <lab>/panel.kubeconfig

  scale <ns> <workload> <replicas>        scale a Deployment/StatefulSet and wait for it
  crash-loop <ns> <pod|workload> [n]      report a pod in CrashLoopBackOff with n restarts (default 5)
  delete-pod <ns> <pod>                   delete a pod and wait until it is gone
  cert-ready <ns> <name> <true|false> [reason]
  app-sync <ns> <name> <Synced|OutOfSync|Unknown> [revision]
  app-health <ns> <name> <Healthy|Progressing|Degraded|Suspended|Missing|Unknown> [message]
  refuse-restore <app> [count] [message]  make the app refuse its next restore(s) (its own error shape);
                                          <app>: simulator id (sonarr) or workload (media/sonarr); count 0 disarms

Environment: LAB_DIR (default <repo>/.lab), LAB_GITOPS_REPO, K8S_NAS_SHARED_DIR, K8S_NAS_PANEL_CACHE, LAB_GITEA.`;

function need(args: string[], n: number, what: string): string[] {
  if (args.length < n) throw new UsageError(`missing arguments: ${what}`);
  return args;
}

class UsageError extends Error {}

function runBuild(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(LAB_CLUSTER_DIR, 'build-binaries.sh')], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  const log = (m: string) => console.log(m);
  switch (cmd) {
    case 'build':
      return runBuild();
    case 'up': {
      const repoIdx = args.indexOf('--repo');
      const repo = repoIdx >= 0 ? args[repoIdx + 1] : undefined;
      if (repoIdx >= 0 && !repo) throw new UsageError('--repo needs a directory');
      if (args.includes('--no-gitea')) process.env.LAB_GITEA = '0';
      await labUp({ clusterOnly: args.includes('--cluster-only'), repo, log });
      return 0;
    }
    case 'down':
      await labDown(log);
      return 0;
    case 'status': {
      const s = await printStatus(log);
      return s.ready ? 0 : 3;
    }
    case 'panel-kubeconfig': {
      const identity = await ensurePanelIdentity(log);
      log(identity.kubeconfig);
      return 0;
    }
    case 'reset': {
      const r = await resetLab(log);
      log(`reset: deleted ${r.deleted.length} test object(s), rescaled ${r.rescaled.length}, replaced ${r.restartedPods.length} crash-looping pod(s), restored ${r.statuses} status(es)`);
      return 0;
    }
    case 'scale': {
      const [ns, name, n] = need(args, 3, '<ns> <workload> <replicas>');
      await scaleWorkload(ns as string, name as string, Number(n));
      log(`${ns}/${name}: ${n} replicas`);
      return 0;
    }
    case 'crash-loop': {
      const [ns, target, n] = need(args, 2, '<ns> <pod|workload> [restarts]');
      const pod = await crashLoopPod(ns as string, target as string, n ? Number(n) : undefined);
      log(`${ns}/${pod}: CrashLoopBackOff`);
      return 0;
    }
    case 'delete-pod': {
      const [ns, name] = need(args, 2, '<ns> <pod>');
      await deletePod(ns as string, name as string);
      log(`${ns}/${name}: deleted`);
      return 0;
    }
    case 'cert-ready': {
      const [ns, name, ready, reason] = need(args, 3, '<ns> <name> <true|false> [reason]');
      await setCertificateReady(ns as string, name as string, ready === 'true', reason);
      log(`Certificate ${ns}/${name}: Ready=${ready}`);
      return 0;
    }
    case 'app-sync': {
      const [ns, name, sync, revision] = need(args, 3, '<ns> <name> <Synced|OutOfSync|Unknown> [revision]');
      if (!['Synced', 'OutOfSync', 'Unknown'].includes(sync as string)) throw new UsageError(`bad sync status ${sync}`);
      await setApplicationSync(ns as string, name as string, sync as 'Synced' | 'OutOfSync' | 'Unknown', revision);
      log(`Application ${ns}/${name}: ${sync}`);
      return 0;
    }
    case 'app-health': {
      const [ns, name, health, ...msg] = need(args, 3, '<ns> <name> <health> [message]');
      const allowed = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;
      const h = allowed.find((x) => x === health);
      if (!h) throw new UsageError(`bad health status ${health}`);
      await setApplicationHealth(ns as string, name as string, h, msg.length ? msg.join(' ') : undefined);
      log(`Application ${ns}/${name}: ${h}`);
      return 0;
    }
    case 'refuse-restore': {
      const [app, n, ...msg] = need(args, 1, '<app> [count] [message]');
      const count = n === undefined ? 1 : Number(n);
      if (!Number.isInteger(count) || count < 0) throw new UsageError(`bad count ${n}`);
      const sim = findSimulator(labDir(), app as string);
      if (!sim) throw new Error(`no simulator for ${app} in ${labDir()} (is the lab up?)`);
      const snap = await new SimulatorControl(sim.controlUrl).refuseRestore(count, msg.length ? msg.join(' ') : undefined);
      log(`${sim.id}: refuses the next ${snap.faults.refuseRestore} restore(s)`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return cmd ? 0 : 2;
    default:
      throw new UsageError(`unknown command: ${cmd}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`lab: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
