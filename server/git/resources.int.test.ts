/**
 * "Set resources" against the lab: the pull request on the lab's forge holds the requests and limits
 * of the catalogue for each container of qBittorrent's pod, and once merged the lab's Argo CD syncs
 * them onto the Deployment, where the readiness cell passes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { AppsV1Api, type V1Deployment } from "@kubernetes/client-node";
import { waitForApplication } from "@/lab/controls";
import { useLabCluster } from "@/lab/cluster/test-cluster";
import { bareGit, listLabPulls, mergeLabPull, readLabGitops, resetLabGitops, type LabGitops } from "@/e2e/support/lab-gitops";
import { APP_CATALOGUE } from "@/lib/apps/catalogue";
import { REQUIREMENTS, type ReadinessInput } from "@/lib/readiness/matrix";
import type { DiscoveredService } from "@/lib/services";
import { GitopsService } from "./service";
import { labGitopsConfig, labGitopsService } from "@/e2e/support/gitops-service";

const getLab = useLabCluster({ reset: false });
let lab: LabGitops;
const APP = { namespace: "argocd", name: "qbit-production-cluster" };
const TARGET = { namespace: "qbittorrent", name: "qbittorrent" };

function service(): GitopsService {
  return labGitopsService(getLab().kc, labGitopsConfig(lab), { GITOPS_TOKEN: lab.forge.token, GITOPS_GIT_PASSWORD: lab.git.password });
}

function deployment(): Promise<V1Deployment> {
  return getLab().kc.makeApiClient(AppsV1Api).readNamespacedDeployment(TARGET);
}

/** The readiness cell of the Deployment as it is in the cluster (the same facts discovery reads). */
function resourcesCell(d: V1Deployment) {
  const containers = d.spec?.template.spec?.containers ?? [];
  const s = {
    id: `${TARGET.namespace}/${TARGET.name}`,
    containerSpecs: containers.map((c, i) => ({
      name: c.name,
      main: i === 1,
      readinessProbe: Boolean(c.readinessProbe),
      livenessProbe: Boolean(c.livenessProbe),
      requests: Object.keys(c.resources?.requests ?? {}),
      limits: Object.keys(c.resources?.limits ?? {}),
    })),
  } as unknown as DiscoveredService;
  return REQUIREMENTS.resources.check(s, {} as ReadinessInput, { service: s, status: "up" });
}

const devQbit = () => bareGit(lab, ["rev-parse", "refs/heads/dev_qbit"]);

beforeAll(() => {
  const found = readLabGitops();
  if (!found) throw new Error("the lab has no git server or forge (apps.git / apps.forge in lab.json)");
  lab = found;
});

beforeEach(async () => {
  await resetLabGitops(lab);
}, 60_000);

afterAll(async () => {
  if (!lab) return;
  // The repository back at its seed: the lab's Argo CD syncs the Deployment back without the resources.
  await resetLabGitops(lab);
  const seed = devQbit();
  await waitForApplication(APP.namespace, APP.name, (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === seed, `synced back to ${seed}`, 120_000);
  await vi.waitFor(async () => expect((await deployment()).spec?.template.spec?.containers[0]?.resources?.limits).toBeUndefined(), { timeout: 60_000, interval: 500 });
}, 240_000);

describe("set resources on qbittorrent, merged and synced", () => {
  it("the pull request sets the catalogue's requests and limits on both containers; after the merge and Argo CD's sync the cell passes", async () => {
    // Before: the seeded Deployment sets none, and the cell says so and offers this pull request.
    const before = resourcesCell(await deployment());
    expect(before.state).toBe("failing");
    expect(before.reason).toBe("Container vpn sets no requests and no limits; container qbittorrent sets no requests and no limits.");
    expect(before.actions).toEqual([{ kind: "change", request: { kind: "resources", target: "qbittorrent/qbittorrent" } }]);

    const svc = service();
    // The Changes page offers it too, saying which containers lack what.
    const offered = (await svc.suggestions()).find((x) => x.request.kind === "resources" && x.request.target === "qbittorrent/qbittorrent");
    expect(offered).toMatchObject({ label: "Set resource requests and limits on qbittorrent", detail: "vpn: no requests and no limits; qbittorrent: no requests and no limits (apps/media-services/qbittorrent/deployment.yaml)" });
    const preview = await svc.preview({ kind: "resources", target: "qbittorrent/qbittorrent" });
    expect(preview).toMatchObject({ outcome: "preview", baseBranch: "dev_qbit", files: ["apps/media-services/qbittorrent/deployment.yaml"], applications: [`${APP.namespace}/${APP.name}`] });
    const gluetun = APP_CATALOGUE.gluetun.resources;
    const qbit = APP_CATALOGUE.qbittorrent.resources;
    expect(preview.diff).toContain(`+            memory: ${qbit.limits.memory}`);
    expect(preview.diff).toContain(`+            cpu: ${gluetun.requests.cpu}`);

    const result = await svc.propose({ kind: "resources", target: "qbittorrent/qbittorrent" }, "admin", { expectedFingerprint: preview.fingerprint });
    expect(result.outcome).toBe("opened");
    const change = result.change;
    if (!change) throw new Error(`no change recorded: ${result.message}`);
    const pull = (await listLabPulls(lab)).find((p) => p.head.ref === change.branch);
    expect(pull).toMatchObject({ state: "open", base: { ref: "dev_qbit" }, title: "qbittorrent: set resource requests and limits" });
    expect(pull?.labels.map((l) => l.name)).toEqual(["k8s-nas-panel", "resources"]);

    // The branch holds exactly the resources, on each container.
    const file = bareGit(lab, ["show", `refs/heads/${change.branch}:apps/media-services/qbittorrent/deployment.yaml`]);
    const doc = parseAllDocuments(file)[0]?.toJS() as V1Deployment;
    const byName = Object.fromEntries((doc.spec?.template.spec?.containers ?? []).map((c) => [c.name, c.resources]));
    expect(byName).toEqual({ vpn: { requests: gluetun.requests, limits: gluetun.limits }, qbittorrent: { requests: qbit.requests, limits: qbit.limits } });

    // Merged on the forge: the lab's Argo CD syncs the merge commit and the Deployment carries them.
    const mergeSha = await mergeLabPull(lab, pull?.number ?? 0);
    await waitForApplication(APP.namespace, APP.name, (a) => a.status?.sync?.status === "Synced" && a.status.sync.revision === mergeSha, `synced to the merge ${mergeSha}`, 120_000);
    let last: V1Deployment | undefined;
    await vi.waitFor(
      async () => {
        last = await deployment();
        const limits = last.spec?.template.spec?.containers.map((c) => c.resources?.limits?.memory);
        expect(limits, `the Deployment's memory limits, last seen ${JSON.stringify(limits)}`).toEqual([gluetun.limits.memory, qbit.limits.memory]);
      },
      { timeout: 60_000, interval: 500 },
    );
    const after = resourcesCell(last!);
    expect(after).toMatchObject({ state: "passed", reason: "Requests and limits set on all 2 containers." });

    // Proposing it again: the base has them now.
    const again = await service().propose({ kind: "resources", target: "qbittorrent/qbittorrent" }, "admin");
    expect(again.outcome).toBe("already_so");
    expect((await service().suggestions()).some((x) => x.request.kind === "resources" && x.request.target === "qbittorrent/qbittorrent")).toBe(false);
  });
});
