import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { clearVolumeQuota, configMountOfPodTemplate, setVolumeQuota } from '../cluster/volumes';
import { KubeHttpError, type LabKubeClient } from '../cluster/kube-http';
import { sleep } from '../lib/wait';
import { imageAllowed, imageBaseName } from './allowlist';
import { appCrashOf, crashArgv, type AppCrash } from './app-crash';
import { forgetPrograms, programFor, recordProgram, type ProgramEntry } from './programs';
import { labAddressResolver } from '../apps/addresses';
import { freePort } from '../lib/process';
import { describeFault, takeJobFault, type JobFault } from './faults';
import { ContainerLogWriter } from './logs';
import { containerArgv, containerMounts, planVolumes, PlanError, refusal, resolveEnv, type Lookups, type Mount, type VolumeSource } from './pod-plan';
import { exitReason, podStatus, restartBackoffMs, signalExitCode, type ContainerModel, type PodModel } from './pod-status';
import { killSandbox, startSandboxed, terminateContainer, type SandboxKind, type SandboxSpec } from './sandbox';
import type { Container, ContainerStatusJson, Pod } from './types';
import type { EventRecorder } from './events';

/** What a pod runner needs from the executor. */
export interface RunnerContext {
  labDir: string;
  client: LabKubeClient;
  sandbox: SandboxKind;
  hostIP: string;
  podIP(pod: Pod): string;
  images(): string[];
  /** The lab app workload the pod belongs to, if any. */
  appWorkloadOf(pod: Pod): { namespace: string; workload: string } | undefined;
  /**
   * Restarts the app serving a workload, running `between` while it is stopped (a `between` that
   * throws leaves it stopped); resolves with a line for the pod's events.
   */
  restartApp(namespace: string, workload: string, between?: () => Promise<void>): Promise<string>;
  /** The claim mounted as an app's configuration volume (for apps whose manifests mount a hostPath). */
  appConfigDir(namespace: string, workload: string): Promise<{ claim: string; dir: string }>;
  claimDir(namespace: string, claim: string): Promise<string>;
  lookups: Lookups;
  events: EventRecorder;
  /** Host directory shown as /sbin to alpine images (holds `apk`). */
  alpineSbin?: string;
  /** Faults taken for a Job, by Job UID: every pod of that Job gets the same one. */
  jobFaults: Map<string, JobFault>;
  log(msg: string): void;
}

/** A container attempt in the sandbox. */
interface Attempt {
  container: string;
  index: number;
  proc: ChildProcess;
  log: ContainerLogWriter;
  startedAt: string;
  done: Promise<{ exitCode: number; reason?: string; message?: string }>;
  finished: boolean;
  killTimer?: NodeJS.Timeout;
}

const FIELD_MANAGER = 'lab-executor';

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<labDir>/executor/pods/<namespace>/<name>_<uid>`. */
export function podDir(labDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return path.join(labDir, 'executor', 'pods', pod.namespace, `${pod.name}_${pod.uid}`);
}

/** Log file of one container attempt. */
export function attemptLogFile(dir: string, container: string, index: number): string {
  return path.join(dir, 'logs', container, `${index}.log`);
}

/** Attempt numbers that have a log file, ascending. */
export function loggedAttempts(dir: string, container: string): number[] {
  const d = path.join(dir, 'logs', container);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => /^\d+\.log$/.test(f))
    .map((f) => Number(f.slice(0, -4)))
    .sort((a, b) => a - b);
}

class Stopped extends Error {}

/** An init container of an app pod failed (the app stays stopped, as its containers never start). */
class InitFailed extends Error {}

/**
 * Plays the kubelet for one pod: prepares its volumes, runs its init containers in order and then
 * its containers in the sandbox (containers with images off the allowlist, in pods of app
 * workloads, are reported running without running), restarts them per restartPolicy with the
 * kubelet's back-off, enforces activeDeadlineSeconds, keeps each attempt's output, writes the
 * pod's status through the status subresource, and on deletion stops the processes and removes
 * the pod.
 */
export class PodRunner {
  pod: Pod;
  readonly dir: string;
  private model: PodModel | undefined;
  private readonly attempts = new Map<string, Attempt>();
  /** No container starts any more (the pod completed, is deleted, or the executor stops). */
  private halted = false;
  /** stop() ran (deletion handled). */
  private stopCalled = false;
  private frozen = false;
  private finished = false;
  private deleted = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private fault: JobFault | undefined;
  /** Host ports of the lab programs this pod's containers run (kept across restarts). */
  private readonly programPorts = new Map<string, number>();
  /** Program entries waiting for their container to start. */
  private readonly pendingPrograms = new Map<string, ProgramEntry>();
  /** A crash set for the app workload (lab/executor/app-crash.ts): its container runs the crash for real. */
  private appCrash: (AppCrash & { container: string }) | undefined;
  private quotaClaims: string[] = [];
  private wake: (() => void) | undefined;
  private readonly volumes = new Map<string, { path: string; readOnly: boolean; claim?: string }>();
  private refused = new Map<string, string>();
  readonly done: Promise<void>;

  constructor(
    pod: Pod,
    private readonly ctx: RunnerContext,
  ) {
    this.pod = pod;
    this.dir = podDir(ctx.labDir, { namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });
    this.done = this.main().catch((err: unknown) => {
      if (!(err instanceof Stopped)) ctx.log(`${this.key}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    });
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** Whether a container's current attempt is running (for following its log). */
  attemptRunning(container: string, index: number): boolean {
    const a = this.attempts.get(container);
    return !!a && a.index === index && !a.finished;
  }

  /**
   * The attempt `previous=true` reads, as a kubelet picks `lastState.terminated`: while a container
   * waits to be restarted (CrashLoopBackOff), the run that just ended; otherwise the one before the
   * current run.
   */
  previousAttempt(container: string): number | undefined {
    const m = [...(this.model?.init ?? []), ...(this.model?.containers ?? [])].find((x) => x.name === container);
    const current = this.currentAttempt(container);
    if (current === undefined) return undefined;
    if (m && m.current.state === 'waiting' && m.restartCount > 0 && !this.attemptRunning(container, current)) return current;
    return current - 1;
  }

  /** The attempt number a container is on (its restart count), if it started. */
  currentAttempt(container: string): number | undefined {
    return this.attempts.get(container)?.index ?? loggedAttempts(this.dir, container).at(-1);
  }

  /** A newer version of the pod from the watch. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.labels?.['lab.k8s-nas-panel/crash-loop'] === 'true') this.frozen = true;
    if (pod.metadata.deletionTimestamp && !this.stopCalled) void this.stop('deleted');
  }

  /** The pod disappeared from the API (deleted with grace 0, or by someone else). */
  gone(): void {
    this.deleted = true;
    if (!this.stopCalled) void this.stop('gone');
  }

  private checkStopped(): void {
    if (this.halted) throw new Stopped();
  }

  private async main(): Promise<void> {
    const pod = this.pod;
    mkdirSync(this.dir, { recursive: true });
    if (pod.metadata.deletionTimestamp) {
      await this.stop('deleted');
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished under an earlier executor: nothing to run, logs stay available until deletion.
      this.finished = true;
      return;
    }
    const resumed = pod.status?.startTime !== undefined && (pod.status?.containerStatuses?.length ?? 0) > 0;
    this.model = this.initialModel(pod, resumed);
    await this.writeStatus();
    if (resumed) {
      await this.resume();
      return;
    }
    if (pod.spec.activeDeadlineSeconds !== undefined) this.armDeadline(pod.spec.activeDeadlineSeconds);
    await this.prepareWithRetry();
    const jobOwner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job');
    if (jobOwner) await this.applyFault(jobOwner.uid);
    const app = this.ctx.appWorkloadOf(pod);
    if (!app) {
      if (!(await this.runInit())) return;
      await this.runContainers();
      return;
    }
    const crash = appCrashOf(app.namespace, app.workload, this.ctx.labDir);
    const crashing = crash ? (pod.spec.containers.find((c) => c.name === crash.container) ?? pod.spec.containers[0]) : undefined;
    if (crash && crashing) {
      if (!(await this.runInit())) return;
      this.appCrash = { ...crash, container: crashing.name };
      const m = this.model?.containers.find((x) => x.name === crashing.name);
      if (m) m.real = true;
      await this.ctx.events.record(this.pod, 'Warning', 'LabFault', `lab fault: container ${crashing.name} runs for real and exits with code ${crash.exitCode} after printing its failure (the app's process is not started)`, crashing.name);
      await this.runContainers();
      return;
    }
    // The app's process stops before the init containers run and starts after them, as the old
    // pod's containers end before a new pod's init containers touch the volume: what they write
    // is what the app loads, and nothing writes the app's in-memory state over it.
    let initOk = false;
    try {
      const msg = await this.ctx.restartApp(app.namespace, app.workload, async () => {
        initOk = await this.runInit();
        if (!initOk) throw new InitFailed();
      });
      await this.ctx.events.record(this.pod, 'Normal', 'AppRestarted', msg);
    } catch (err) {
      if (err instanceof Stopped) {
        // Deleted before its containers started (a scale-up taken back at once): the app goes on
        // serving the pods that still run, as it did before this pod stopped it for its init.
        await this.ctx.restartApp(app.namespace, app.workload).catch((e: Error) => this.ctx.log(`${this.key}: restarting the lab app of ${app.namespace}/${app.workload} after the pod was deleted in its init: ${e.message}`));
        throw err;
      }
      if (err instanceof InitFailed) {
        await this.ctx.events.record(this.pod, 'Warning', 'AppStopped', `an init container failed: the lab app of ${app.namespace}/${app.workload} stays stopped`);
        return;
      }
      await this.ctx.events.record(this.pod, 'Warning', 'AppRestartFailed', `restarting the lab app of ${app.namespace}/${app.workload} failed: ${(err as Error).message}`);
      if (!initOk) return;
    }
    await this.runContainers();
  }

  private real(c: Container): boolean {
    return imageAllowed(c.image, this.ctx.images());
  }

  private initialModel(pod: Pod, resumed: boolean): PodModel {
    const hasInit = (pod.spec.initContainers?.length ?? 0) > 0;
    const status = pod.status;
    const conditions = new Map<string, { status: 'True' | 'False' | 'Unknown'; time: string }>();
    for (const c of status?.conditions ?? []) conditions.set(c.type, { status: c.status, time: c.lastTransitionTime ?? nowIso() });
    const fromStatus = (c: Container, list: ContainerStatusJson[] | undefined) => list?.find((s) => s.name === c.name);
    const model = (c: Container, init: boolean): ContainerModel => {
      const prev = resumed ? fromStatus(c, init ? status?.initContainerStatuses : status?.containerStatuses) : undefined;
      const base: ContainerModel = {
        name: c.name,
        image: c.image,
        real: this.real(c),
        restartCount: prev?.restartCount ?? 0,
        current: { state: 'waiting', reason: hasInit ? 'PodInitializing' : 'ContainerCreating' },
        ...(init && c.restartPolicy === 'Always' ? { sidecar: true } : {}),
      };
      const t = prev?.state?.terminated;
      if (t) base.current = { state: 'terminated', exitCode: t.exitCode, reason: t.reason ?? exitReason(t.exitCode), startedAt: t.startedAt ?? nowIso(), finishedAt: t.finishedAt ?? nowIso(), ...(t.message ? { message: t.message } : {}) };
      else if (prev?.state?.running) base.current = { state: 'running', startedAt: prev.state.running.startedAt ?? nowIso() };
      if (prev?.containerID) base.containerID = prev.containerID;
      return base;
    };
    return {
      phase: 'Pending',
      startTime: status?.startTime ?? nowIso(),
      hostIP: this.ctx.hostIP,
      podIP: status?.podIP ?? this.ctx.podIP(pod),
      init: (pod.spec.initContainers ?? []).map((c) => model(c, true)),
      containers: pod.spec.containers.map((c) => model(c, false)),
      conditions,
    };
  }

  /** Writes the modelled status (serialised; later writes win). */
  private writeStatus(): Promise<void> {
    if (!this.model || this.frozen || this.deleted) return this.writing;
    const status = podStatus(this.model);
    const { namespace, name } = this.pod.metadata;
    this.writing = this.writing.then(async () => {
      if (this.frozen || this.deleted) return;
      try {
        await this.ctx.client.request({
          method: 'PATCH',
          path: `/api/v1/namespaces/${namespace}/pods/${name}/status`,
          query: { fieldManager: FIELD_MANAGER },
          contentType: 'application/merge-patch+json',
          body: { metadata: { uid: this.pod.metadata.uid }, status },
        });
      } catch (err) {
        if (err instanceof KubeHttpError && (err.status === 404 || err.status === 409)) return;
        this.ctx.log(`${this.key}: status write failed: ${(err as Error).message.split('\n')[0]}`);
      }
    });
    return this.writing;
  }

  private armDeadline(seconds: number): void {
    const start = Date.parse(this.model?.startTime ?? nowIso());
    const ms = Math.max(0, start + seconds * 1000 - Date.now());
    this.deadlineTimer = setTimeout(() => void this.deadlineExceeded(), ms);
  }

  private async deadlineExceeded(): Promise<void> {
    if (this.halted || this.finished || !this.model) return;
    await this.ctx.events.record(this.pod, 'Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
    this.halted = true;
    this.wake?.();
    await this.killAll(0, 'DeadlineExceeded');
    this.model.phase = 'Failed';
    this.model.reason = 'DeadlineExceeded';
    this.model.message = 'Pod was active on the node longer than the specified deadline';
    await this.finish();
  }

  /** {@link prepare}, retried every 10 s while the API server cannot answer what it needs. */
  private async prepareWithRetry(): Promise<void> {
    for (;;) {
      this.checkStopped();
      try {
        await this.prepare();
        return;
      } catch (err) {
        await this.ctx.events.record(this.pod, 'Warning', 'FailedMount', `preparing the pod's volumes failed: ${(err as Error).message.split('\n')[0]}`);
        await this.idle(10_000);
      }
    }
  }

  /** Resolves volumes and writes the files of ConfigMap/Secret/downward/projected volumes. */
  private async prepare(): Promise<void> {
    const pod = this.pod;
    const app = this.ctx.appWorkloadOf(pod);
    let appConfig: { volume: string; dir: string } | undefined;
    if (app) {
      const cfg = await this.ctx.appConfigDir(app.namespace, app.workload);
      const mount = configMountOfPodTemplate({ spec: pod.spec });
      if (mount) appConfig = { volume: mount.volume, dir: cfg.dir };
      mkdirSync(cfg.dir, { recursive: true });
    }
    const sources = await planVolumes(pod, {
      labDir: this.ctx.labDir,
      lookups: this.ctx.lookups,
      claimDir: (claim) => this.ctx.claimDir(pod.metadata.namespace, claim),
      appConfig,
    });
    this.volumes.clear();
    this.refused.clear();
    for (const [name, src] of sources) this.materialise(name, src);
  }

  private materialise(name: string, src: VolumeSource): void {
    const base = path.join(this.dir, 'volumes', name);
    switch (src.kind) {
      case 'dir':
        mkdirSync(src.path, { recursive: true });
        this.volumes.set(name, { path: src.path, readOnly: src.readOnly, ...(src.claim ? { claim: src.claim } : {}) });
        return;
      case 'emptyDir':
        mkdirSync(base, { recursive: true });
        this.volumes.set(name, { path: base, readOnly: false });
        return;
      case 'files':
        mkdirSync(base, { recursive: true });
        for (const f of src.files) {
          const p = path.join(base, f.path);
          mkdirSync(path.dirname(p), { recursive: true });
          writeFileSync(p, f.content);
          chmodSync(p, f.mode & 0o777);
        }
        this.volumes.set(name, { path: base, readOnly: true });
        return;
      case 'refused':
        this.refused.set(name, src.message);
    }
  }

  private async applyFault(jobUid: string): Promise<void> {
    this.fault = this.ctx.jobFaults.get(jobUid);
    if (!this.fault) {
      this.fault = takeJobFault(this.pod.metadata.namespace, this.ctx.labDir);
      if (this.fault) this.ctx.jobFaults.set(jobUid, this.fault);
    }
    if (!this.fault) return;
    await this.ctx.events.record(this.pod, 'Warning', 'LabFault', `lab fault for this Job: ${describeFault(this.fault)}`);
    if (this.fault.kind === 'fill-volume') {
      const claims = new Set<string>();
      for (const c of this.pod.spec.containers.filter((x) => this.real(x))) {
        for (const m of c.volumeMounts ?? []) {
          const v = this.volumes.get(m.name);
          if (v?.claim && !v.readOnly && !m.readOnly && (!this.fault.claim || this.fault.claim === v.claim)) claims.add(v.claim);
        }
      }
      for (const claim of claims) {
        try {
          setVolumeQuota(this.pod.metadata.namespace, claim, this.fault.bytes, this.ctx.labDir);
          this.quotaClaims.push(claim);
        } catch (err) {
          await this.ctx.events.record(this.pod, 'Warning', 'LabFault', `could not limit volume ${claim}: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Builds the sandbox of a container attempt; throws PlanError when it cannot start. */
  private async sandboxSpec(c: Container): Promise<SandboxSpec> {
    const problem = refusal(c);
    if (problem) throw new PlanError('CreateContainerConfigError', problem, 'Refused');
    // An app container run only to crash needs none of the volumes the lab cannot bind (the media hostPath).
    const crashRun = this.appCrash?.container === c.name && this.pod.spec.containers.some((x) => x.name === c.name);
    const usable = crashRun ? { ...c, volumeMounts: (c.volumeMounts ?? []).filter((m) => !this.refused.has(m.name)) } : c;
    for (const m of usable.volumeMounts ?? []) {
      const why = this.refused.get(m.name);
      if (why) throw new PlanError('ContainerCreating', why, 'FailedMount');
    }
    const env = await resolveEnv(this.pod, c, this.ctx.lookups);
    const mounts: Mount[] = containerMounts(usable, this.volumes, env);
    for (const m of mounts) {
      if (!existsSync(m.source)) mkdirSync(m.source, { recursive: true });
    }
    let argv = containerArgv(c, env);
    const isMain = this.pod.spec.containers.includes(c);
    if (crashRun && this.appCrash) {
      argv = crashArgv(this.appCrash);
      env.LAB_CRASH_OUTPUT = this.appCrash.output.join('\n');
    }
    const program = isMain ? programFor(c.image) : undefined;
    if (program) {
      // A lab program stands in for the image's binary (lab/executor/programs.ts).
      const containerPort = c.ports?.[0]?.containerPort ?? program.portFromEnv(env) ?? program.defaultPort;
      const hostPort = this.programPorts.get(c.name) ?? (await freePort());
      this.programPorts.set(c.name, hostPort);
      const plan = program.plan({ args: [...(c.args ?? [])], env, hostPort, namespace: this.pod.metadata.namespace, resolve: labAddressResolver(this.ctx.labDir) });
      this.pendingPrograms.set(c.name, {
        namespace: this.pod.metadata.namespace,
        pod: this.pod.metadata.name,
        uid: this.pod.metadata.uid,
        container: c.name,
        program: program.id,
        containerPort,
        hostPort,
        labels: { ...(this.pod.metadata.labels ?? {}) },
      });
      return {
        argv: plan.argv,
        env: plan.env,
        cwd: plan.cwd,
        hostname: this.pod.spec.hostname ?? this.pod.metadata.name.slice(0, 63),
        mounts,
        etcFiles: this.etcFiles(),
        scratchDir: path.join(this.dir, 'root'),
        hostNetwork: true,
        hostPaths: plan.hostPaths,
      };
    }
    if (isMain && this.fault?.kind === 'exit') argv = ['/bin/sh', '-c', `exit ${this.fault.exitCode}`];
    if (isMain && this.fault?.kind === 'hang') argv = ['/bin/sleep', 'infinity'];
    return {
      argv,
      env,
      cwd: c.workingDir ?? '/',
      hostname: this.pod.spec.hostname ?? this.pod.metadata.name.slice(0, 63),
      mounts,
      etcFiles: this.etcFiles(),
      scratchDir: path.join(this.dir, 'root'),
      ...(imageBaseName(c.image) === 'alpine' && this.ctx.alpineSbin ? { sbinDir: this.ctx.alpineSbin } : {}),
    };
  }

  private etcFiles(): SandboxSpec['etcFiles'] {
    const d = path.join(this.dir, 'etc');
    if (!existsSync(d)) {
      mkdirSync(d, { recursive: true });
      const host = this.pod.spec.hostname ?? this.pod.metadata.name;
      const ip = this.model?.podIP ?? '127.0.0.1';
      const ns = this.pod.metadata.namespace;
      writeFileSync(path.join(d, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${host}\n`);
      writeFileSync(path.join(d, 'hostname'), `${host}\n`);
      writeFileSync(path.join(d, 'resolv.conf'), `search ${ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`);
      writeFileSync(path.join(d, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
      writeFileSync(path.join(d, 'group'), 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n');
    }
    return ['hosts', 'hostname', 'resolv.conf', 'passwd', 'group'].map((name) => ({ name, source: path.join(d, name) }));
  }

  /** Starts one attempt of a container; resolves when it has started (or throws PlanError). */
  private async startAttempt(c: Container, m: ContainerModel): Promise<Attempt> {
    const spec = await this.sandboxSpec(c);
    this.checkStopped();
    const index = m.restartCount;
    const file = attemptLogFile(this.dir, c.name, index);
    mkdirSync(path.dirname(file), { recursive: true });
    rmSync(file, { force: true });
    const log = new ContainerLogWriter(file);
    const proc = startSandboxed(this.ctx.sandbox, spec);
    const startedAt = nowIso();
    let firstErr = '';
    proc.stdout?.on('data', (d: Buffer) => log.write('stdout', d));
    proc.stderr?.on('data', (d: Buffer) => {
      if (firstErr.length < 512) firstErr += d.toString();
      log.write('stderr', d);
    });
    const attempt: Attempt = {
      container: c.name,
      index,
      proc,
      log,
      startedAt,
      finished: false,
      done: new Promise((resolve) => {
        proc.on('error', (err) => resolve({ exitCode: 128, reason: 'StartError', message: err.message }));
        proc.on('close', (code, signal) => {
          const exitCode = signalExitCode(signal, code);
          // bwrap reports a command it cannot start on stderr before the command exists.
          const m2 = /^bwrap: (execvp .*|Can't .*)$/m.exec(firstErr);
          if (m2 && exitCode === 1) resolve({ exitCode: 128, reason: 'StartError', message: m2[1] });
          else resolve({ exitCode });
        });
      }),
    };
    void attempt.done.then(() => {
      attempt.finished = true;
      if (attempt.killTimer) clearTimeout(attempt.killTimer);
      log.close();
    });
    const program = this.pendingPrograms.get(c.name);
    if (program) recordProgram(program, this.ctx.labDir);
    m.containerID = `lab://${this.pod.metadata.uid.slice(0, 8)}-${c.name}-${index}-${randomBytes(3).toString('hex')}`;
    m.current = { state: 'running', startedAt };
    this.attempts.set(c.name, attempt);
    if (this.fault?.kind === 'kill' && this.pod.spec.containers.includes(c)) {
      attempt.killTimer = setTimeout(() => {
        if (proc.pid !== undefined) killSandbox(proc.pid);
      }, this.fault.afterMs);
    }
    return attempt;
  }

  private async reportPlanError(m: ContainerModel, err: PlanError, c: Container): Promise<void> {
    m.current = { state: 'waiting', reason: err.reason, message: err.message };
    await this.writeStatus();
    await this.ctx.events.record(this.pod, 'Warning', err.eventReason, err.eventReason === 'Refused' ? `lab executor refused to start container "${c.name}": ${err.message}` : `Error: ${err.message}`, c.name);
  }

  /**
   * Starts a container, retrying while it cannot start (missing ConfigMap, refused volume),
   * every 10 s like a kubelet. Refused (privileged) containers never start.
   */
  private async startWithRetry(c: Container, m: ContainerModel): Promise<Attempt> {
    for (;;) {
      this.checkStopped();
      try {
        const a = await this.startAttempt(c, m);
        await this.ctx.events.record(this.pod, 'Normal', 'Started', `Started container ${c.name} in the lab sandbox (${this.ctx.sandbox})`, c.name);
        return a;
      } catch (err) {
        if (!(err instanceof PlanError)) throw err;
        await this.reportPlanError(m, err, c);
        if (err.eventReason === 'Refused') {
          await this.idle(Number.POSITIVE_INFINITY);
          throw new Stopped();
        }
        await this.idle(10_000);
        await this.prepare().catch(() => undefined);
      }
    }
  }

  /** Waits `ms` or until the runner is stopped. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.halted) return resolve();
      const t = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
      const prev = this.wake;
      this.wake = () => {
        this.wake = undefined;
        if (t) clearTimeout(t);
        prev?.();
        resolve();
      };
    });
  }

  private terminated(m: ContainerModel, a: Attempt, r: { exitCode: number; reason?: string; message?: string }): void {
    m.current = { state: 'terminated', exitCode: r.exitCode, reason: r.reason ?? exitReason(r.exitCode), startedAt: a.startedAt, finishedAt: nowIso(), ...(r.message ? { message: r.message } : {}) };
  }

  private restartWanted(exitCode: number): boolean {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  private async backoff(m: ContainerModel, c: Container): Promise<void> {
    const delay = restartBackoffMs(m.restartCount + 1);
    m.last = m.current;
    m.current = { state: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})` };
    m.restartCount++;
    await this.writeStatus();
    await this.ctx.events.record(this.pod, 'Warning', 'BackOff', 'Back-off restarting failed container', c.name);
    await this.idle(delay);
    this.checkStopped();
  }

  /** Runs the init containers in order. Resolves false when the pod failed or stopped. */
  private async runInit(): Promise<boolean> {
    const model = this.model as PodModel;
    const specs = this.pod.spec.initContainers ?? [];
    for (let i = 0; i < specs.length; i++) {
      const c = specs[i] as Container;
      const m = model.init[i] as ContainerModel;
      if (m.current.state === 'terminated' && m.current.exitCode === 0) continue;
      if (!m.real) {
        const t = nowIso();
        m.current = m.sidecar ? { state: 'running', startedAt: t } : { state: 'terminated', exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t };
        await this.ctx.events.record(this.pod, 'Normal', 'NotRun', `init container ${c.name}: image ${c.image} is not on the lab executor's allowlist; reported as completed without running`, c.name);
        continue;
      }
      for (;;) {
        const a = await this.startWithRetry(c, m);
        await this.writeStatus();
        if (m.sidecar) break;
        const r = await a.done;
        this.checkStopped();
        this.terminated(m, a, r);
        if (r.exitCode === 0) break;
        await this.ctx.events.record(this.pod, 'Warning', 'Failed', `init container ${c.name} exited with code ${r.exitCode}`, c.name);
        if ((this.pod.spec.restartPolicy ?? 'Always') === 'Never') {
          model.phase = 'Failed';
          await this.finish();
          return false;
        }
        await this.backoff(m, c);
      }
      await this.writeStatus();
    }
    for (const m of model.containers) if (m.current.state === 'waiting' && m.current.reason === 'PodInitializing') m.current = { state: 'waiting', reason: 'ContainerCreating' };
    return true;
  }

  /** Runs the containers until the pod completes (or forever, for pods of long-running workloads). */
  private async runContainers(): Promise<void> {
    const model = this.model as PodModel;
    const specs = this.pod.spec.containers;
    const loops = specs.map(async (c, i) => {
      const m = model.containers[i] as ContainerModel;
      if (!m.real) {
        m.current = { state: 'running', startedAt: nowIso() };
        return;
      }
      for (;;) {
        const a = await this.startWithRetry(c, m);
        model.phase = 'Running';
        await this.writeStatus();
        const r = await a.done;
        this.checkStopped();
        this.terminated(m, a, r);
        await this.writeStatus();
        if (!this.restartWanted(r.exitCode)) return;
        await this.backoff(m, c);
      }
    });
    // Simulated containers are running as soon as their loop returns.
    await sleep(0);
    if (model.containers.every((m) => m.current.state === 'running' || !m.real)) {
      model.phase = 'Running';
      await this.writeStatus();
    }
    await Promise.all(
      loops.map((p) =>
        p.catch((err: unknown) => {
          if (!(err instanceof Stopped)) throw err;
        }),
      ),
    );
    if (this.halted) return;
    const realOnes = model.containers.filter((m) => m.real);
    if (realOnes.length === 0 || model.containers.some((m) => !m.real)) {
      model.phase = 'Running';
      await this.writeStatus();
      return;
    }
    const allOk = realOnes.every((m) => m.current.state === 'terminated' && m.current.exitCode === 0);
    model.phase = allOk ? 'Succeeded' : 'Failed';
    await this.finish();
  }

  /** After an executor restart: the processes of running containers ended with the old executor. */
  private async resume(): Promise<void> {
    const model = this.model as PodModel;
    if (this.pod.spec.activeDeadlineSeconds !== undefined) this.armDeadline(this.pod.spec.activeDeadlineSeconds);
    await this.prepareWithRetry();
    for (const m of [...model.init, ...model.containers]) {
      if (m.real && m.current.state === 'running') {
        m.current = { state: 'terminated', exitCode: 137, reason: 'Error', message: 'the lab executor restarted; the container ended with it', startedAt: m.current.startedAt, finishedAt: nowIso() };
      }
    }
    const initDone = model.init.every((m) => m.current.state === 'terminated' && m.current.exitCode === 0);
    if (!initDone && !(await this.runInit())) return;
    const specs = this.pod.spec.containers;
    for (let i = 0; i < specs.length; i++) {
      const m = model.containers[i] as ContainerModel;
      if (m.real && m.current.state === 'terminated' && !this.restartWanted(m.current.exitCode)) continue;
      if (m.real && m.current.state === 'terminated') {
        m.last = m.current;
        m.restartCount++;
        m.current = { state: 'waiting', reason: 'ContainerCreating' };
      }
    }
    await this.runContainers();
  }

  /** Stops every attempt: SIGTERM, then SIGKILL after the grace period. */
  private async killAll(graceSeconds: number, why: string): Promise<void> {
    const running = [...this.attempts.values()].filter((a) => !a.finished);
    if (running.length === 0) return;
    for (const a of running) {
      await this.ctx.events.record(this.pod, 'Normal', 'Killing', `Stopping container ${a.container} (${why})`, a.container);
      if (a.proc.pid !== undefined) {
        if (graceSeconds > 0) terminateContainer(this.ctx.sandbox, a.proc.pid);
        else killSandbox(a.proc.pid);
      }
    }
    const deadline = Date.now() + graceSeconds * 1000;
    while (Date.now() < deadline && running.some((a) => !a.finished)) await sleep(100);
    for (const a of running) if (!a.finished && a.proc.pid !== undefined) killSandbox(a.proc.pid);
    await Promise.race([Promise.all(running.map((a) => a.done)), sleep(5000)]);
    const model = this.model;
    if (!model) return;
    for (const a of running) {
      const m = [...model.init, ...model.containers].find((x) => x.name === a.container);
      if (m && m.current.state === 'running') {
        const r = await a.done;
        this.terminated(m, a, { exitCode: r.exitCode, reason: r.exitCode === 0 ? 'Completed' : 'Error' });
      }
    }
  }

  private releaseQuotas(): void {
    for (const claim of this.quotaClaims) {
      try {
        clearVolumeQuota(this.pod.metadata.namespace, claim, this.ctx.labDir);
      } catch (err) {
        this.ctx.log(`${this.key}: could not lift the limit of volume ${claim}: ${(err as Error).message}`);
      }
    }
    this.quotaClaims = [];
  }

  /** The pod completed: stop sidecars, write the final status. */
  private async finish(): Promise<void> {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.halted = true;
    this.wake?.();
    await this.killAll(0, 'the pod completed');
    this.finished = true;
    this.releaseQuotas();
    for (const m of this.model?.containers ?? []) if (!m.real && m.current.state === 'running') m.current = { state: 'terminated', exitCode: 0, reason: 'Completed', startedAt: m.current.startedAt, finishedAt: nowIso() };
    await this.writeStatus();
  }

  /** Pod deletion: stop the processes within the grace period, then remove the pod object. */
  async stop(why: 'deleted' | 'gone' | 'shutdown'): Promise<void> {
    if (this.stopCalled && why !== 'shutdown') return;
    this.stopCalled = true;
    this.halted = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.wake?.();
    const grace = why === 'deleted' ? Math.min(30, this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30) : 0;
    await this.killAll(grace, why === 'shutdown' ? 'the lab executor stops' : 'the pod is deleted');
    if (this.pendingPrograms.size > 0) forgetPrograms(this.pod.metadata.uid, this.ctx.labDir);
    this.releaseQuotas();
    if (why === 'shutdown') return;
    if (why === 'deleted' && !this.deleted) {
      await this.writeStatus();
      const { namespace, name, uid } = this.pod.metadata;
      try {
        await this.ctx.client.request({
          method: 'DELETE',
          path: `/api/v1/namespaces/${namespace}/pods/${name}`,
          body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid } },
        });
      } catch (err) {
        if (!(err instanceof KubeHttpError && (err.status === 404 || err.status === 409))) this.ctx.log(`${this.key}: delete failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    this.deleted = true;
  }

  /** Removes the pod's files (logs, materialised volumes) once the pod object is gone. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A short line for `lab status`. */
  summary(): { pod: string; phase: string; containers: string[] } {
    const m = this.model;
    return {
      pod: this.key,
      phase: this.finished ? (m?.phase ?? this.pod.status?.phase ?? 'Unknown') : (m?.phase ?? 'Pending'),
      containers: [...(m?.init ?? []), ...(m?.containers ?? [])].map((c) => `${c.name}${c.real ? '' : ' (not run)'}: ${c.current.state}${c.current.state === 'terminated' ? ` ${c.current.exitCode}` : ''}`),
    };
  }

  get isFinished(): boolean {
    return this.finished;
  }
}
