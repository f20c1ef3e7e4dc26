import http from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listArgoApplications } from "@/server/git/argo";
import { createWorkloadEnvReader } from "@/server/apps/resolve";
import { SecretReader } from "./secrets";

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
    const env = await createWorkloadEnvReader(kc, Date.now, 300)({ workloadKind: "Deployment", id: "media/sonarr", namespace: "media", name: "sonarr" } as never);
    expect(env).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toBe(3);
    await until(() => open === 0);
    expect(open, "every request was aborted").toBe(0);
  });
});

describe("the tree", () => {
  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  }

  it("passes abortable call options to every typed Kubernetes API it creates", () => {
    const root = path.resolve(__dirname, "..", "..");
    const files = ["server", "app", "lib"].flatMap((d) => walk(path.join(root, d))).filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !/bench-/.test(f));
    const offenders = files.filter((f) => {
      const text = readFileSync(f, "utf8");
      return text.includes(".makeApiClient(") && !text.includes("kubeCallOptions(");
    });
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });
});
