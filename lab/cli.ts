import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  clearJobFaults,
  clearVolumeQuota,
  corruptVolumeFile,
  crashLoopPod,
  deletePod,
  failNextJob,
  failRendering,
  followGitopsRepository,
  giteaGitopsBareDir,
  resetGitea,
  fillVolumeOfNextJob,
  hangNextJob,
  killNextJobMidway,
  readApplication,
  refreshApplication,
  resetLab,
  restartApiServer,
  restartApp,
  restartEtcd,
  restoreRendering,
  scaleWorkload,
  setCertificateReady,
  setRenewalFailure,
  renewCertificateInLab,
  makeCopyStale,
  addTlsCaseHosts,
  setClaimLost,
  setVolumeQuota,
  startApiServer,
  stopApiServer,
  syncApplication,
  crashApp,
  recoverApp,
} from './controls';
import { formatBytes, listVolumes } from './cluster/volumes';
import { labDown, labUp, printStatus } from './lab';
import { ensurePanelIdentity } from './cluster/panel-identity';
import { ensurePanelFront } from './apps/panel-front';
import { setPanelScrape } from './apps/monitoring';
import { LAB_CLUSTER_DIR, labDir, specChecksOffWithoutSpecs } from './paths';
import { findSimulator } from './sims/index';
import { SimulatorControl } from './sims/control';

const USAGE = `Usage: npm run lab -- <command> [args]

  build                                   build and cache the lab binaries and Gitea (lab/cluster/build-binaries.sh)
  up [--cluster-only] [--no-gitea] [--repo <dir>]
                                          start the lab (idempotent): control plane, seeding, apps
                                          (--no-gitea: without Gitea, as LAB_GITEA=0)
  down [--purge]                          stop every lab process (by pidfile, newest first);
                                          --purge also removes the volumes and the executor's files
  status                                  processes, memory, endpoints, executor, volumes
  reset [--volumes]                       restore the seeded state (replicas, statuses, test objects);
                                          --volumes also stops the apps, empties every volume and
                                          starts the apps again on them (init containers first)
  panel-kubeconfig                        give the panel its deploy/ RBAC identity; writes <lab>/panel.kubeconfig
  panel-front <name> <port> [--json]      an HTTPS front on the lab's nginx for a panel on 127.0.0.1:<port>;
                                          prints its URL (or, with --json, URL, proxy address, CA, browser HOME)
  panel-scrape <port>                     the lab Prometheus' k8s-nas-panel job scrapes the panel on
                                          127.0.0.1:<port> (token from LAB_PANEL_METRICS_TOKEN); within seconds

  scale <ns> <workload> <replicas>        scale a Deployment/StatefulSet by hand (turns its Application's
                                          self-heal off first, as in Argo CD) and wait for it
  crash-loop <ns> <pod|workload> [n]      report a pod in CrashLoopBackOff with n restarts (default 5)
  crash-app <ns> <workload> [exit-code] [--line TEXT]...
                                          make an app crash-loop for real: its new pod's container prints the
                                          app's start-up failure (plus each --line) and exits, restarted with
                                          back-off; its logs (previous=true too) come through pods/log
  recover-app <ns> <workload>             lift crash-app and wait until the app's new pod is ready
  delete-pod <ns> <pod>                   delete a pod and wait until it is gone
  cert-ready <ns> <name> <true|false> [reason]
  cert-renewal-fails <ns> <name> [message|--off]   the lab's cert-manager fails (or again issues) that Certificate's renewals
  cert-renew <ns> <name>           renew a Certificate as cmctl renew does, and wait for the lab's cert-manager
  cert-stale-copy [<ns> <cronjob>] the Secret-copying CronJob stops copying and its Certificate is renewed
  tls-case-hosts                   Ingresses for the expired, wrong-name and plain-HTTP lab hosts (test objects)
  claim-lost <ns> <claim> <true|false>    report a PVC Lost (its volume gone: Argo CD says Degraded) or Bound again
  refuse-restore <app> [count] [message]  make the app refuse its next restore(s) (its own error shape);
                                          <app>: simulator id (sonarr) or workload (media/sonarr); count 0 disarms
  restart-app <ns> <workload>             restart the lab app serving a workload (same ports, configuration)

  volumes                                 every volume directory with its size
  volume-limit <ns> <claim> <bytes|none>  limit a volume's size (writes past it: No space left on device)
  corrupt-file <ns> <claim> <path> [flip|truncate]
                                          damage a file in a volume
  fail-next-job <ns> <exit-code>          the next Job of the namespace exits with that code
  hang-next-job <ns>                      the next Job of the namespace never finishes
  fill-next-job-volume <ns> <bytes> [claim]
                                          the next Job's volume is full past <bytes>
  kill-next-job <ns> [after-ms]           the next Job is killed (SIGKILL) after-ms after it starts (500)
  clear-job-faults [ns]                   forget the Job faults still waiting

  app <ns> <name>                         an Argo CD Application's sync, health, conditions, last operation
  sync <ns> <name> [--prune]              sync an Application now (argocd app sync) and print the result
  refresh <ns> <name> [--hard]            compare an Application with Git and the cluster now
  render-error <ns> <name> <message...>   make rendering fail for an Application (ComparisonError)
  render-error <ns> <name> --clear        render it again
  follow-gitops [gitea]                   the lab's Argo CD follows the lab's Gitea for the GitOps repository
                                          (without an argument: the lab's Git server again)
  gitea-reset                             the lab's Gitea back to the imported repository (pull requests
                                          closed, branches at the import commit, labels removed)

  restart-apiserver                       restart kube-apiserver alone (etcd data, certificates and
                                          service-account keys kept: existing tokens stay valid)
  restart-etcd                            restart etcd alone, keeping its data
  stop-apiserver / start-apiserver        hold the API server down, then start it as it was

Environment: LAB_DIR (default <repo>/.lab), LAB_GITOPS_REPO, K8S_NAS_SHARED_DIR, K8S_NAS_PANEL_CACHE, LAB_GITEA,
LAB_SPEC_CHECKS (0: simulators and forge without the API descriptions; the default when <shared>/specs is absent).`;

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
  // Without the API descriptions beside the repository the simulators and the forge still start
  // (every command that may start them), unchecked; `up` says so.
  const unchecked = specChecksOffWithoutSpecs();
  if (unchecked !== undefined && cmd === 'up') log(unchecked);
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
      await labDown(log, { purge: args.includes('--purge') });
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
    case 'panel-front': {
      const [name, port] = need(args, 2, '<name> <port>');
      if (!/^\d{1,5}$/.test(port as string)) throw new UsageError(`bad port ${port}`);
      const json = args.includes('--json');
      // Progress to stderr: stdout is only the URL (or the JSON), for scripts to read.
      const front = await ensurePanelFront({ labDir: labDir(), name: name as string, upstreamPort: Number(port), log: (m) => console.error(m) });
      console.log(json ? JSON.stringify(front) : front.url);
      return 0;
    }
    case 'reset': {
      const r = await resetLab(log, { volumes: args.includes('--volumes') });
      log(
        `reset: deleted ${r.deleted.length} test object(s), rescaled ${r.rescaled.length}, replaced ${r.restartedPods.length} pod(s), restored ${r.statuses} status(es)` +
          `${r.droppedFaults ? `, dropped ${r.droppedFaults} waiting Job fault(s)` : ''}${args.includes('--volumes') ? `, emptied ${r.wipedVolumes.length} volume(s)${r.startedApps.length ? ` (started ${r.startedApps.join(', ')} on theirs)` : ''}` : ''}` +
          `${r.applications.length ? `, gave back ${r.applications.length} Application(s) their self-heal or rendering` : ''}`,
      );
      return 0;
    }
    case 'restart-app': {
      const [ns, workload] = need(args, 2, '<ns> <workload>');
      for (const line of await restartApp(ns as string, workload as string, log)) log(line);
      return 0;
    }
    case 'volumes': {
      for (const v of listVolumes()) {
        log(`${`${v.namespace}/${v.claim}`.padEnd(40)} ${formatBytes(v.bytes).padStart(10)} ${String(v.files).padStart(6)} file(s)${v.quotaBytes !== undefined ? `  limit ${formatBytes(v.quotaBytes)}` : ''}  ${v.path}`);
      }
      return 0;
    }
    case 'volume-limit': {
      const [ns, claim, bytes] = need(args, 3, '<ns> <claim> <bytes|none>');
      if (bytes === 'none') {
        clearVolumeQuota(ns as string, claim as string);
        log(`volume ${ns}/${claim}: no size limit`);
      } else {
        setVolumeQuota(ns as string, claim as string, Number(bytes));
        log(`volume ${ns}/${claim}: limited to ${formatBytes(Number(bytes))}`);
      }
      return 0;
    }
    case 'corrupt-file': {
      const [ns, claim, file, how] = need(args, 3, '<ns> <claim> <path> [flip|truncate]');
      if (how !== undefined && how !== 'flip' && how !== 'truncate') throw new UsageError(`bad corruption ${how}`);
      log(`corrupted (${how ?? 'flip'}): ${corruptVolumeFile(ns as string, claim as string, file as string, how ?? 'flip')}`);
      return 0;
    }
    case 'fail-next-job': {
      const [ns, code] = need(args, 2, '<ns> <exit-code>');
      failNextJob(ns as string, Number(code));
      log(`the next Job in ${ns} exits with ${code}`);
      return 0;
    }
    case 'hang-next-job': {
      const [ns] = need(args, 1, '<ns>');
      hangNextJob(ns as string);
      log(`the next Job in ${ns} hangs`);
      return 0;
    }
    case 'fill-next-job-volume': {
      const [ns, bytes, claim] = need(args, 2, '<ns> <bytes> [claim]');
      fillVolumeOfNextJob(ns as string, Number(bytes), claim);
      log(`the next Job in ${ns} finds its volume full past ${formatBytes(Number(bytes))}`);
      return 0;
    }
    case 'kill-next-job': {
      const [ns, after] = need(args, 1, '<ns> [after-ms]');
      killNextJobMidway(ns as string, after ? Number(after) : undefined);
      log(`the next Job in ${ns} is killed ${after ?? 500} ms after it starts`);
      return 0;
    }
    case 'clear-job-faults': {
      log(`dropped ${clearJobFaults(args[0])} waiting Job fault(s)`);
      return 0;
    }
    case 'panel-scrape': {
      const [port] = need(args, 1, '<port>');
      const { target } = setPanelScrape(labDir(), { port: Number(port), token: process.env.LAB_PANEL_METRICS_TOKEN });
      log(`prometheus: the k8s-nas-panel job scrapes ${target}/api/metrics${process.env.LAB_PANEL_METRICS_TOKEN ? " with LAB_PANEL_METRICS_TOKEN" : " without a token"}`);
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
    case 'crash-app': {
      const lines: string[] = [];
      const rest: string[] = [];
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '--line') lines.push(args[++i] ?? '');
        else rest.push(args[i] as string);
      }
      const [ns, workload, code] = need(rest, 2, '<ns> <workload> [exit-code] [--line TEXT]...');
      const r = await crashApp(ns as string, workload as string, { exitCode: code ? Number(code) : undefined, extraLines: lines });
      log(`${ns}/${r.pod} (${r.container}): CrashLoopBackOff after ${r.restarts} restart(s); each run exits with ${r.crash.exitCode}`);
      return 0;
    }
    case 'recover-app': {
      const [ns, workload] = need(args, 2, '<ns> <workload>');
      await recoverApp(ns as string, workload as string);
      log(`${ns}/${workload}: ready again`);
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
    case 'cert-renewal-fails': {
      const [ns, name, message] = need(args, 2, '<ns> <name> [message|--off]');
      const off = message === '--off';
      await setRenewalFailure(ns as string, name as string, off ? undefined : (message ?? 'DNS-01 challenge did not propagate'));
      log(`Certificate ${ns}/${name}: renewals ${off ? 'succeed' : 'fail'}`);
      return 0;
    }
    case 'cert-renew': {
      const [ns, name] = need(args, 2, '<ns> <name>');
      const c = await renewCertificateInLab(ns as string, name as string);
      const issuing = c.status?.conditions?.find((x) => x.type === 'Issuing');
      log(issuing ? `Certificate ${ns}/${name}: issuance failed: ${issuing.message ?? ''}` : `Certificate ${ns}/${name}: revision ${c.status?.revision ?? '?'}, valid until ${c.status?.notAfter ?? '?'}`);
      return 0;
    }
    case 'cert-stale-copy': {
      const [ns, name] = args;
      const r = await makeCopyStale(ns && name ? { namespace: ns, name } : undefined);
      log(`CronJob ${r.cronJob} no longer copies Secret ${r.secret}; ${r.certificate} renewed (revision ${r.revision})`);
      return 0;
    }
    case 'tls-case-hosts': {
      const hosts = await addTlsCaseHosts();
      log(`Ingresses for ${Object.values(hosts).join(', ')}`);
      return 0;
    }
    case 'claim-lost': {
      const [ns, claim, lost] = need(args, 3, '<ns> <claim> <true|false>');
      await setClaimLost(ns as string, claim as string, lost === 'true');
      log(`PersistentVolumeClaim ${ns}/${claim}: ${lost === 'true' ? 'Lost' : 'Bound'}`);
      return 0;
    }
    case 'app': {
      const [ns, name] = need(args, 2, '<ns> <name>');
      const a = await readApplication(ns as string, name as string);
      const st = a.status ?? {};
      log(`Application ${ns}/${name}: ${st.sync?.status ?? '?'} at ${st.sync?.revision ?? '?'}, health ${st.health?.status ?? '?'}${st.health?.message ? ` (${st.health.message})` : ''}`);
      for (const c of st.conditions ?? []) log(`  ${c.type}: ${c.message}`);
      if (st.operationState) log(`  last operation: ${st.operationState.phase}: ${st.operationState.message} (finished ${st.operationState.finishedAt ?? '-'})`);
      return 0;
    }
    case 'sync': {
      const [ns, name] = need(args, 2, '<ns> <name> [--prune]');
      const op = await syncApplication(ns as string, name as string, { prune: args.includes('--prune') });
      log(`Application ${ns}/${name}: sync ${op.phase}: ${op.message}`);
      return op.phase === 'Succeeded' ? 0 : 1;
    }
    case 'refresh': {
      const [ns, name] = need(args, 2, '<ns> <name> [--hard]');
      const a = await refreshApplication(ns as string, name as string, args.includes('--hard'));
      log(`Application ${ns}/${name}: ${a.status?.sync?.status ?? '?'} at ${a.status?.sync?.revision ?? '?'}, health ${a.status?.health?.status ?? '?'}`);
      return 0;
    }
    case 'render-error': {
      const [ns, name, ...msg] = need(args, 3, '<ns> <name> <message...|--clear>');
      if (msg[0] === '--clear') {
        await restoreRendering(ns as string, name as string);
        log(`Application ${ns}/${name}: rendering restored`);
      } else {
        await failRendering(ns as string, name as string, msg.join(' '));
        log(`Application ${ns}/${name}: rendering fails with "${msg.join(' ')}"`);
      }
      return 0;
    }
    case 'follow-gitops': {
      const [which] = args;
      if (which !== undefined && which !== 'gitea') throw new UsageError(`follow-gitops takes "gitea" or nothing, not ${which}`);
      await followGitopsRepository(which === 'gitea' ? giteaGitopsBareDir() : undefined);
      log(`Argo CD follows the GitOps repository in ${which === 'gitea' ? 'the lab\'s Gitea' : 'the lab\'s Git server'}`);
      return 0;
    }
    case 'gitea-reset':
      await resetGitea();
      log('gitea: back to the imported repository');
      return 0;
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
    case 'restart-apiserver':
      await restartApiServer(log);
      return 0;
    case 'restart-etcd':
      await restartEtcd(log);
      return 0;
    case 'stop-apiserver':
      await stopApiServer(log);
      return 0;
    case 'start-apiserver':
      await startApiServer(log);
      return 0;
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
