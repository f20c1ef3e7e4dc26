import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parsePanelConfig } from "@/lib/config-schema";

const ROOT = path.resolve(import.meta.dirname, "..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "demo-config-"));

/** Runs `scripts/demo-config.ts` on a lab.json and returns the config and the environment file it wrote. */
function demoConfig(lab: Record<string, unknown>, name: string): { raw: Record<string, unknown>; env: string; envMode: number } {
  const dir = path.join(tmp, name);
  execFileSync("mkdir", ["-p", dir]);
  const labJson = path.join(dir, "lab.json");
  writeFileSync(labJson, JSON.stringify(lab));
  const out = path.join(dir, "config.yaml");
  execFileSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "demo-config.ts"), labJson, out], {
    cwd: ROOT,
    env: { ...process.env, DEMO_URL: "https://demo.panel.test" },
    encoding: "utf8",
  });
  return { raw: parse(readFileSync(out, "utf8")) as Record<string, unknown>, env: readFileSync(`${out}.env`, "utf8"), envMode: statSync(`${out}.env`).mode & 0o777 };
}

/** Made for this run: never a token-shaped literal in the tree. */
const NTFY_TOKEN = `tk_${randomBytes(16).toString("hex")}`;

// Each case runs the script through tsx (about 20 s on a loaded 2-core machine).
describe("the demo's panel config from lab.json", { timeout: 90_000 }, () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("reads the lab's real Prometheus and Alertmanager and sends the detector's messages to the lab's ntfy (token through the environment file)", () => {
    const { raw, env, envMode } = demoConfig(
      {
        kubeconfig: "/lab/admin.kubeconfig",
        addressMap: {},
        secrets: {},
        apps: {
          prometheus: { url: "http://127.0.0.1:41001", pid: 1 },
          alertmanager: { url: "http://127.0.0.1:41002", pid: 2 },
          ntfy: { url: "http://127.0.0.1:41003", controlUrl: "http://127.0.0.1:41004", topic: "lab-alerts", token: NTFY_TOKEN },
        },
      },
      "full",
    );
    const parsed = parsePanelConfig(raw);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { config } = parsed;
    expect(config.alerts.prometheus?.url).toBe("http://127.0.0.1:41001");
    expect(config.alerts.alertmanager?.url).toBe("http://127.0.0.1:41002");
    expect(config.server.publicUrl).toBe("https://demo.panel.test");
    expect(config.notifications.targets).toEqual([expect.objectContaining({ type: "ntfy", name: "lab-ntfy", url: "http://127.0.0.1:41003", topic: "lab-alerts", tokenEnv: "DEMO_NTFY_TOKEN" })]);
    // The token is in the private environment file, never in the config.
    expect(JSON.stringify(raw)).not.toContain(NTFY_TOKEN);
    expect(env).toContain(`export DEMO_NTFY_TOKEN='${NTFY_TOKEN}'`);
    expect(envMode).toBe(0o600);
  });

  it("without them in lab.json, no alerts sources and no notification target", () => {
    const { raw } = demoConfig({ kubeconfig: "/lab/admin.kubeconfig", namespaces: ["argocd", "media", "monitoring", "qbittorrent"], addressMap: {}, secrets: {}, apps: {} }, "bare");
    // A repository without a homepage namespace (the example stack): the panel does not watch it.
    expect((raw.kubernetes as { namespaces?: string[] }).namespaces).toEqual(["media", "qbittorrent", "monitoring", "argocd"]);
    expect(raw.alerts).toBeUndefined();
    expect(raw.notifications).toBeUndefined();
    const parsed = parsePanelConfig(raw);
    expect(parsed.ok && parsed.config.alerts.prometheus).toBeUndefined();
  });
});
