import { describe, expect, it } from "vitest";
import { planRepo } from "../apps/git-repo";
import { argoSources, ingressHosts, ingressRoutes, loadManifests, parseRepoUrl, servicesForImage, sourceBranch } from "./manifests";
import { requireShared } from "../../lib/shared-fixture.test-helper";

/** The owner's fixture (the facts below are its own). */
const FIXTURE = requireShared("fixtures", "k8s_nas");
const objects = loadManifests(FIXTURE);

describe("reading the GitOps tree", () => {
  it("finds the ingress hosts, busiest first", () => {
    expect(ingressHosts(ingressRoutes(objects))).toEqual(["home.brettswift.com", "jellyseerr.home.brettswift.com"]);
  });

  it("keeps each rule's namespace, service, path type and annotations", () => {
    const routes = ingressRoutes(objects);
    const qb = routes.find((r) => r.service === "qbittorrent");
    expect(qb).toMatchObject({ namespace: "qbittorrent", path: "/qbittorrent(/|$)(.*)", pathType: "Prefix", tls: true });
    expect(qb?.annotations["nginx.ingress.kubernetes.io/rewrite-target"]).toBe("/$2");
    expect(routes.find((r) => r.ingress === "jellyfin-slash-redirect")).toMatchObject({ pathType: "Exact", tls: false });
  });

  it("maps images to the Services that select them", () => {
    expect(servicesForImage(objects, /qbittorrent/)).toEqual(["qbittorrent.qbittorrent"]);
    expect(servicesForImage(objects, /(^|\/)prometheus(:|@|$)/)).toEqual(["prometheus.monitoring"]);
    expect(servicesForImage(objects, /no-such-image/)).toEqual([]);
  });

  it("reads Argo CD sources and the source branch", () => {
    const revs = new Set(argoSources(objects).map((s) => s.targetRevision));
    expect(revs.has("main")).toBe(true);
    expect(sourceBranch(FIXTURE)).toBe("live");
  });

  it("parses ssh and https repository URLs", () => {
    expect(parseRepoUrl("git@github.com:brettswift/k8s_nas.git")).toEqual({ host: "github.com", owner: "brettswift", repo: "k8s_nas" });
    expect(parseRepoUrl("https://github.com/brettswift/k8s_nas")).toEqual({ host: "github.com", owner: "brettswift", repo: "k8s_nas" });
    expect(parseRepoUrl("not a url")).toBeUndefined();
  });

  it("plans the lab repo: owner/repo from Argo CD, every named branch, the most used as default", () => {
    const plan = planRepo(FIXTURE);
    expect(plan).toMatchObject({ owner: "brettswift", repo: "k8s_nas", defaultBranch: "main" });
    expect(plan.branches).toEqual(expect.arrayContaining(["main", "live", "dev_starr", "dev_qbit", "feat/nginx-routing"]));
    expect(plan.branches).not.toContain("HEAD");
  });
});
