import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppsResult, GitInfo } from "./index";
import { readAppsResult, startApps, stopApps } from "./index";
import type { ForgeInfo } from "../forge/index";
import type { GiteaInfo } from "./gitea";
import { labDir } from "../paths";
import { isAlive, readPid } from "../lib/process";
import type { AlertmanagerInfo, PrometheusInfo } from "./monitoring";
import type { IngressInfo } from "./nginx";
import type { QbittorrentInfo } from "./qbittorrent";
import type { TlsCase } from "./tls";

/** The typed part of `apps` this layer produces. */
export interface LabAppsFacts {
  qbittorrent: QbittorrentInfo;
  prometheus: PrometheusInfo;
  alertmanager: AlertmanagerInfo;
  git: GitInfo;
  forge: ForgeInfo;
  /** Present when the lab runs Gitea (the default; `LAB_GITEA=0` leaves it out). */
  gitea?: GiteaInfo;
  tls: TlsCase[];
  ingress: IngressInfo;
}

/** A lab apps layer a test can use, and how to let go of it. */
export interface AppsHandle {
  labDir: string;
  addressMap: Record<string, string>;
  apps: LabAppsFacts;
  /** True when this handle started the processes (in a temporary lab directory). */
  owned: boolean;
  /** Stops the processes and removes the directory when owned; otherwise does nothing. */
  release: () => Promise<void>;
}

const OWN = ["qbittorrent", "prometheus", "alertmanager", "nginx", "fcgiwrap", "forge"];

function asFacts(r: AppsResult): LabAppsFacts {
  return r.apps as unknown as LabAppsFacts;
}

/**
 * The running lab's apps (`$LAB_DIR` or `<repo>/.lab`, when `lab up` started them and they are alive), or a fresh
 * set started by {@link startApps} in a temporary directory (simulators and Gitea off unless asked).
 */
export async function useLabApps(opts: { simulators?: boolean; gitea?: boolean } = {}): Promise<AppsHandle> {
  const shared = labDir();
  const result = readAppsResult(shared);
  const own = opts.gitea === true ? [...OWN, "gitea"] : OWN;
  if (result !== undefined && own.every((n) => isAlive(readPid(shared, n)))) {
    return { labDir: shared, addressMap: result.addressMap, apps: asFacts(result), owned: false, release: async () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), "lab-apps-"));
  try {
    const started = await startApps({
      labDir: dir,
      kubeconfig: "",
      secrets: {},
      simulators: opts.simulators ?? false,
      gitea: opts.gitea ?? false,
      log: (m) => {
        if (process.env.LAB_APPS_VERBOSE === "1") process.stdout.write(`[apps] ${m}\n`);
      },
    });
    return {
      labDir: dir,
      addressMap: started.addressMap,
      apps: asFacts(started),
      owned: true,
      release: async () => {
        await stopApps(dir);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopApps(dir);
    throw err;
  }
}
