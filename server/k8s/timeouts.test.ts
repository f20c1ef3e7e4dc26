import http from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listArgoApplications } from "./argo";
import { kubeGet } from "./rest";
import { SecretReader } from "./secrets";
import { createWorkloadEnvReader } from "./workloads";

/** An API server that accepts every request and never answers; it counts requests still open. */
let server: http.Server;
let open = 0;
let received = 0;
let kc: KubeConfig;

beforeAll(async () => {
  server = http.createServer((req) => {
    received++;
    open++;
    req.socket.on("close", () => open--);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "hung", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "hung", user: "u" }],
    currentContext: "c",
  });
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe("Kubernetes calls against a hung API server", () => {
  it("time out and close their request instead of leaving it open", async () => {
    const started = Date.now();
    await expect(new SecretReader(kc, { timeoutMs: 300 }).readSecretValue("media", "starr-secrets", "K")).rejects.toMatchObject({ code: "timeout" });
    await expect(listArgoApplications(kc, "argocd", 300)).rejects.toMatchObject({ code: "timeout" });
    await expect(createWorkloadEnvReader(kc, { timeoutMs: 300 })({ kind: "Deployment", namespace: "media", name: "sonarr" })).rejects.toMatchObject({ code: "timeout" });
    await expect(kubeGet(kc, "/version", z.object({}), { timeoutMs: 300 })).rejects.toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toBe(4);
    await until(() => open === 0);
    expect(open, "every request was aborted").toBe(0);
  });

  it("an aborted signal closes the request too", async () => {
    const before = received;
    const controller = new AbortController();
    const pending = kubeGet(kc, "/version", z.object({}), { timeoutMs: 10_000, signal: controller.signal });
    await until(() => received > before);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ source: "kubernetes" });
    await until(() => open === 0);
    expect(open).toBe(0);
  });
});

describe("the tree", () => {
  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  }

  it("creates no typed client-node API: every request goes through server/k8s/rest.ts, whose timeouts abort it", () => {
    const root = path.resolve(__dirname, "..", "..");
    const files = ["server", "app", "lib"].flatMap((d) => walk(path.join(root, d))).filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f));
    const offenders = files.filter((f) => readFileSync(f, "utf8").includes(".makeApiClient("));
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });
});
