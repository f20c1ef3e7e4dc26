import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabJson } from "@/lab/lab";
import { binaryPath, EXAMPLE_GITOPS_REPO, REPO_ROOT } from "@/lab/paths";
import { isAppKind, isKnownAppKind } from "@/lib/apps/catalogue";
import type { DiscoveredService } from "@/lib/services";
import { verdictOf } from "@/lib/verdict";
import { createLabSource, type LabSource } from "@/scripts/lab-source";
import { resolveApp } from "@/server/apps/resolve";
import { linkCatalogue } from "@/server/integrations/catalogue";
import { applyIntegrations, clearTestFailures, readLinks } from "@/server/integrations/engine";

/**
 * A lab of its own (own LAB_DIR and ports, without Gitea and without the lab's extra apps) seeded
 * from examples/media-stack, the repository a bare clone seeds from, and read by the panel's own
 * discovery, app modules and integrations engine. What is expected comes from the example's
 * manifests: every workload its Applications render (and the one applied by hand) is discovered
 * as the app its `app.kubernetes.io/name` label names, with its replicas ready, its Ingress URLs,
 * the URL base its Ingress path gives and the Application that manages it; every app the panel
 * talks to answers its health check with the credential found in the cluster; and every link
 * between the example's apps can be read and then fixed.
 */

type Obj = { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };

interface DeclaredWorkload {
  namespace: string;
  name: string;
  kind: string;
  replicas: number;
  /** The app kind its pod template's `app.kubernetes.io/name` label names. */
  appKind: string;
  /** The Application that renders it; undefined for a manifest applied by hand. */
  application?: string;
  /** `https://host/path` of the Ingress rules that route to its Service, and whether they rewrite the path. */
  routes: { url: string; path: string; rewrites: boolean }[];
}

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === "object" && typeof o.kind === "string");
}

/** The example's workloads, rendered as Argo CD would (kustomize per Application) plus the loose manifests next to a kustomization. */
function declaredWorkloads(): DeclaredWorkload[] {
  const kustomize = binaryPath("kustomize");
  const apps = readdirSync(path.join(EXAMPLE_GITOPS_REPO, "argocd"))
    .flatMap((f) => docs(readFileSync(path.join(EXAMPLE_GITOPS_REPO, "argocd", f), "utf8")))
    .filter((o) => o.kind === "Application");
  const objects: Array<{ obj: Obj; application?: string; namespace: string }> = [];
  for (const app of apps) {
    const source = app.spec?.source as { path: string };
    const destination = app.spec?.destination as { namespace: string };
    const dir = path.join(EXAMPLE_GITOPS_REPO, source.path);
    if (!existsSync(dir)) continue;
    const rendered = docs(execFileSync(kustomize, ["build", dir], { encoding: "utf8" }));
    for (const obj of rendered) objects.push({ obj, application: app.metadata?.name, namespace: obj.metadata?.namespace ?? destination.namespace });
    // Manifests lying next to the kustomization without being listed in it.
    const kustomization = (parseAllDocuments(readFileSync(path.join(dir, "kustomization.yaml"), "utf8"))[0]?.toJS() ?? {}) as { resources?: string[] };
    const listed = new Set(kustomization.resources ?? []);
    for (const f of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml" && !listed.has(f))) {
      for (const obj of docs(readFileSync(path.join(dir, f), "utf8"))) objects.push({ obj, namespace: obj.metadata?.namespace ?? destination.namespace });
    }
  }
  const ingresses = objects.filter((o) => o.obj.kind === "Ingress");
  const services = objects.filter((o) => o.obj.kind === "Service");
  const out: DeclaredWorkload[] = [];
  for (const { obj, application, namespace } of objects) {
    if (!["Deployment", "StatefulSet", "DaemonSet"].includes(obj.kind ?? "")) continue;
    const template = obj.spec?.template as { metadata?: { labels?: Record<string, string> } };
    const labels = template.metadata?.labels ?? {};
    const svc = services.find((s) => s.namespace === namespace && Object.entries((s.obj.spec?.selector ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v));
    const routes: DeclaredWorkload["routes"] = [];
    for (const ing of ingresses.filter((i) => i.namespace === namespace)) {
      const rewrites = Boolean(ing.obj.metadata?.annotations?.["nginx.ingress.kubernetes.io/rewrite-target"]);
      for (const rule of (ing.obj.spec?.rules ?? []) as Array<{ host: string; http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }>) {
        for (const p of rule.http.paths) if (p.backend.service.name === svc?.obj.metadata?.name) routes.push({ url: `https://${rule.host}`, path: p.path, rewrites });
      }
    }
    out.push({
      namespace,
      name: obj.metadata?.name ?? "",
      kind: obj.kind ?? "",
      replicas: typeof obj.spec?.replicas === "number" ? obj.spec.replicas : 1,
      appKind: labels["app.kubernetes.io/name"] ?? "",
      ...(application ? { application } : {}),
      routes,
    });
  }
  return out;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(REPO_ROOT, "lab/cli.ts"), ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => resolve({ code: code ?? 1, out }));
  });
}

describe("a lab seeded from examples/media-stack, read by the panel", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lab-example-stack-"));
  const labDir = path.join(tmp, "lab");
  // Its own state directory (so its own ports), the example as the repository, no extra apps, no Gitea.
  const env = { LAB_DIR: labDir, LAB_GITOPS_REPO: EXAMPLE_GITOPS_REPO, LAB_EXTRA_MANIFESTS: "", LAB_GITEA: "0" };
  const declared = declaredWorkloads();
  let lab: LabJson;
  let ls: LabSource;
  let services: DiscoveredService[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    const up = await runCli(["up", "--no-gitea"], env);
    expect(up.code, up.out.split("\n").slice(-40).join("\n")).toBe(0);
    console.log(`[example-stack] lab up in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${declared.length} workloads declared: ${declared.map((w) => `${w.namespace}/${w.name}`).join(", ")}`);
    lab = JSON.parse(readFileSync(path.join(labDir, "lab.json"), "utf8")) as LabJson;
    ls = await createLabSource(lab);
    services = await ls.source.listServices();
  }, 600_000);

  afterAll(async () => {
    ls?.close();
    await runCli(["down", "--purge"], env);
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it("names a known app kind on every workload and is the lab's repository", () => {
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((w) => !isKnownAppKind(w.appKind)).map((w) => `${w.name}: ${w.appKind}`)).toEqual([]);
    expect(lab.gitopsRepo).toBe(EXAMPLE_GITOPS_REPO);
  });

  it("discovers every declared workload with its app kind, ready replicas, Ingress URLs, URL base and Application", () => {
    const rows = declared.map((w) => {
      const s = services.find((x) => x.id === `${w.namespace}/${w.name}`);
      return {
        id: `${w.namespace}/${w.name}`,
        found: s !== undefined,
        appKind: s?.appKind,
        workloadKind: s?.workloadKind,
        ready: [s?.kube.desired, s?.kube.ready],
        hosts: [...new Set((s?.ingressUrls ?? []).map((u) => new URL(u).origin))].sort(),
        urlBase: s?.urlBase,
        argocdApp: s?.argocdApp?.name,
      };
    });
    const expected = declared.map((w) => {
      // The URL base an Ingress path gives when it does not rewrite it (the root otherwise).
      const routed = w.routes.find((r) => !r.rewrites && r.path !== "/");
      return {
        id: `${w.namespace}/${w.name}`,
        found: true,
        appKind: w.appKind,
        workloadKind: w.kind,
        ready: [w.replicas, w.replicas],
        hosts: [...new Set(w.routes.map((r) => r.url))].sort(),
        urlBase: routed ? routed.path : "",
        argocdApp: w.application,
      };
    });
    expect(rows).toEqual(expected);
  });

  it("reads the health of every app the panel talks to, with the credential it finds in the cluster", async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const w of declared) {
      const service = services.find((x) => x.id === `${w.namespace}/${w.name}`);
      if (!service) {
        problems.push(`${w.namespace}/${w.name}: not discovered`);
        continue;
      }
      const resolution = await resolveApp(service, ls.source.resolveDeps);
      const verdict = verdictOf(service.kube, undefined);
      if (!resolution) {
        // Kubernetes health only (Unpackerr, Prometheus): every replica ready.
        if (verdict.status !== "up") problems.push(`${service.id}: Kubernetes says ${verdict.status}`);
        continue;
      }
      const h = await resolution.module.connect(resolution.target).health();
      checked += 1;
      const line = `${service.id} (${service.appKind}) at ${resolution.target.baseUrl}: ${h.status} ${h.version ?? "-"} ${h.detail ?? ""}`;
      console.log(`[example-stack] ${line}${resolution.credentialSource ? ` [key: ${resolution.credentialSource}]` : ""}`);
      if (resolution.credentialProblem) problems.push(`${line} [credential: ${resolution.credentialProblem}]`);
      // Up, or degraded only because the app itself says so; never a failure to read it.
      if (!(h.status === "up" || h.status === "degraded") || !h.version || h.errorCode) problems.push(line);
      if (h.status === "degraded" && h.checks.some((c) => c.origin === "probe")) problems.push(`${line} [the panel could not read part of it]`);
      const overall = verdictOf(service.kube, h);
      if (overall.status === "down" || overall.status === "unknown") problems.push(`${line} [verdict ${overall.status}]`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(9);
  });

  it("reads every link between the example's apps, fixes them all, and finds nothing left to do", async () => {
    clearTestFailures();
    const kinds = new Set(declared.map((w) => w.appKind));
    const { links, notices } = await readLinks({ source: ls.source });
    expect(notices).toEqual([]);
    // Every link joins two of the example's apps and could be read.
    expect(links.filter((l) => !kinds.has(l.from) || (l.toService !== undefined && !kinds.has(l.to))).map((l) => l.key)).toEqual([]);
    expect(links.filter((l) => l.state === "unknown").map((l) => `${l.key}: ${l.message}`)).toEqual([]);
    // Every link of the catalogue whose two apps the example deploys is there.
    const wanted = linkCatalogue({ changesHref: () => undefined }).filter((d) => kinds.has(d.from) && (kinds.has(d.to) || !isAppKind(d.to)));
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.filter((d) => !links.some((l) => l.id === d.id)).map((d) => d.id)).toEqual([]);
    const report = await applyIntegrations({}, { source: ls.source });
    expect(report.results.filter((r) => r.outcome === "failed").map((r) => `${r.key}: ${r.message ?? ""}`)).toEqual([]);
    const after = await readLinks({ source: ls.source });
    expect(after.links.filter((l) => l.kind !== "gitops" && l.state !== "ok").map((l) => `${l.key}: ${l.state} ${l.message ?? ""}`)).toEqual([]);
    expect(after.links.filter((l) => l.kind === "gitops").map((l) => l.state)).toEqual(after.links.filter((l) => l.kind === "gitops").map(() => "needs_git"));
    const again = await applyIntegrations({}, { source: ls.source });
    expect([again.changed, again.failed]).toEqual([0, 0]);
    console.log(`[example-stack] ${links.length} links; fix everything changed ${report.changed} in ${report.durationMs} ms`);
  });
});
