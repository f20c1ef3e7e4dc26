import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAB_TEST_LABEL } from "@/lab/controls";
import { tokenKubeConfig, useLabCluster } from "@/lab/cluster/test-cluster";
import { AppError } from "@/lib/errors";
import { SecretReader } from "./secrets";

const lab = useLabCluster();
const NS = "panel-k8s-secrets";
const labels = { [LAB_TEST_LABEL]: "true" };

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: "none", message: "" };
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).code, message: (error as AppError).message };
  }
}

describe("readSecretValue against the lab", () => {
  beforeAll(async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.deleteNamespace({ name: NS }).catch(() => undefined);
    for (let i = 0; i < 600 && (await core.readNamespace({ name: NS }).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 100));
    await core.createNamespace({ body: { metadata: { name: NS, labels } } });
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: "no-secrets", labels } } });
  });

  afterAll(async () => {
    await lab().kc.makeApiClient(CoreV1Api).deleteNamespace({ name: NS }).catch(() => undefined);
  });

  it("reads a key of the apps' Secret by name, and caches it for 60 s", async () => {
    let now = 1_000_000;
    const reader = new SecretReader(lab().kc, { now: () => now });
    const want = lab().secrets["media/starr-secrets"]?.SONARR_API_KEY;
    expect(want).toMatch(/^[0-9a-f]{32}$/);
    expect(await reader.readSecretValue("media", "starr-secrets", "SONARR_API_KEY")).toBe(want);
    expect(await reader.readSecretValue("media", "starr-secrets", "NO_SUCH_KEY")).toBeUndefined();

    // Change the Secret: the cached value holds for 60 s, then the new one is read.
    const core = lab().kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "keys", labels }, stringData: { K: "one" } } });
    expect(await reader.readSecretValue(NS, "keys", "K")).toBe("one");
    await core.replaceNamespacedSecret({ namespace: NS, name: "keys", body: { metadata: { name: "keys", labels }, stringData: { K: "two" } } });
    now += 59_000;
    expect(await reader.readSecretValue(NS, "keys", "K")).toBe("one");
    now += 2_000;
    expect(await reader.readSecretValue(NS, "keys", "K")).toBe("two");
  });

  it("a missing Secret is not_found", async () => {
    const r = await codeOf(new SecretReader(lab().kc).readSecretValue(NS, "does-not-exist", "K"));
    expect(r).toEqual({ code: "not_found", message: `Secret ${NS}/does-not-exist does not exist.` });
  });

  it("an RBAC refusal is forbidden, with what to grant", async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({ namespace: NS, name: "no-secrets", body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const reader = new SecretReader(tokenKubeConfig(lab(), tr.status?.token ?? ""));
    const r = await codeOf(reader.readSecretValue("media", "starr-secrets", "SONARR_API_KEY"));
    expect(r.code).toBe("forbidden");
    expect(r.message).toContain(`grant "get" on secrets with resourceNames [starr-secrets] in namespace media`);
    expect(r.message).not.toContain(lab().secrets["media/starr-secrets"]?.SONARR_API_KEY ?? "never");
  });

  it("an API server that does not answer is unreachable; no cluster configured is unreachable too", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "https://127.0.0.1:1", caFile: lab().caFile, skipTLSVerify: false }],
      users: [{ name: "u", token: "x" }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    const r = await codeOf(new SecretReader(kc, { timeoutMs: 3000 }).readSecretValue("media", "starr-secrets", "K"));
    expect(r.code).toBe("unreachable");
    expect(r.message).toMatch(/^Cannot read Secret media\/starr-secrets: /);
    expect((await codeOf(new SecretReader(null).readSecretValue("media", "x", "K"))).code).toBe("unreachable");
  });
});
