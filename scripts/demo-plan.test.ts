import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "demo-plan-"));

/** The first line `npm run demo` prints, with the plan only (`--plan` starts nothing). */
function firstLine(env: Record<string, string>): string {
  const base = { ...process.env };
  delete base.LAB_GITOPS_REPO;
  const out = execFileSync("bash", [path.join(ROOT, "scripts/demo.sh"), "--plan"], { cwd: ROOT, env: { ...base, DEMO_DIR: path.join(tmp, "demo"), ...env }, encoding: "utf8" });
  return out.split("\n")[0] ?? "";
}

describe("npm run demo says first which repository seeds the lab", () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("the example stack in a bare clone (no fixture beside it)", () => {
    const line = firstLine({ K8S_NAS_SHARED_DIR: path.join(tmp, "empty") });
    expect(line).toBe(`k8s-nas-panel demo: the lab is seeded from ${ROOT}/examples/media-stack (the example media stack; ${tmp}/empty/fixtures/k8s_nas is absent; LAB_GITOPS_REPO=/path/to/repo seeds it from another)`);
  });

  it("the owner's fixture when it is there", () => {
    mkdirSync(path.join(tmp, "shared", "fixtures", "k8s_nas"), { recursive: true });
    expect(firstLine({ K8S_NAS_SHARED_DIR: path.join(tmp, "shared") })).toMatch(/^k8s-nas-panel demo: the lab is seeded from .*\/shared\/fixtures\/k8s_nas \(the owner's fixture;/);
  });

  it("LAB_GITOPS_REPO above both", () => {
    expect(firstLine({ K8S_NAS_SHARED_DIR: path.join(tmp, "shared"), LAB_GITOPS_REPO: "/srv/my-repo" })).toBe("k8s-nas-panel demo: the lab is seeded from /srv/my-repo (LAB_GITOPS_REPO)");
  });
});
