import { describe, expect, it } from "vitest";
import { panelConfigSchema } from "../config-schema";
import { healthEndpointOf, probedKindOf } from "../gitops/health-endpoints";
import { imageRepository, matchLabelRule, recognizeImage, recognizeWorkload } from "../k8s/recognize";
import { APP_CATALOGUE, APP_KINDS, appLabel, isAppKind, KNOWN_APP_KINDS, LIBRARY_APP_KINDS, type RecognitionRule } from "./catalogue";

/** An image a publisher would name after the rule: `linuxserver/<name>` for a name, the repository itself for a path. */
function sampleImage(rule: string): string {
  return rule.includes("/") ? `docker.io/${rule}:latest` : `lscr.io/linuxserver/${rule}:latest`;
}

describe("the app catalogue", () => {
  it("lists every kind once, `other` last, with a label", () => {
    expect(APP_KINDS.at(-1)).toBe("other");
    expect(new Set(APP_KINDS).size).toBe(APP_KINDS.length);
    for (const kind of APP_KINDS) expect(appLabel(kind).length).toBeGreaterThan(0);
    expect(isAppKind("sonarr")).toBe(true);
    expect(isAppKind("overseerr")).toBe(false);
  });

  for (const kind of KNOWN_APP_KINDS) {
    const entry = APP_CATALOGUE[kind];
    it(`${kind}: its image rules recognise its images (no earlier entry shadows them)`, () => {
      expect(entry.recognize.images.length).toBeGreaterThan(0);
      if (entry.recognize.labels !== null) return;
      for (const rule of entry.recognize.images) expect([rule, recognizeImage(sampleImage(rule))]).toEqual([rule, kind]);
    });

    it(`${kind}: ports, URL base, health endpoints and credential are well formed`, () => {
      for (const port of [entry.port, entry.fixedPort]) if (port !== null) expect(port).toBeGreaterThan(0);
      expect(entry.urlBase === "" || /^\/[^/](.*[^/])?$/.test(entry.urlBase)).toBe(true);
      if (entry.health) {
        for (const action of [entry.health.readiness, entry.health.liveness]) {
          if (action.type === "http") expect(action.path).toMatch(/^\//);
          else expect(action.command.length).toBeGreaterThan(0);
        }
        expect(healthEndpointOf(kind)).toMatchObject({ readiness: entry.health.readiness, ...(entry.port !== null ? { port: entry.port } : {}) });
        expect(probedKindOf(sampleImage(entry.recognize.images[0] ?? ""))).toBe(kind);
      } else {
        expect(healthEndpointOf(kind)).toBeUndefined();
      }
      const c = entry.credential;
      if (c.type === "api-key") expect(c.secretKey).toMatch(/^[A-Z0-9_]+_API_KEY$/);
      if (c.type === "login") expect([c.usernameKey, c.passwordKey].every((k) => /^[A-Z0-9_]+$/.test(k))).toBe(true);
    });
  }

  it("a library app's category and root folder are the configuration's defaults", () => {
    const config = panelConfigSchema.parse({});
    expect(Object.keys(config.integrations.categories).sort()).toEqual([...LIBRARY_APP_KINDS].sort());
    for (const kind of LIBRARY_APP_KINDS) {
      expect(config.integrations.categories[kind]).toBe(APP_CATALOGUE[kind].library.category);
      expect(config.integrations.rootFolders[kind]).toBe(APP_CATALOGUE[kind].library.rootFolder);
    }
  });

  it("a sidecar kind (the VPN) does not decide the kind of a pod running another app", () => {
    const sidecars = KNOWN_APP_KINDS.filter((k) => APP_CATALOGUE[k].sidecar);
    expect(sidecars).toContain("gluetun");
    for (const sidecar of sidecars) {
      const r = recognizeWorkload({
        kind: "Deployment",
        metadata: { name: "qbittorrent", namespace: "media" },
        spec: { template: { spec: { containers: [{ name: "vpn", image: sampleImage(APP_CATALOGUE[sidecar].recognize.images[0] ?? "") }, { name: "qbittorrent", image: "linuxserver/qbittorrent" }] } } },
      });
      expect([r.appKind, r.mainContainer, r.sidecars]).toEqual(["qbittorrent", "qbittorrent", ["vpn"]]);
    }
  });
});

describe("recognition by pod labels (entries that share an image)", () => {
  const server: RecognitionRule = { images: ["argocd", "argoproj/argocd"], labels: { "app.kubernetes.io/name": "argocd-server" } };
  const anyImage: RecognitionRule = { images: [], labels: { "app.kubernetes.io/name": "ingress-nginx" } };
  const argocd = [{ name: "init", image: "busybox" }, { name: "server", image: "quay.io/argoproj/argocd:v3.1" }];

  it("needs every label and, when the rule names images, a container running one", () => {
    expect(matchLabelRule(server, { "app.kubernetes.io/name": "argocd-server" }, argocd)).toBe(1);
    expect(matchLabelRule(server, { "app.kubernetes.io/name": "argocd-repo-server" }, argocd)).toBeUndefined();
    expect(matchLabelRule(server, {}, argocd)).toBeUndefined();
    expect(matchLabelRule(server, { "app.kubernetes.io/name": "argocd-server" }, [{ name: "x", image: "nginx" }])).toBeUndefined();
    expect(matchLabelRule(anyImage, { "app.kubernetes.io/name": "ingress-nginx", tier: "edge" }, [{ name: "controller", image: "registry.k8s.io/ingress-nginx/controller:v1.11" }])).toBe(0);
  });

  it("an image-only rule never matches by labels", () => {
    expect(matchLabelRule(APP_CATALOGUE.sonarr.recognize, { app: "sonarr" }, [{ name: "sonarr", image: "linuxserver/sonarr" }])).toBeUndefined();
    expect(imageRepository("registry.k8s.io/ingress-nginx/controller:v1.11")).toBe("ingress-nginx/controller");
  });
});
