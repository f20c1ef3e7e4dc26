import { describe, expect, it } from "vitest";
import type { AppKind } from "../apps/catalogue";
import { imageRepository, recognizeImage, recognizeWorkload } from "./recognize";
import { readFixtureObjects } from "./test-fixture";
import type { Workload } from "./types";

describe("imageRepository", () => {
  const cases: Array<[string, string]> = [
    ["docker.io/linuxserver/sonarr:latest", "linuxserver/sonarr"],
    ["lscr.io/linuxserver/radarr:5.2.6@sha256:0123abcd", "linuxserver/radarr"],
    ["ghcr.io/hotio/sonarr:release-4.0.0", "hotio/sonarr"],
    ["registry.local:5000/team/app:1", "team/app"],
    ["localhost/app", "app"],
    ["nginx", "nginx"],
    ["library/nginx:1.27", "nginx"],
    ["Jellyfin/Jellyfin:10.9", "jellyfin/jellyfin"],
  ];
  for (const [image, want] of cases) it(`${image} -> ${want}`, () => expect(imageRepository(image)).toBe(want));
});

describe("recognizeImage", () => {
  const cases: Array<[string, AppKind]> = [
    // The fixture's images.
    ["docker.io/linuxserver/sonarr:latest", "sonarr"],
    ["docker.io/linuxserver/radarr:latest", "radarr"],
    ["docker.io/linuxserver/lidarr:latest", "lidarr"],
    ["docker.io/linuxserver/prowlarr:latest", "prowlarr"],
    ["docker.io/linuxserver/bazarr:latest", "bazarr"],
    ["docker.io/linuxserver/sabnzbd:latest", "sabnzbd"],
    ["ghcr.io/linuxserver/qbittorrent:latest", "qbittorrent"],
    ["jellyfin/jellyfin:latest", "jellyfin"],
    ["fallenbagel/jellyseerr:latest", "jellyseerr"],
    ["ghcr.io/flaresolverr/flaresolverr:latest", "flaresolverr"],
    ["golift/unpackerr:latest", "unpackerr"],
    ["qmcgaw/gluetun:latest", "gluetun"],
    ["prom/prometheus:latest", "prometheus"],
    ["grafana/grafana:latest", "grafana"],
    ["docker.io/gethomepage/homepage:latest", "homepage"],
    // Other publishers of the same apps.
    ["ghcr.io/hotio/sonarr:release", "sonarr"],
    ["ghcr.io/hotio/qbittorrent:release", "qbittorrent"],
    ["lscr.io/linuxserver/jellyfin:10.10.3", "jellyfin"],
    ["ghcr.io/home-operations/radarr:5.17", "radarr"],
    ["binhex/arch-sabnzbd:latest", "sabnzbd"],
    ["ghcr.io/seerr-team/seerr:v2", "seerr"],
    ["ghcr.io/fallenbagel/jellyseerr:2.1.0", "jellyseerr"],
    ["quay.io/prometheus/prometheus:v2.53.0", "prometheus"],
    ["ghcr.io/gethomepage/homepage:v0.9", "homepage"],
    ["grafana/loki:3.0", "loki"],
    ["quay.io/argoproj/argocd:v2.13.1", "argocd"],
    ["ghcr.io/qdm12/gluetun:v3", "gluetun"],
    ["ghcr.io/linuxserver/qbittorrent@sha256:abcdef", "qbittorrent"],
    // The infrastructure around the media stack.
    ["grafana/loki:3.0", "loki"],
    ["grafana/alloy:v1.4.2", "alloy"],
    ["grafana/promtail:3.0.0", "promtail"],
    ["prom/pushgateway:v1.9.0", "pushgateway"],
    ["quay.io/prometheus/alertmanager:v0.27.0", "alertmanager"],
    ["louislam/uptime-kuma:1", "uptime-kuma"],
    ["ghcr.io/home-assistant/home-assistant:stable", "home-assistant"],
    ["lscr.io/linuxserver/homeassistant:latest", "home-assistant"],
    ["binwiederhier/ntfy:v2.11.0", "ntfy"],
    ["registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac4887cb1ed21f27c2674e58be06bd8f5184cacea2a69abaf78dce", "ingress-nginx"],
    ["traefik:v3.1", "traefik"],
    ["rancher/mirrored-library-traefik:2.11.10", "traefik"],
    ["quay.io/jetstack/cert-manager-controller:v1.16.1", "cert-manager"],
    ["quay.io/jetstack/cert-manager-webhook:v1.16.1", "cert-manager-webhook"],
    ["quay.io/jetstack/cert-manager-cainjector:v1.16.1", "cert-manager-cainjector"],
    // Not apps the panel knows.
    ["alpine:3.20", "other"],
    ["bitnami/kubectl:latest", "other"],
    ["traefik/whoami:v1.10", "other"],
    ["prom/node-exporter:v1.8", "other"],
    ["quay.io/prometheus-operator/prometheus-config-reloader:v0.75", "other"],
    ["sctx/overseerr:latest", "other"],
    ["ghcr.io/onedr0p/exportarr:v2", "other"],
    ["", "other"],
  ];
  for (const [image, kind] of cases) it(`${image || "(empty)"} -> ${kind}`, () => expect(recognizeImage(image)).toBe(kind));
});

const workload = (over: { name?: string; namespace?: string; annotations?: Record<string, string>; containers: Array<{ name: string; image: string }>; init?: Array<{ name: string; image: string; restartPolicy?: string }> }): Workload => ({
  kind: "Deployment",
  metadata: { name: over.name ?? "app", namespace: over.namespace ?? "media", uid: "u1", annotations: over.annotations },
  spec: { template: { metadata: { labels: { app: over.name ?? "app" } }, spec: { containers: over.containers, initContainers: over.init } } },
});

describe("recognizeWorkload on the fixture's Deployments", () => {
  const deployments = readFixtureObjects().filter((o) => o.kind === "Deployment") as Workload[];
  const want: Record<string, { kind: AppKind; main: string; sidecars: string[]; displayName: string }> = {
    "homepage/homepage": { kind: "homepage", main: "homepage", sidecars: [], displayName: "Homepage" },
    "media/bazarr": { kind: "bazarr", main: "bazarr", sidecars: [], displayName: "Bazarr" },
    "media/flaresolverr": { kind: "flaresolverr", main: "flaresolverr", sidecars: [], displayName: "FlareSolverr" },
    "media/jellyfin": { kind: "jellyfin", main: "jellyfin", sidecars: [], displayName: "Jellyfin" },
    "media/jellyseerr": { kind: "jellyseerr", main: "jellyseerr", sidecars: [], displayName: "Jellyseerr" },
    "media/lidarr": { kind: "lidarr", main: "lidarr", sidecars: [], displayName: "Lidarr" },
    "media/prowlarr": { kind: "prowlarr", main: "prowlarr", sidecars: [], displayName: "Prowlarr" },
    "media/radarr": { kind: "radarr", main: "radarr", sidecars: [], displayName: "Radarr" },
    "media/sabnzbd": { kind: "sabnzbd", main: "sabnzbd", sidecars: ["vpn"], displayName: "SABnzbd" },
    "media/sonarr": { kind: "sonarr", main: "sonarr", sidecars: [], displayName: "Sonarr" },
    "media/unpackerr": { kind: "unpackerr", main: "unpackerr", sidecars: [], displayName: "Unpackerr" },
    "media/vpn": { kind: "gluetun", main: "vpn", sidecars: [], displayName: "vpn" },
    "monitoring/grafana": { kind: "grafana", main: "grafana", sidecars: [], displayName: "Grafana" },
    "monitoring/prometheus": { kind: "prometheus", main: "prometheus", sidecars: [], displayName: "Prometheus" },
    "qbittorrent/qbittorrent": { kind: "qbittorrent", main: "qbittorrent", sidecars: ["vpn"], displayName: "qBittorrent" },
  };

  it("finds every Deployment the fixture defines", () => {
    expect(deployments.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`).sort()).toEqual(Object.keys(want).sort());
  });

  for (const [id, w] of Object.entries(want)) {
    it(`${id} is ${w.kind}, main container ${w.main}, sidecars [${w.sidecars.join(", ")}]`, () => {
      const d = deployments.find((x) => `${x.metadata?.namespace}/${x.metadata?.name}` === id);
      expect(d).toBeDefined();
      const r = recognizeWorkload(d as Workload);
      expect({ kind: r.appKind, source: r.kindSource, main: r.mainContainer, sidecars: r.sidecars, displayName: r.displayName }).toEqual({
        kind: w.kind,
        source: "image",
        main: w.main,
        sidecars: w.sidecars,
        displayName: w.displayName,
      });
    });
  }

  it("the fixture's qBittorrent (namespace qbittorrent) runs Gluetun as its first container, a sidecar", () => {
    const q = deployments.find((d) => d.metadata?.namespace === "qbittorrent" && d.metadata.name === "qbittorrent") as Workload;
    const containers = q.spec?.template?.spec?.containers ?? [];
    expect(containers.map((c) => recognizeImage(c.image))).toEqual(["gluetun", "qbittorrent"]);
    expect(recognizeWorkload(q).sidecars).toEqual(["vpn"]);
  });
});

describe("recognizeWorkload overrides and names", () => {
  const sonarrImage = [{ name: "app", image: "linuxserver/sonarr" }];

  it("an annotation overrides the image", () => {
    const r = recognizeWorkload(workload({ name: "tv", annotations: { "k8s-nas-panel/app": "radarr" }, containers: sonarrImage }));
    expect([r.appKind, r.kindSource]).toEqual(["radarr", "annotation"]);
  });

  it("config (discovery.kindOverrides) overrides the annotation and the image", () => {
    const w = workload({ name: "tv", namespace: "media", annotations: { "k8s-nas-panel/app": "radarr" }, containers: sonarrImage });
    const r = recognizeWorkload(w, { kindOverrides: { "media/tv": "lidarr" } });
    expect([r.appKind, r.kindSource]).toEqual(["lidarr", "config"]);
    expect(recognizeWorkload(w, { kindOverrides: { "other/tv": "lidarr" } }).appKind).toBe("radarr");
  });

  it("an unknown kind in an override is noted and ignored", () => {
    const r = recognizeWorkload(workload({ annotations: { "k8s-nas-panel/app": "plex" }, containers: sonarrImage }), { kindOverrides: { "media/app": "emby" } });
    expect([r.appKind, r.kindSource]).toEqual(["sonarr", "image"]);
    expect(r.notes).toEqual([`discovery.kindOverrides["media/app"]: unknown kind "emby"`, `annotation k8s-nas-panel/app: unknown kind "plex"`]);
  });

  it("an unknown image is `other` from `unknown`, its first container the main one", () => {
    const r = recognizeWorkload(workload({ name: "whoami", containers: [{ name: "web", image: "traefik/whoami:v1.10" }, { name: "log", image: "busybox" }] }));
    expect({ kind: r.appKind, source: r.kindSource, main: r.mainContainer, sidecars: r.sidecars, name: r.displayName }).toEqual({
      kind: "other",
      source: "unknown",
      main: "web",
      sidecars: [],
      name: "whoami",
    });
  });

  it("Gluetun alone is gluetun; next to an app it is that app's sidecar; an unknown helper next to an app is a sidecar too", () => {
    expect(recognizeWorkload(workload({ containers: [{ name: "vpn", image: "qmcgaw/gluetun" }] })).appKind).toBe("gluetun");
    const r = recognizeWorkload(workload({ containers: [{ name: "vpn", image: "qmcgaw/gluetun" }, { name: "qb", image: "hotio/qbittorrent" }, { name: "exporter", image: "ghcr.io/onedr0p/exportarr" }] }));
    expect([r.appKind, r.mainContainer, r.sidecars]).toEqual(["qbittorrent", "qb", ["vpn", "exporter"]]);
  });

  it("native sidecars (init containers with restartPolicy Always) are containers of the pod", () => {
    const r = recognizeWorkload(workload({ containers: [{ name: "sab", image: "linuxserver/sabnzbd" }], init: [{ name: "vpn", image: "qmcgaw/gluetun", restartPolicy: "Always" }, { name: "setup", image: "alpine" }] }));
    expect(r.sidecars).toEqual(["vpn"]);
  });

  it("a second instance keeps its own name (sonarr-4k)", () => {
    expect(recognizeWorkload(workload({ name: "sonarr-4k", containers: sonarrImage })).displayName).toBe("sonarr-4k");
  });

  it("names, descriptions and links: k8s-nas-panel/* first, then gethomepage.dev/* on the workload, then on its Ingresses", () => {
    const w = workload({ name: "sonarr", annotations: { "gethomepage.dev/name": "TV (homepage)", "gethomepage.dev/description": "Series" }, containers: sonarrImage });
    const r1 = recognizeWorkload(w, { ingressAnnotations: [{ "gethomepage.dev/href": "https://tv.example.com", "gethomepage.dev/name": "ignored" }] });
    expect([r1.displayName, r1.description, r1.href]).toEqual(["TV (homepage)", "Series", "https://tv.example.com"]);
    const w2 = workload({ name: "sonarr", annotations: { "k8s-nas-panel/name": "TV shows", "k8s-nas-panel/description": "4K series", "gethomepage.dev/name": "x" }, containers: sonarrImage });
    const r2 = recognizeWorkload(w2);
    expect([r2.displayName, r2.description]).toEqual(["TV shows", "4K series"]);
    const r3 = recognizeWorkload(workload({ name: "sonarr", containers: sonarrImage }), { ingressAnnotations: [{ "gethomepage.dev/name": "Sonarr (ingress)" }] });
    expect(r3.displayName).toBe("Sonarr (ingress)");
  });

  it("ignore and url-base annotations", () => {
    expect(recognizeWorkload(workload({ annotations: { "k8s-nas-panel/ignore": "true" }, containers: sonarrImage })).ignored).toBe(true);
    expect(recognizeWorkload(workload({ annotations: { "k8s-nas-panel/ignore": "false" }, containers: sonarrImage })).ignored).toBe(false);
    expect(recognizeWorkload(workload({ annotations: { "k8s-nas-panel/url-base": "tv/" }, containers: sonarrImage })).urlBase).toBe("/tv");
    expect(recognizeWorkload(workload({ annotations: { "k8s-nas-panel/url-base": "/" }, containers: sonarrImage })).urlBase).toBe("");
  });
});
