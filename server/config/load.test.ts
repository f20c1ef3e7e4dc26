import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashPassword } from "@/server/auth/password";
import { configProblemsOf, loadConfigFrom } from "./load";

const dir = mkdtempSync(path.join(tmpdir(), "panel-config-"));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toMatchObject({ code: "invalid_input", source: "config" });
    return (configProblemsOf(error) ?? []).map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("expected a configuration error");
}

describe("loadConfigFrom", async () => {
  const hash = await hashPassword("correct horse battery");

  it("loads a valid file and applies PANEL_DATA_DIR", () => {
    const p = file("ok.yaml", "kubernetes:\n  mode: none\nserver:\n  dataDir: ./x\n");
    const { config, source } = loadConfigFrom({ PANEL_CONFIG: p, PANEL_ADMIN_PASSWORD_HASH: hash, PANEL_DATA_DIR: "/tmp/panel-data" });
    expect(source).toBe(p);
    expect(config.server.dataDir).toBe("/tmp/panel-data");
  });

  it("says when the file is missing", () => {
    expect(problemsOf(() => loadConfigFrom({ PANEL_CONFIG: path.join(dir, "nope.yaml"), PANEL_ADMIN_PASSWORD_HASH: hash }))).toEqual([
      expect.stringMatching(/^PANEL_CONFIG: file not found/),
    ]);
  });

  it("says when the YAML is broken", () => {
    const p = file("broken.yaml", "kubernetes: [\n");
    expect(problemsOf(() => loadConfigFrom({ PANEL_CONFIG: p, PANEL_ADMIN_PASSWORD_HASH: hash }))[0]).toMatch(/not valid YAML/);
  });

  it("names the field of a bad value", () => {
    const p = file("bad.yaml", "kubernetes:\n  mode: sometimes\n");
    expect(problemsOf(() => loadConfigFrom({ PANEL_CONFIG: p, PANEL_ADMIN_PASSWORD_HASH: hash }))[0]).toMatch(/^kubernetes\.mode: /);
  });

  it("refuses to start when nobody can sign in", () => {
    expect(problemsOf(() => loadConfigFrom({}))[0]).toMatch(/^auth: nobody can sign in/);
  });

  it("refuses a plain password where a hash is expected", () => {
    expect(problemsOf(() => loadConfigFrom({ PANEL_ADMIN_PASSWORD_HASH: "hunter2" }))[0]).toMatch(
      /^auth\.localUsers\[0\]\.passwordHashEnv: .*plain passwords are refused/,
    );
  });

  it("requires the kubeconfig in kubeconfig mode", () => {
    const p = file("kube.yaml", "kubernetes:\n  mode: kubeconfig\n");
    expect(problemsOf(() => loadConfigFrom({ PANEL_CONFIG: p, PANEL_ADMIN_PASSWORD_HASH: hash }))[0]).toMatch(/^kubernetes\.kubeconfig: required/);
  });

  it("requires the metrics token variable it names", () => {
    const p = file("metrics.yaml", "metrics:\n  bearerTokenEnv: PANEL_METRICS_TOKEN\n");
    expect(problemsOf(() => loadConfigFrom({ PANEL_CONFIG: p, PANEL_ADMIN_PASSWORD_HASH: hash }))[0]).toMatch(
      /^metrics\.bearerTokenEnv: environment variable PANEL_METRICS_TOKEN is not set/,
    );
  });
});
