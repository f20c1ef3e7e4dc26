import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { APP_CATALOGUE } from "@/lib/apps/catalogue";
import { planChange } from "../change-kinds";
import { unifiedDiff } from "../diff";
import { fixtureRepo } from "../fixture-repo.test-helper";
import { memoryRepo, type RepoView } from "../repo-view";
import type { ChangePlan } from "../types";
import { findWorkloads } from "../workloads";
import { FALLBACK_RESOURCES, resourceGaps } from "./resources";

const repo = fixtureRepo();
const ctx = (view: RepoView = repo, usage?: Record<string, { cpu?: number; memory?: number }>) => ({
  repo: view,
  appsPath: "apps",
  secretRefs: { default: { namespace: "media", name: "starr-secrets" } },
  ...(usage ? { usage } : {}),
});

function added(plan: ChangePlan): string[] {
  return plan.files.flatMap((f) => unifiedDiff(f).split("\n")).filter((l) => l.startsWith("+") && !l.startsWith("+++"));
}
function removed(plan: ChangePlan): string[] {
  return plan.files.flatMap((f) => unifiedDiff(f).split("\n")).filter((l) => l.startsWith("-") && !l.startsWith("---"));
}

/** The containers of the first document of a planned file. */
function containersAfter(plan: ChangePlan): Array<{ name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> {
  const doc = parseAllDocuments(plan.files[0]?.after ?? "")[0]?.toJS() as { spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  return doc.spec.template.spec.containers;
}

const ONE = (resources: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: sonarr
  namespace: media
spec:
  template:
    spec:
      containers:
      - name: sonarr
        image: lscr.io/linuxserver/sonarr:4
${resources}        ports:
        - containerPort: 8989
`;

describe("resources: which workloads of the fixture lack requests or limits", () => {
  it("qbittorrent (both containers) and homepage; the *arr apps set theirs", () => {
    const gaps = findWorkloads(repo, "apps").filter((w) => resourceGaps(w).length > 0).map((w) => `${w.namespace}/${w.name}`);
    expect(gaps).toEqual(expect.arrayContaining(["qbittorrent/qbittorrent"]));
    expect(gaps).not.toContain("media/sonarr");
  });
});

describe("resources: the manifest edit", () => {
  it("qbittorrent: the catalogue's figures for the Gluetun sidecar and for qBittorrent; only resource lines are added, comments kept", () => {
    const plan = planChange({ kind: "resources", target: "qbittorrent/qbittorrent" }, ctx());
    expect(plan).toMatchObject({ kind: "resources", key: "resources:qbittorrent/qbittorrent", title: "qbittorrent: set resource requests and limits", labels: ["k8s-nas-panel", "resources"] });
    expect(plan.files.map((f) => f.path)).toEqual(["apps/media-services/qbittorrent/deployment.yaml"]);
    expect(removed(plan)).toEqual([]);
    expect(added(plan).every((l) => /^\+ {8,}(resources:|requests:|limits:|cpu: |memory: )/.test(l))).toBe(true);
    const containers = containersAfter(plan);
    const gluetun = APP_CATALOGUE.gluetun.resources;
    const qbit = APP_CATALOGUE.qbittorrent.resources;
    expect(containers.find((c) => c.name === "vpn")?.resources).toEqual({ requests: gluetun.requests, limits: gluetun.limits });
    expect(containers.find((c) => c.name === "qbittorrent")?.resources).toEqual({ requests: qbit.requests, limits: qbit.limits });
    expect(plan.summary).toEqual([
      `vpn: requests cpu ${gluetun.requests.cpu}, memory ${gluetun.requests.memory}; memory limit ${gluetun.limits.memory}`,
      `qbittorrent: requests cpu ${qbit.requests.cpu}, memory ${qbit.requests.memory}; memory limit ${qbit.limits.memory}`,
    ]);
    expect(plan.notes).toEqual(expect.arrayContaining(["vpn: typical figures for Gluetun.", "qbittorrent: typical figures for qBittorrent."]));
    expect(plan.notes.join(" ")).toContain("No CPU limit");
    // The rest of the file is untouched (the init container's script, the PVCs).
    expect(plan.files[0]?.after).toContain("echo \"VueTorrent installed successfully\"");
  });

  it("writes after `image:`, so its pull request and the one adding probes to the same containers both merge", () => {
    const resources = planChange({ kind: "resources", target: "qbittorrent/qbittorrent" }, ctx()).files[0]!;
    const probes = planChange({ kind: "health-probes", target: "qbittorrent/qbittorrent" }, ctx()).files[0]!;
    expect(probes.path).toBe(resources.path);
    const dir = mkdtempSync(path.join(tmpdir(), "resources-merge-"));
    writeFileSync(path.join(dir, "base"), resources.before ?? "");
    writeFileSync(path.join(dir, "resources"), resources.after ?? "");
    writeFileSync(path.join(dir, "probes"), probes.after ?? "");
    // git merge-file exits with the number of conflicts (an exception here).
    const merged = execFileSync("git", ["merge-file", "-p", "resources", "base", "probes"], { cwd: dir, encoding: "utf8" });
    const qbit = (parseAllDocuments(merged)[0]?.toJS() as { spec: { template: { spec: { containers: Array<{ name: string; resources?: unknown; readinessProbe?: unknown }> } } } }).spec.template.spec.containers.find((c) => c.name === "qbittorrent");
    expect(qbit?.resources).toBeDefined();
    expect(qbit?.readinessProbe).toBeDefined();
    expect(resources.after).toMatch(/image: ghcr\.io\/linuxserver\/qbittorrent:latest\n {8}resources:\n {10}requests:/);
  });

  it("a second plan on the result is already so (the readiness cell would pass)", () => {
    const plan = planChange({ kind: "resources", target: "qbittorrent/qbittorrent" }, ctx());
    const file = plan.files[0]!;
    const after = memoryRepo({ ...Object.fromEntries([...repo.paths].map((p) => [p, repo.read(p) ?? ""])), [file.path]: file.after ?? "" });
    const again = planChange({ kind: "resources", target: "qbittorrent/qbittorrent" }, ctx(after));
    expect(again.files).toEqual([]);
    expect(again.alreadySo).toBe("qbittorrent/qbittorrent already sets requests and limits on every container (vpn, qbittorrent).");
  });

  it("a workload that sets them is already so", () => {
    const plan = planChange({ kind: "resources", target: "media/sonarr" }, ctx());
    expect(plan.files).toEqual([]);
    expect(plan.alreadySo).toMatch(/^media\/sonarr already sets requests and limits/);
  });

  it("requests written but no limits: only the limits are added, under the existing resources", () => {
    const text = ONE('        resources:\n          requests:\n            cpu: 10m\n');
    const plan = planChange({ kind: "resources", target: "media/sonarr" }, ctx(memoryRepo({ "apps/sonarr.yaml": text })));
    expect(removed(plan)).toEqual([]);
    expect(added(plan)).toEqual(["+          limits:", `+            memory: ${APP_CATALOGUE.sonarr.resources.limits.memory}`]);
    expect(plan.summary).toEqual([`sonarr: memory limit ${APP_CATALOGUE.sonarr.resources.limits.memory}`]);
  });

  it("an empty `resources:` key is filled in place", () => {
    const text = ONE("        resources:\n");
    const plan = planChange({ kind: "resources", target: "media/sonarr" }, ctx(memoryRepo({ "apps/sonarr.yaml": text })));
    const doc = parse(plan.files[0]?.after ?? "") as { spec: { template: { spec: { containers: Array<{ resources: unknown; ports: unknown }> } } } };
    expect(doc.spec.template.spec.containers[0]).toMatchObject({ resources: { requests: APP_CATALOGUE.sonarr.resources.requests, limits: APP_CATALOGUE.sonarr.resources.limits }, ports: [{ containerPort: 8989 }] });
  });

  it("measured usage above the typical figures raises them; an unknown image gets the small default, said so", () => {
    const text = ONE("").replace("lscr.io/linuxserver/sonarr:4", "example.org/someone/thing:1");
    const view = memoryRepo({ "apps/sonarr.yaml": text });
    const plain = planChange({ kind: "resources", target: "media/sonarr" }, ctx(view));
    expect(containersAfter(plain)[0]?.resources).toEqual({ requests: FALLBACK_RESOURCES.requests, limits: FALLBACK_RESOURCES.limits });
    expect(plain.notes[0]).toBe("sonarr: no typical figures are known for example.org/someone/thing:1: a small default.");

    const measured = planChange({ kind: "resources", target: "media/sonarr" }, ctx(view, { sonarr: { cpu: 0.3031, memory: 700 * 2 ** 20 } }));
    expect(containersAfter(measured)[0]?.resources).toEqual({ requests: { cpu: "310m", memory: "704Mi" }, limits: { memory: "1408Mi" } });
    expect(measured.notes[0]).toContain("raised to the measured usage");

    // Usage below the figures changes nothing.
    const low = planChange({ kind: "resources", target: "media/sonarr" }, ctx(view, { sonarr: { cpu: 0.001, memory: 2 ** 20 } }));
    expect(containersAfter(low)[0]?.resources).toEqual({ requests: FALLBACK_RESOURCES.requests, limits: FALLBACK_RESOURCES.limits });
  });

  it("a manifest that names no namespace (the Application's destination gives it) is found under the service's namespace", () => {
    const text = ONE("").replace("  namespace: media\n", "").replace("lscr.io/linuxserver/sonarr:4", "ghcr.io/gethomepage/homepage:latest");
    const view = memoryRepo({ "apps/homepage/deployment.yaml": text, "apps/other/deployment.yaml": ONE("").replace("name: sonarr\n  namespace: media", "name: sonarr\n  namespace: elsewhere") });
    const plan = planChange({ kind: "resources", target: "homepage/sonarr" }, ctx(view));
    expect(plan.files.map((f) => f.path)).toEqual(["apps/homepage/deployment.yaml"]);
    expect(containersAfter(plan)[0]?.resources).toEqual({ requests: APP_CATALOGUE.homepage.resources.requests, limits: APP_CATALOGUE.homepage.resources.limits });
    // One that names its namespace is matched by it.
    expect(planChange({ kind: "resources", target: "elsewhere/sonarr" }, ctx(view)).files.map((f) => f.path)).toEqual(["apps/other/deployment.yaml"]);
  });

  it("an unknown workload is not_found", () => {
    expect(() => planChange({ kind: "resources", target: "media/nothing" }, ctx())).toThrow(/No Deployment, StatefulSet or DaemonSet named media\/nothing/);
  });
});
