/**
 * The panel never creates, replaces, patches or deletes configuration in the cluster: configuration
 * changes go through Git (pull requests) and Argo CD. Its only cluster writes are Jobs (backups,
 * restores) and the status of cert-manager Certificates ("Renew now", as cmctl renew does), plus the
 * two of `kubeWrite` in server/k8s/rest.ts: create a Job derived from a backup CronJob, and delete the
 * pod of a service being restored. This test scans the server code for every write method of @kubernetes/client-node's
 * typed APIs, for the generic object API, for raw write requests to the API server and for kubectl,
 * and checks that the RBAC the panel is deployed with grants no such verbs. Tools that seed the lab
 * for benchmarks live in scripts/, which no panel code imports (test/guards.test.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..", "..");

/** Cluster writes that are allowed, and why. */
const ALLOWED_WRITES: Record<string, string> = {
  createNamespacedJob: "backups and restores run as Jobs in the cluster",
};

/**
 * The one raw write request allowed, and why: server-side apply of a status subresource in
 * server/k8s/rest.ts (kubeApplyStatus), which only server/k8s/certificates.ts calls, for the
 * Issuing condition of a cert-manager Certificate ("Renew now", CLUSTER_WRITES in server/k8s/kinds.ts).
 */
const ALLOWED_RAW_WRITE = { file: "server/k8s/rest.ts", caller: "server/k8s/certificates.ts", fn: "kubeApplyStatus" };

/** The backups' writes, all in `kubeWrite` of server/k8s/rest.ts (deploy/backups.yaml grants them, its admission policies narrow them). */
const ALLOWED_RAW_WRITES = ["POST /apis/batch/v1/namespaces/${ns}/jobs", "DELETE /api/v1/namespaces/${ns}/pods/${encodeURIComponent(write.name)}"];


/** Every create/replace/patch/delete method of the typed client-node APIs (CoreV1Api, AppsV1Api, CustomObjectsApi...). */
function clientNodeWriteMethods(): Set<string> {
  const names = new Set<string>();
  for (const [exported, value] of Object.entries(k8s)) {
    if (!/Api$/.test(exported) || typeof value !== "function") continue;
    let proto: unknown = (value as { prototype?: unknown }).prototype;
    while (proto && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (/^(create|replace|patch|delete)[A-Z]/.test(name)) names.add(name);
      }
      proto = Object.getPrototypeOf(proto);
    }
  }
  return names;
}

const WRITE_METHODS = clientNodeWriteMethods();

interface Finding {
  file: string;
  line: number;
  what: string;
}

/** Cluster writes in one source text. */
export function findClusterWrites(file: string, text: string): Finding[] {
  const out: Finding[] = [];
  const lines = text.split("\n");
  const talksToKube = /@kubernetes\/client-node|applyToHTTPSOptions|applyToFetchOptions/.test(text);
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\.((?:create|replace|patch|delete)[A-Z]\w*)\s*\(/g)) {
      const name = m[1] as string;
      if (WRITE_METHODS.has(name) && !ALLOWED_WRITES[name]) out.push({ file, line: i + 1, what: `client-node ${name}()` });
    }
    if (/\bKubernetesObjectApi\b/.test(line)) out.push({ file, line: i + 1, what: "KubernetesObjectApi (generic create/patch/delete of any object)" });
    if (/["'`]kubectl["'`\s]/.test(line) && /spawn|exec|execFile/.test(text)) out.push({ file, line: i + 1, what: "running kubectl" });
    if (talksToKube && /\bmethod:[^\n]*["'](POST|PUT|PATCH|DELETE)["']/.test(line) && file !== ALLOWED_RAW_WRITE.file) out.push({ file, line: i + 1, what: "a write request to the Kubernetes API" });
    if (new RegExp(`\\b${ALLOWED_RAW_WRITE.fn}\\(`).test(line) && file !== ALLOWED_RAW_WRITE.file && file !== ALLOWED_RAW_WRITE.caller) {
      out.push({ file, line: i + 1, what: `${ALLOWED_RAW_WRITE.fn}() outside ${ALLOWED_RAW_WRITE.caller}` });
    }
  });
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

describe("the panel never writes configuration to the cluster", () => {
  it("knows client-node's write methods", () => {
    expect(WRITE_METHODS.size).toBeGreaterThan(100);
    for (const name of ["patchNamespacedDeployment", "replaceNamespacedConfigMap", "deleteNamespacedSecret", "createNamespacedCustomObject", "patchNamespacedCustomObject"]) {
      expect(WRITE_METHODS.has(name), name).toBe(true);
    }
  });

  it("the scanner flags writes and lets reads and Jobs through", () => {
    const bad = [
      'import { AppsV1Api } from "@kubernetes/client-node";',
      "await apps.patchNamespacedDeployment({ name, namespace, body });",
      "await objects.patch(spec); const api = kc.makeApiClient(KubernetesObjectApi);",
      'await request({ method: "DELETE", path });',
      'const options = { method: write ? "PATCH" : "GET" };',
      'execFile("kubectl", ["apply", "-f", file]);',
      "await kubeApplyStatus(kc, path, body, schema, opts);",
    ].join("\n");
    expect(findClusterWrites("x.ts", bad).map((f) => f.what)).toEqual([
      "client-node patchNamespacedDeployment()",
      "KubernetesObjectApi (generic create/patch/delete of any object)",
      "a write request to the Kubernetes API",
      "a write request to the Kubernetes API",
      "running kubectl",
      "kubeApplyStatus() outside server/k8s/certificates.ts",
    ]);
    const good = 'import { BatchV1Api } from "@kubernetes/client-node";\nawait batch.createNamespacedJob({ namespace, body });\nawait core.listNamespacedPod({ namespace });\nconst h = createHash("sha256");';
    expect(findClusterWrites("y.ts", good)).toEqual([]);
  });

  it("the one raw write writes a status subresource, and is used only to renew Certificates", () => {
    const rest = readFileSync(path.join(root, ALLOWED_RAW_WRITE.file), "utf8");
    // PATCH: kubeApplyStatus; POST and DELETE: kubeWrite (the backups' writes, checked below).
    expect(rest.match(/["'](POST|PUT|PATCH|DELETE)["']/g)).toEqual(['"PATCH"', '"POST"', '"DELETE"']);
    expect(rest).toMatch(/if \(!path\.endsWith\("\/status"\)\) throw/);
    const caller = readFileSync(path.join(root, ALLOWED_RAW_WRITE.caller), "utf8");
    expect(caller).toContain("/apis/cert-manager.io/v1/namespaces/${encodeURIComponent(namespace)}/certificates/${encodeURIComponent(name)}/status");
    expect(caller.match(/kubeApplyStatus\(/g)).toHaveLength(1);
  });

  it("no server, app or lib code writes to the cluster", () => {
    const files = ["server", "app", "lib"]
      .flatMap((d) => walk(path.join(root, d)))
      .filter((f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$|\.test-helper\.ts$/.test(f));
    expect(files.length).toBeGreaterThan(20);
    const findings = files.flatMap((f) => findClusterWrites(path.relative(root, f), readFileSync(f, "utf8")));
    expect(findings).toEqual([]);
  });

  it("kubeWrite knows exactly two writes: create a Job, delete a pod (by UID)", () => {
    const text = readFileSync(path.join(root, ALLOWED_RAW_WRITE.file), "utf8");
    const union = /export type KubeWrite =([\s\S]*?);\n/.exec(text)?.[1] ?? "";
    expect([...union.matchAll(/kind: "([a-z-]+)"/g)].map((m) => m[1])).toEqual(["create-job", "delete-pod"]);
    const body = text.slice(text.indexOf("export async function kubeWrite("));
    const writes = [...body.slice(0, body.indexOf("\n}\n")).matchAll(/path: `([^`]+)`,\s*method: "([A-Z]+)"/g)].map((m) => `${m[2]} ${m[1]}`);
    expect(writes).toEqual(ALLOWED_RAW_WRITES);
    expect(body.slice(0, body.indexOf("\n}\n"))).toMatch(/preconditions: \{ uid: write\.uid \}/);
  });

  it("the hand-run tools that write to the lab (scripts/bench-scale.ts) live outside the panel's code", () => {
    // No panel code imports scripts/, e2e/ or lab/ (test/guards.test.ts checks every import).
    expect(findClusterWrites("scripts/bench-scale.ts", readFileSync(path.join(root, "scripts", "bench-scale.ts"), "utf8")).length).toBeGreaterThan(0);
  });

  it("the RBAC the panel is deployed with grants no write verb except creating Jobs, deleting pods (backups) and patching Certificates' status", () => {
    const docs = ["rbac.yaml", "backups.yaml"].flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(root, "deploy", f), "utf8")).map((d) => d.toJS() as { kind?: string; rules?: Array<{ apiGroups?: string[]; resources?: string[]; verbs?: string[] }> }),
    );
    const writes: string[] = [];
    for (const doc of docs) {
      if (doc?.kind !== "Role" && doc?.kind !== "ClusterRole") continue;
      for (const rule of doc.rules ?? []) {
        for (const verb of rule.verbs ?? []) {
          if (!["create", "update", "patch", "delete", "deletecollection", "*", "escalate", "bind", "impersonate"].includes(verb)) continue;
          for (const resource of rule.resources ?? []) {
            const id = `${(rule.apiGroups ?? [""]).join(",")}/${resource}:${verb}`;
            if (id !== "batch/jobs:create" && id !== "/pods:delete" && id !== "cert-manager.io/certificates/status:patch") writes.push(id);
          }
        }
      }
    }
    expect(writes).toEqual([]);
  });
});
