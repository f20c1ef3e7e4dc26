/**
 * The running lab (`lab up`): every app keeps its files in its configuration volume's directory
 * (`<labDir>/volumes/<namespace>/<claim>`, the claim its workload mounts at its config path), and
 * the refuse-restore fault works from the CLI (`npm run lab -- refuse-restore <app>`) on the lab's
 * own simulators.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLabJson, type LabJson } from "../lab";
import { REPO_ROOT, volumeDir } from "../paths";
import { SimulatorControl } from "./control";
import { integrityCheck } from "./engine/db";
import { findSimulator, isSimulatorInfo, type SimulatorInfo } from "./index";

const run = promisify(execFile);

let lab: LabJson;
let simulators: [string, SimulatorInfo][];

beforeAll(() => {
  const data = readLabJson();
  if (data === undefined) throw new Error("the lab is not up (no lab.json); the integration project's globalSetup starts it");
  lab = data;
  simulators = Object.entries(lab.apps).filter((entry): entry is [string, SimulatorInfo] => isSimulatorInfo(entry[1]));
});

afterAll(async () => {
  const sonarr = findSimulator(lab.labDir, "media/sonarr");
  if (sonarr !== undefined) await new SimulatorControl(sonarr.controlUrl).reset();
});

describe("the lab's apps on their volumes", () => {
  it("every simulator keeps its files in its configuration volume under <labDir>/volumes", async () => {
    expect(simulators.length).toBeGreaterThanOrEqual(10);
    let withFiles = 0;
    for (const [id, info] of simulators) {
      const [namespace, claim] = info.configVolume.split("/");
      expect(info.configDir, id).toBe(volumeDir(namespace ?? "", claim ?? "", lab.labDir));
      const snap = await new SimulatorControl(info.controlUrl).snapshot();
      for (const file of snap.files ?? []) {
        expect(existsSync(join(info.configDir, file)), `${id}: ${file}`).toBe(true);
        if (/\.(db|sqlite3)$/.test(file)) expect(integrityCheck(join(info.configDir, file)), `${id}: ${file}`).toEqual(["ok"]);
      }
      if ((snap.files ?? []).length > 0) withFiles += 1;
    }
    expect(withFiles).toBeGreaterThanOrEqual(9);
  });

  it("the *arr simulators use the claim their workload mounts or <workload>-config; qBittorrent its PVC", () => {
    expect(findSimulator(lab.labDir, "media/sonarr")?.configVolume).toBe("media/sonarr-config");
    expect(findSimulator(lab.labDir, "media/jellyseerr")?.configVolume).toBe("media/jellyseerr-config");
    const qb = lab.apps.qbittorrent as { profileDir: string; configVolume: string };
    expect(qb.configVolume).toBe("qbittorrent/qbittorrent-config");
    expect(existsSync(join(qb.profileDir, "qBittorrent", "config", "qBittorrent.conf"))).toBe(true);
  });
});

describe("refuse-restore from the CLI", () => {
  it("makes the lab's Sonarr refuse its next restore in Sonarr's error shape, then restores work again", async () => {
    const sonarr = findSimulator(lab.labDir, "media/sonarr");
    if (sonarr === undefined) throw new Error("no Sonarr simulator in the lab");
    const api = `${sonarr.url}${sonarr.urlBase}/api/v3`;
    const key = { "x-api-key": sonarr.apiKey ?? "" };
    const out = await run(process.execPath, ["--import", "tsx", join(REPO_ROOT, "lab", "cli.ts"), "refuse-restore", "media/sonarr"], { cwd: REPO_ROOT, env: { ...process.env, LAB_DIR: lab.labDir } });
    expect(out.stdout).toMatch(/sonarr: refuses the next 1 restore/);
    const [backup] = (await (await fetch(`${api}/system/backup`, { headers: key })).json()) as { id: number }[];
    if (backup === undefined) throw new Error("the lab's Sonarr has no backup");
    const refused = await fetch(`${api}/system/backup/restore/${backup.id}`, { method: "POST", headers: key });
    expect(refused.status).toBe(500);
    expect(await refused.json()).toMatchObject({ message: "Access to the path '/config/sonarr.restore' is denied." });
    const again = await fetch(`${api}/system/backup/restore/${backup.id}`, { method: "POST", headers: key });
    expect([again.status, await again.json()]).toEqual([200, { restartRequired: true }]);
  });

  it("tells which apps it knows when the app is not a lab simulator", async () => {
    const failed = await run(process.execPath, ["--import", "tsx", join(REPO_ROOT, "lab", "cli.ts"), "refuse-restore", "media/nothing"], { cwd: REPO_ROOT, env: { ...process.env, LAB_DIR: lab.labDir } }).then(
      () => "succeeded",
      (err: { stderr?: string }) => err.stderr ?? "",
    );
    expect(failed).toMatch(/no simulator for media\/nothing/);
  });
});
