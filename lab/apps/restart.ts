/**
 * Restarting a lab app the way Kubernetes restarts it: when a pod of the workload an app serves is
 * replaced (deleted, rolled out, scaled back up), the lab executor runs the new pod's init
 * containers and then calls {@link restartApp}, which stops the app's process (a simulator in the
 * simulator host, or the real qBittorrent) and starts it again with the same ports and
 * configuration. What the app loads at start is then what its configuration volume holds.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { labFiles } from "../paths";
import { gitopsDir } from "../lib/paths";
import { loadManifests, type ManifestObject } from "../lib/manifests";
import { isAlive, readPid } from "../lib/process";
import { readState } from "../lib/state";
import { rec } from "../lib/values";
import { qbittorrentWorkloads, restartLabQbittorrent } from "./index";
import type { QbittorrentInfo } from "./qbittorrent";

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
    const w = rec(info).workload;
    const controlUrl = rec(info).controlUrl;
    if (typeof w !== "string" || typeof controlUrl !== "string" || !w.includes("/")) continue;
    const [namespace, workload] = w.split("/") as [string, string];
    out.push({ namespace, workload, app: id, kind: "simulator" });
  }
  if (result.apps.qbittorrent !== undefined) {
    for (const w of qbittorrentWorkloads(objects ?? loadManifests(gitopsDir()))) out.push({ namespace: w.namespace, workload: w.name, app: "qbittorrent", kind: "qbittorrent" });
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
 */
export async function restartApp(
  namespace: string,
  workload: string,
  opts: { labDir: string; log?: (m: string) => void },
): Promise<RestartResult> {
  const log = opts.log ?? (() => undefined);
  const serving = labAppWorkloads(opts.labDir).filter((w) => w.namespace === namespace && w.workload === workload);
  if (serving.length === 0) throw new Error(`no lab app serves ${namespace}/${workload}`);
  const state = readState(opts.labDir);
  const result: RestartResult = { namespace, workload, restarted: [] };
  for (const s of serving) {
    const info = state.result?.apps[s.app];
    if (s.kind === "qbittorrent") {
      const qb = info as QbittorrentInfo;
      const next = await restartLabQbittorrent(opts.labDir, { log });
      updateLabJsonApp(opts.labDir, "qbittorrent", next);
      result.restarted.push({ app: s.app, kind: s.kind, detail: `qBittorrent restarted (pid ${qb.pid} -> ${next.pid}) on ${next.url}` });
      continue;
    }
    const controlUrl = String(rec(info).controlUrl);
    if (!isAlive(readPid(opts.labDir, "simulators"))) {
      result.restarted.push({ app: s.app, kind: s.kind, detail: `simulator ${s.app} not running; not restarted` });
      continue;
    }
    const res = await fetch(controlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "restart" }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { url?: string; starts?: number; error?: string };
    if (!res.ok) throw new Error(`restarting simulator ${s.app}: HTTP ${res.status} ${body.error ?? ""}`.trim());
    log(`${s.app}: simulator restarted on ${body.url ?? "?"}`);
    result.restarted.push({ app: s.app, kind: s.kind, detail: `simulator ${s.app} restarted on ${body.url ?? "?"} (start ${body.starts ?? "?"})` });
  }
  return result;
}
