import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useLabCluster } from "@/lab/cluster/test-cluster";

/**
 * The process-wide entry points as the panel uses them (`server/k8s/index.ts`): configuration from
 * PANEL_CONFIG, informers started lazily by the first call, one set per process (on globalThis),
 * metrics on the registry.
 */
const lab = useLabCluster();
let dir = "";

describe("process-wide discovery from the panel's configuration", () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "panel-k8s-"));
    const config = path.join(dir, "panel.yaml");
    writeFileSync(
      config,
      [
        "kubernetes:",
        "  mode: kubeconfig",
        `  kubeconfig: ${lab().kubeconfig}`,
        `  namespaces: [${lab().namespaces.join(", ")}]`,
        "  watchScope: cluster",
        "discovery:",
        "  kindOverrides:",
        "    media/flaresolverr: other",
        "  syncTimeoutMs: 15000",
        "",
      ].join("\n"),
    );
    process.env.PANEL_CONFIG = config;
    process.env.PANEL_DATA_DIR = dir;
    process.env.PANEL_ADMIN_PASSWORD_HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA==";
  });

  afterAll(async () => {
    const { stopInformers } = await import("./index");
    stopInformers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("listServices starts the informers on first use, waits for the sync, and applies the config's overrides", async () => {
    const { listServices, getService, getKubeState, onServicesChanged, getInformers, onChange } = await import("./index");
    const services = await listServices();
    expect(services.length).toBeGreaterThanOrEqual(15);
    expect(getInformers()).toBe(getInformers());
    expect(getInformers().running).toBe(true);
    expect((await getService("media/flaresolverr"))?.appKind).toBe("other");
    expect((await getService("media/flaresolverr"))?.kindSource).toBe("config");
    expect((await getService("media/sonarr"))?.kindSource).toBe("image");
    const state = getKubeState();
    expect(state.connected).toBe(true);
    expect(state.message).toContain("watching 22 kinds in namespaces argocd, cert-manager");
    const off1 = onChange(() => undefined);
    const off2 = onServicesChanged(() => undefined);
    expect(typeof off1).toBe("function");
    off1();
    off2();
  });

  it("exports the caches' state on the panel's metrics registry", async () => {
    const { getRegistry } = await import("@/server/observability/metrics");
    const text = await getRegistry().metrics();
    expect(text).toMatch(/^panel_kube_connected 1$/m);
    expect(text).toMatch(/^panel_kube_cache_synced\{kind="pods"\} 1$/m);
    const pods = Number(/^panel_kube_cache_objects\{kind="pods"\} (\d+)$/m.exec(text)?.[1]);
    expect(pods).toBeGreaterThanOrEqual(15);
  });
});
