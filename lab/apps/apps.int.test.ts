import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForgeControls } from "../forge/controls";
import type { AppsResult } from "./index";
import { startApps, stopApps } from "./index";
import { isAlive, readPid } from "../lib/process";
import { stateFile } from "../lib/state";
import type { LabAppsFacts } from "./test-support";

const run = promisify(execFile);
const NAMES = ["qbittorrent", "prometheus", "alertmanager", "nginx", "fcgiwrap", "forge"];

let labDir: string;
let first: AppsResult;
let startMs = 0;

function facts(r: AppsResult): LabAppsFacts {
  return r.apps as unknown as LabAppsFacts;
}

beforeAll(async () => {
  labDir = mkdtempSync(join(tmpdir(), "lab-apps-idem-"));
  const t0 = Date.now();
  first = await startApps({ labDir, kubeconfig: "", secrets: {}, simulators: false, log: () => undefined });
  startMs = Date.now() - t0;
});

afterAll(async () => {
  await stopApps(labDir);
  rmSync(labDir, { recursive: true, force: true });
});

describe("startApps", () => {
  it("starts every program with one pidfile each and maps the user's Services", () => {
    for (const n of NAMES) expect(isAlive(readPid(labDir, n)), `${n} is running`).toBe(true);
    expect(Object.keys(first.addressMap).sort()).toEqual(["prometheus.monitoring", "qbittorrent.qbittorrent"]);
    for (const url of Object.values(first.addressMap)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(startMs).toBeLessThan(60_000);
  });

  it("keeps generated credentials in a file only the owner can read", () => {
    expect(statSync(stateFile(labDir)).mode & 0o077).toBe(0);
    expect(facts(first).git.password.length).toBeGreaterThanOrEqual(16);
    expect(facts(first).forge.token).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
  });

  it("is idempotent: a second run reuses the same processes, ports and credentials", async () => {
    const pids = NAMES.map((n) => readPid(labDir, n));
    const second = await startApps({ labDir, kubeconfig: "", secrets: {}, simulators: false, log: () => undefined });
    expect(NAMES.map((n) => readPid(labDir, n))).toEqual(pids);
    expect(second.addressMap).toEqual(first.addressMap);
    expect(facts(second).tls.map((t) => t.port)).toEqual(facts(first).tls.map((t) => t.port));
    expect(facts(second).git.url).toBe(facts(first).git.url);
    expect(facts(second).qbittorrent.password).toBe(facts(first).qbittorrent.password);
    expect(facts(second).forge.token).toBe(facts(first).forge.token);
  });

  it("the running forge process merges through the TS controls into the bare repo", async () => {
    const { forge, git } = facts(first);
    const h = { authorization: `Bearer ${forge.token}`, "content-type": "application/json" };
    const api = `${forge.apiUrl}/repos/${forge.owner}/${forge.repo}`;
    const baseSha = (await run("git", ["--git-dir", git.bareDir, "rev-parse", git.defaultBranch])).stdout.trim();
    const created = await fetch(`${api}/git/refs`, { method: "POST", headers: h, body: JSON.stringify({ ref: "refs/heads/lab/process-test", sha: baseSha }) });
    expect(created.status).toBe(201);
    const put = await fetch(`${api}/contents/apps/lab/process.txt`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify({ message: "process test", content: Buffer.from("hi\n").toString("base64"), branch: "lab/process-test" }),
    });
    expect(put.status).toBe(201);
    const pr = (await (await fetch(`${api}/pulls`, { method: "POST", headers: h, body: JSON.stringify({ title: "Process test", head: "lab/process-test", base: git.defaultBranch }) })).json()) as { number: number };
    const merged = await new ForgeControls(forge).mergePull(pr.number);
    const tip = (await run("git", ["--git-dir", git.bareDir, "rev-parse", git.defaultBranch])).stdout.trim();
    expect(tip).toBe(merged.sha);
    const show = await run("git", ["--git-dir", git.bareDir, "show", `${git.defaultBranch}:apps/lab/process.txt`]);
    expect(show.stdout).toBe("hi\n");
  });

  it("stopApps stops every process it started", async () => {
    const pids = NAMES.map((n) => readPid(labDir, n));
    await stopApps(labDir);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
