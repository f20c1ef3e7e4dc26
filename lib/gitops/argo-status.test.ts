import { describe, expect, it } from "vitest";
import { argoProblemsOf, argoSeverity, argoSummary, shortRevision, toArgoAppSetState, toArgoAppState } from "./argo-status";

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** An Application as Argo CD (and the lab's) writes it. */
function application(status: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "media-services", namespace: "argocd", ownerReferences: [{ kind: "ApplicationSet", name: "cluster-apps", uid: "x" }] },
    spec: {
      project: "default",
      source: { repoURL: "git@github.com:brettswift/k8s_nas.git", path: "apps/media-services/starr", targetRevision: "main" },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
    status,
    ...extra,
  };
}

const synced = {
  sync: { status: "Synced", revision: SHA },
  health: { status: "Healthy" },
  resources: [
    { group: "apps", version: "v1", kind: "Deployment", namespace: "media", name: "sonarr", status: "Synced", health: { status: "Healthy" } },
    { version: "v1", kind: "Service", namespace: "media", name: "sonarr", status: "Synced", health: { status: "Healthy" } },
  ],
  operationState: { phase: "Succeeded", message: "successfully synced (all tasks run)", startedAt: "2026-12-06T10:00:00Z", finishedAt: "2026-12-06T10:00:02Z", syncResult: { revision: SHA, resources: [] } },
};

describe("toArgoAppState", () => {
  it("reshapes a Synced and Healthy Application: nothing to name", () => {
    const app = toArgoAppState(application(synced));
    expect(app).toMatchObject({
      name: "media-services",
      project: "default",
      repoURL: "git@github.com:brettswift/k8s_nas.git",
      path: "apps/media-services/starr",
      targetRevision: "main",
      syncStatus: "Synced",
      revision: SHA,
      health: "Healthy",
      operating: false,
      automated: true,
      applicationSet: "cluster-apps",
      problems: [],
      resourceCount: 2,
      operation: { phase: "Succeeded", message: "successfully synced (all tasks run)", revision: SHA },
    });
    expect(argoProblemsOf(app!)).toEqual([]);
    expect(argoSeverity(app!)).toBe(0);
    expect(argoSummary(app!)).toBe("Synced · Healthy");
  });

  it("OutOfSync: names the resources that differ from Git", () => {
    const app = toArgoAppState(
      application({ ...synced, sync: { status: "OutOfSync", revision: SHA }, resources: [{ kind: "Deployment", namespace: "media", name: "sonarr", status: "OutOfSync", health: { status: "Healthy" } }] }),
    )!;
    expect(app.problems).toEqual([{ kind: "Deployment", namespace: "media", name: "sonarr", status: "OutOfSync", health: "Healthy", requiresPruning: false }]);
    expect(argoProblemsOf(app)).toEqual([{ namespace: "argocd", name: "media-services", kind: "OutOfSync", message: "Deployment sonarr differs from Git" }]);
    expect(argoSeverity(app)).toBe(2);
  });

  it("Degraded with Argo CD's message; a ComparisonError comes first in the summary", () => {
    const degraded = toArgoAppState(
      application({
        ...synced,
        health: { status: "Degraded", message: "Certificate home-tls: Issuing certificate as Secret does not exist" },
        resources: [{ kind: "Certificate", namespace: "media", name: "home-tls", status: "Synced", health: { status: "Degraded", message: "Issuing" } }],
      }),
    )!;
    expect(argoProblemsOf(degraded)).toEqual([{ namespace: "argocd", name: "media-services", kind: "Degraded", message: "Certificate home-tls: Degraded (Issuing)" }]);
    // Without a Degraded resource listed, Argo CD's own message.
    expect(argoProblemsOf({ ...degraded, problems: [] })[0]?.message).toBe("Certificate home-tls: Issuing certificate as Secret does not exist");
    const failing = toArgoAppState(
      application({ sync: { status: "Unknown" }, health: { status: "Healthy" }, conditions: [{ type: "ComparisonError", message: "Failed to load target state: kustomize build failed" }] }),
    )!;
    expect(argoSeverity(failing)).toBe(3);
    expect(argoSummary(failing)).toBe("ComparisonError: Failed to load target state: kustomize build failed");
    expect(argoProblemsOf(failing).map((p) => p.kind)).toEqual(["ComparisonError"]);
  });

  it("an operation requested or Running is in progress; a failed sync keeps its message", () => {
    expect(toArgoAppState(application(synced, { operation: { sync: { revision: SHA } } }))!.operating).toBe(true);
    const failed = toArgoAppState(application({ ...synced, operationState: { phase: "Failed", message: "one or more synchronization tasks are not valid" } }))!;
    expect(failed.operating).toBe(false);
    expect(failed.operation).toEqual({ phase: "Failed", message: "one or more synchronization tasks are not valid" });
  });

  it("an object that is not an Application gives undefined; a new one without status is Unknown", () => {
    expect(toArgoAppState({ metadata: {} })).toBeUndefined();
    expect(toArgoAppState({ metadata: { name: "x", namespace: "argocd" } })).toMatchObject({ syncStatus: "Unknown", health: "Unknown", problems: [], automated: false });
  });
});

describe("toArgoAppSetState", () => {
  it("lists what it generated (status, else owner references) and its errors", () => {
    const apps = [toArgoAppState(application(synced))!];
    const set = toArgoAppSetState(
      {
        metadata: { name: "cluster-apps", namespace: "argocd" },
        spec: { generators: [{ git: { directories: [{ path: "apps/*" }] } }] },
        status: {
          conditions: [{ type: "ErrorOccurred", status: "True", message: "cannot evaluate the matrix generator" }, { type: "ResourcesUpToDate", status: "True", message: "ok" }],
          resources: [{ name: "jellyfin" }],
        },
      },
      apps,
    );
    expect(set).toEqual({ namespace: "argocd", name: "cluster-apps", generators: ["git"], generated: ["jellyfin", "media-services"], errors: ["ErrorOccurred: cannot evaluate the matrix generator"] });
  });
});

it("shortRevision shortens commits only", () => {
  expect(shortRevision(SHA)).toBe("0123456");
  expect(shortRevision("main")).toBe("main");
  expect(shortRevision(undefined)).toBe("");
});
