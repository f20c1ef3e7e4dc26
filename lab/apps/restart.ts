/**
 * Restarting a lab app the way Kubernetes restarts it: when a pod of the workload an app serves is
 * replaced (deleted, rolled out, scaled back up), the lab executor runs the new pod's init
 * containers and then calls {@link restartApp}, which stops the app's process (a simulator in the
 * simulator host, or the real qBittorrent) and starts it again with the same ports and
 * configuration. What the app loads at start is then what its configuration volume holds.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultGitopsRepo, labFiles } from "../paths";
import { loadManifests, type ManifestObject } from "../lib/manifests";
import { isAlive, readPid } from "../lib/process";
import { readState } from "../lib/state";
import { waitFor } from "../lib/wait";
import { SimulatorControl, type SimulatorSnapshot } from "../sims/control";
import { isSimulatorInfo } from "../sims/index";
import { qbittorrentWorkloads, restartLabQbittorrent } from "./index";
import { stopQbittorrent, type QbittorrentInfo } from "./qbittorrent";
import { rec } from "../lib/values";

/** A workload one of the lab's app processes serves. */
export interface LabAppWorkload {
  namespace: string;
  workload: string;
  /** The app id in lab.json's `apps` (`sonarr`, `gluetun-qbittorrent`, `qbittorrent`). */
  app: string;
  kind: "simulator" | "qbittorrent";
}

/** What {@link restartApp} did. */
export interface RestartResult {
  namespace: string;
  workload: string;
  restarted: { app: string; kind: LabAppWorkload["kind"]; detail: string }[];
}

/** Every workload the running lab's apps serve (none before the apps started). */
export function labAppWorkloads(labDir: string, objects?: ManifestObject[]): LabAppWorkload[] {
  const result = readState(labDir).result;
  if (!result) return [];
  const out: LabAppWorkload[] = [];
  for (const [id, info] of Object.entries(result.apps)) {
    if (!isSimulatorInfo(info) || !info.workload.includes("/")) continue;
    const [namespace, workload] = info.workload.split("/") as [string, string];
    out.push({ namespace, workload, app: id, kind: "simulator" });
  }
  if (result.apps.qbittorrent !== undefined) {
    for (const w of qbittorrentWorkloads(objects ?? loadManifests(defaultGitopsRepo()))) out.push({ namespace: w.namespace, workload: w.name, app: "qbittorrent", kind: "qbittorrent" });
  }
  return out;
}

function updateLabJsonApp(labDir: string, app: string, info: unknown): void {
  const file = labFiles(labDir).labJson;
  if (!existsSync(file)) return;
  const data = JSON.parse(readFileSync(file, "utf8")) as { apps?: Record<string, unknown> };
  data.apps = { ...(data.apps ?? {}), [app]: info };
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

/**
 * Restarts every app process serving `<namespace>/<workload>` with the same ports and
 * configuration. Throws when no lab app serves the workload; an app whose process is not running
 * is reported and left alone (the lab's `up` starts it).
 *
 * `between` runs while every one of those processes is stopped, as a new pod's init containers
 * run after the old pod's containers ended: what it writes to the configuration volume is what
 * the apps load when they start, and no app writes its in-memory state over it on the way down.
 * When `between` throws, the apps stay stopped (a pod whose init container fails never starts
 * its containers) and the error is passed on.
 */
export async function restartApp(
  namespace: string,
  workload: string,
  opts: { labDir: string; log?: (m: string) => void; between?: () => Promise<void> | void },
): Promise<RestartResult> {
  const log = opts.log ?? (() => undefined);
  const serving = labAppWorkloads(opts.labDir).filter((w) => w.namespace === namespace && w.workload === workload);
  if (serving.length === 0) throw new Error(`no lab app serves ${namespace}/${workload}`);
  const result: RestartResult = { namespace, workload, restarted: [] };
  const simulatorsUp = isAlive(readPid(opts.labDir, "simulators"));
  const apps = readState(opts.labDir).result?.apps ?? {};
  const controlOf = (app: string): SimulatorControl => new SimulatorControl(String(rec(apps[app]).controlUrl));
  const simulators = serving.filter((s) => s.kind === "simulator" && simulatorsUp);
  for (const s of serving) {
    if (s.kind === "simulator" && !simulatorsUp) result.restarted.push({ app: s.app, kind: s.kind, detail: `simulator ${s.app} not running; not restarted` });
  }
  for (const s of simulators) {
    await controlOf(s.app).stop().catch((err: unknown) => {
      throw new Error(`stopping simulator ${s.app}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  const qb = serving.find((s) => s.kind === "qbittorrent");
  const before = qb ? (apps[qb.app] as QbittorrentInfo | undefined) : undefined;
  let between = opts.between;
  if (qb) {
    // qBittorrent is stopped and started by its own helper; the simulators wait stopped meanwhile.
    const next = await restartLabQbittorrent(opts.labDir, {
      log,
      between: async () => {
        await between?.();
        between = undefined;
      },
    });
    updateLabJsonApp(opts.labDir, "qbittorrent", next);
    result.restarted.push({ app: qb.app, kind: "qbittorrent", detail: `qBittorrent restarted (pid ${before?.pid ?? "?"} -> ${next.pid}) on ${next.url}` });
  } else {
    await between?.();
  }
  for (const s of simulators) {
    const snap = await controlOf(s.app).start().catch((err: unknown) => {
      throw new Error(`starting simulator ${s.app}: ${err instanceof Error ? err.message : String(err)}`);
    });
    log(`${s.app}: simulator restarted on ${snap.url}`);
    result.restarted.push({ app: s.app, kind: s.kind, detail: `simulator ${s.app} restarted on ${snap.url} (start ${snap.starts})` });
  }
  return result;
}

/** Restarts one app process (stopped or running) with its ports and configuration; says what it did. */
async function restartOne(labDir: string, app: string, kind: LabAppWorkload["kind"], log: (m: string) => void): Promise<string> {
  const info = readState(labDir).result?.apps[app];
  if (kind === "qbittorrent") {
    const qb = info as QbittorrentInfo;
    const next = await restartLabQbittorrent(labDir, { log });
    updateLabJsonApp(labDir, "qbittorrent", next);
    return `qBittorrent restarted (pid ${qb.pid} -> ${next.pid}) on ${next.url}`;
  }
  if (!isAlive(readPid(labDir, "simulators"))) return `simulator ${app} not running; not restarted`;
  const snap = await new SimulatorControl(String(rec(info).controlUrl)).restart().catch((err: unknown) => {
    throw new Error(`restarting simulator ${app}: ${err instanceof Error ? err.message : String(err)}`);
  });
  log(`${app}: simulator restarted on ${snap.url}`);
  return `simulator ${app} restarted on ${snap.url} (start ${snap.starts})`;
}

/** The apps of the running lab that keep their state on a volume: the simulators with files, and qBittorrent. */
function volumeApps(labDir: string): { app: string; kind: LabAppWorkload["kind"]; control?: SimulatorControl }[] {
  const apps = readState(labDir).result?.apps ?? {};
  const out: { app: string; kind: LabAppWorkload["kind"]; control?: SimulatorControl }[] = [];
  for (const [app, info] of Object.entries(apps)) {
    if (isSimulatorInfo(info)) out.push({ app, kind: "simulator", control: new SimulatorControl(info.controlUrl) });
  }
  if (apps.qbittorrent !== undefined) out.push({ app: "qbittorrent", kind: "qbittorrent" });
  return out;
}

/**
 * Stops every lab app that keeps its state on a volume, as a pod's containers stop before its
 * volume is replaced: nothing writes into a volume while it is emptied. Resolves with the apps
 * stopped; {@link startStoppedApps} starts them again.
 */
export async function stopVolumeApps(labDir: string, log: (m: string) => void = () => undefined): Promise<string[]> {
  const stopped: string[] = [];
  const simulatorsUp = isAlive(readPid(labDir, "simulators"));
  for (const a of volumeApps(labDir)) {
    if (a.kind === "qbittorrent") {
      await stopQbittorrent(labDir);
      stopped.push(a.app);
    } else if (simulatorsUp && a.control !== undefined) {
      const snap = await a.control.snapshot();
      if (snap.dataDir === undefined || !snap.running) continue;
      await a.control.stop();
      stopped.push(a.app);
    }
  }
  log(`apps: stopped ${stopped.length ? stopped.join(", ") : "none"} (their volumes are about to change)`);
  return stopped;
}

function missingFiles(snap: SimulatorSnapshot): string[] {
  return snap.dataDir === undefined ? [] : (snap.files ?? []).filter((f) => !existsSync(join(snap.dataDir ?? "", f)));
}

/**
 * Starts every lab app that keeps its state on a volume and is not running (the ones no pod of a
 * workload started again, like Seerr, which the manifests do not deploy), and waits until each
 * runs with its files in its volume: an empty volume is seeded as on a first start. Resolves with
 * the apps it started.
 */
export async function startStoppedApps(labDir: string, log: (m: string) => void = () => undefined): Promise<string[]> {
  const started: string[] = [];
  const simulatorsUp = isAlive(readPid(labDir, "simulators"));
  for (const a of volumeApps(labDir)) {
    if (a.kind === "qbittorrent") {
      if (isAlive(readPid(labDir, "qbittorrent"))) continue;
      await restartOne(labDir, a.app, a.kind, log);
      started.push(a.app);
      continue;
    }
    const control = a.control;
    if (!simulatorsUp || control === undefined) continue;
    if (!(await control.snapshot()).running) {
      await control.start();
      started.push(a.app);
    }
    let last: SimulatorSnapshot | undefined;
    await waitFor(`${a.app} running with its files`, async () => {
      last = await control.snapshot();
      return last.running && missingFiles(last).length === 0;
    }, {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe: () => (last === undefined ? "its simulator does not answer" : !last.running ? `not running: ${last.startError ?? "stopped"}` : `missing in ${last.dataDir}: ${missingFiles(last).join(", ")}`),
    });
  }
  if (started.length) log(`apps: started ${started.join(", ")} on their volumes`);
  return started;
}
