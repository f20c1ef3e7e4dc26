/**
 * How the simulators are derived from the user's manifests (URL bases, Service names and
 * ports, extra instances), how in-cluster addresses resolve to loopback ports, and what the
 * spec loader keeps of a large description.
 */
import { describe, expect, it } from "vitest";
import type { ManifestObject } from "../lib/manifests";
import { discoverFrom, imageName, loadObjects } from "./discovery";
import { AddressResolver } from "./engine/addresses";
import { isObject, loadSpec } from "./engine/spec";
import { OutboundError } from "./engine/types";

function deployment(name: string, ns: string, containers: Record<string, unknown>[], labels = { app: name }): ManifestObject {
  return {
    kind: "Deployment",
    apiVersion: "apps/v1",
    name,
    namespace: ns,
    file: "test",
    body: { kind: "Deployment", apiVersion: "apps/v1", metadata: { name, namespace: ns }, spec: { template: { metadata: { labels }, spec: { containers } } } },
  };
}

function service(name: string, ns: string, selector: Record<string, string>, ports: { port: number; targetPort?: number | string }[]): ManifestObject {
  return { kind: "Service", apiVersion: "v1", name, namespace: ns, file: "test", body: { kind: "Service", apiVersion: "v1", metadata: { name, namespace: ns }, spec: { selector, ports } } };
}

describe("discovery from the fixture's manifests", () => {
  it("finds every app with the Service, port and URL base the manifests configure", async () => {
    const { instances, qbittorrent } = discoverFrom(await loadObjects({}));
    const byId = Object.fromEntries(instances.map((i) => [i.id, { key: i.serviceKey, port: i.servicePort, base: i.urlBase }]));
    expect(byId).toEqual({
      sonarr: { key: "sonarr.media", port: 8989, base: "/sonarr" },
      radarr: { key: "radarr.media", port: 7878, base: "/radarr" },
      lidarr: { key: "lidarr.media", port: 8686, base: "/lidarr" },
      prowlarr: { key: "prowlarr.media", port: 9696, base: "/prowlarr" },
      bazarr: { key: "bazarr.media", port: 6767, base: "/bazarr" },
      sabnzbd: { key: "sabnzbd.media", port: 8080, base: "/sabnzbd" },
      jellyfin: { key: "jellyfin.media", port: 80, base: "" },
      jellyseerr: { key: "jellyseerr.media", port: 5055, base: "" },
      flaresolverr: { key: "flaresolverr.media", port: 8191, base: "" },
      grafana: { key: "grafana.monitoring", port: 3000, base: "/grafana" },
      // Its manifest names no namespace (the Application gives it): from the files alone, `default`.
      homepage: { key: "homepage.default", port: 80, base: "" },
      seerr: { key: "seerr.media", port: 5055, base: "" },
      // Not in the repository's manifests: from the lab's extras (lab/cluster/extras/readarr.yaml).
      readarr: { key: "readarr.media", port: 8787, base: "/readarr" },
      "gluetun-qbittorrent": { key: "qbittorrent.qbittorrent:8000", port: 8000, base: "" },
      "gluetun-sabnzbd": { key: "sabnzbd.media:8000", port: 8000, base: "" },
      "gluetun-vpn": { key: "vpn.media:8000", port: 8000, base: "" },
    });
    expect(qbittorrent).toEqual({ serviceKey: "qbittorrent.qbittorrent", servicePort: 8080 });
  });

  it("recognises images whatever the registry, owner and tag", () => {
    expect(imageName("docker.io/linuxserver/sonarr:latest")).toBe("sonarr");
    expect(imageName("ghcr.io/flaresolverr/flaresolverr@sha256:abc")).toBe("flaresolverr");
    expect(imageName("jellyfin/jellyfin")).toBe("jellyfin");
  });

  it("runs a second instance for a second workload, with its env URL base and its own Service", () => {
    const objects = [
      deployment("sonarr", "media", [{ name: "sonarr", image: "linuxserver/sonarr", ports: [{ containerPort: 8989 }] }]),
      service("sonarr", "media", { app: "sonarr" }, [{ port: 8989, targetPort: 8989 }]),
      deployment("sonarr-4k", "media", [
        { name: "sonarr", image: "linuxserver/sonarr:4.0.19", ports: [{ containerPort: 8989, name: "http" }], env: [{ name: "SONARR__SERVER__URLBASE", value: "/sonarr4k/" }] },
      ]),
      service("sonarr-uhd", "media", { app: "sonarr-4k" }, [{ port: 80, targetPort: "http" }]),
      deployment("mystery", "media", [{ name: "x", image: "example/unknown-app:1" }]),
    ];
    const { instances } = discoverFrom(objects);
    const four = instances.find((i) => i.id === "sonarr-4k");
    expect(four).toMatchObject({ kind: "sonarr", serviceKey: "sonarr-uhd.media", servicePort: 80, urlBase: "/sonarr4k", urlBaseSource: "env SONARR__SERVER__URLBASE" });
    expect(instances.find((i) => i.id === "sonarr")?.urlBase).toBe("");
    expect(instances.some((i) => i.workload === "media/mystery")).toBe(false);
  });
});

describe("the key a workload gives its app", () => {
  it("is a literal, a secretKeyRef or a whole Secret by envFrom, under the catalogue's variable", () => {
    const objects = [
      deployment("sonarr", "media", [{ name: "sonarr", image: "linuxserver/sonarr", env: [{ name: "SONARR__AUTH__APIKEY", valueFrom: { secretKeyRef: { name: "sonarr-api", key: "key" } } }] }]),
      deployment("radarr", "media", [{ name: "radarr", image: "linuxserver/radarr", env: [{ name: "RADARR__AUTH__APIKEY", value: "literal-key" }] }]),
      deployment("lidarr", "media", [{ name: "lidarr", image: "linuxserver/lidarr", envFrom: [{ prefix: "LIDARR__", secretRef: { name: "lidarr-env" } }] }]),
      deployment("prowlarr", "media", [{ name: "prowlarr", image: "linuxserver/prowlarr" }]),
    ];
    const byId = Object.fromEntries(discoverFrom(objects).instances.map((i) => [i.id, i.apiKeyRef]));
    expect(byId.sonarr).toEqual({ secret: "media/sonarr-api", key: "key", via: "env SONARR__AUTH__APIKEY" });
    expect(byId.radarr).toEqual({ value: "literal-key" });
    expect(byId.lidarr).toEqual({ secret: "media/lidarr-env", key: "AUTH__APIKEY", via: "envFrom" });
    expect(byId.prowlarr).toBeUndefined();
  });
});

describe("address resolution", () => {
  const r = new AddressResolver([
    { key: "sonarr.media", port: 8989, url: "http://127.0.0.1:4001" },
    { key: "qbittorrent.qbittorrent:8000", port: 8000, url: "http://127.0.0.1:4002" },
  ]);

  it("maps in-cluster names with the Service port to the loopback port", () => {
    expect(r.rewrite("http://sonarr.media.svc.cluster.local:8989/sonarr/api/v3/health?x=1")).toBe("http://127.0.0.1:4001/sonarr/api/v3/health?x=1");
    expect(r.rewrite("http://sonarr.media:8989/ping")).toBe("http://127.0.0.1:4001/ping");
    expect(r.rewrite("http://sonarr:8989/ping")).toBe("http://127.0.0.1:4001/ping");
    expect(r.rewrite("http://qbittorrent.qbittorrent.svc:8000/v1/publicip/ip")).toBe("http://127.0.0.1:4002/v1/publicip/ip");
    expect(r.rewrite("http://localhost:9999/x")).toBe("http://127.0.0.1:9999/x");
  });

  it("refuses other ports, fails unknown names, and fails TLS to a plain-HTTP app", () => {
    const code = (url: string) => {
      try {
        r.rewrite(url);
        return "ok";
      } catch (err) {
        return err instanceof OutboundError ? err.code : "other";
      }
    };
    expect(code("http://sonarr.media.svc.cluster.local:8990/")).toBe("ECONNREFUSED");
    expect(code("http://radarr.media.svc.cluster.local:7878/")).toBe("ENOTFOUND");
    expect(code("https://sonarr.media.svc.cluster.local:8989/")).toBe("EOTHER");
    expect(r.addressMap()).toEqual({ "sonarr.media": "http://127.0.0.1:4001", "qbittorrent.qbittorrent:8000": "http://127.0.0.1:4002" });
  });
});

describe("spec loading", () => {
  it("keeps only the requested operations and the components they reach (Jellyfin's 2 MB spec)", async () => {
    const t0 = Date.now();
    const s = await loadSpec({ file: "jellyfin-10.11.openapi.json" }, [{ method: "get", path: "/System/Info/Public" }]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(Object.keys(s.document.paths as object)).toEqual(["/System/Info/Public"]);
    const schemas = Object.keys(((s.document.components as Record<string, unknown>).schemas ?? {}) as object);
    expect(schemas).toContain("PublicSystemInfo");
    expect(schemas.length).toBeLessThan(10);
    expect(s.version).toBe("10.11.11");
  });

  it("refuses an operation the spec does not have, and applies documented errata", async () => {
    await expect(loadSpec({ file: "sonarr-v3.openapi.json" }, [{ method: "get", path: "/api/v3/not-there" }])).rejects.toThrow(/not in the spec/);
    const s = await loadSpec(
      { file: "sonarr-v3.openapi.json", errata: [{ pointer: "#/components/schemas/HealthResource/properties/wikiUrl", value: { type: "string" }, reason: "test" }] },
      [{ method: "get", path: "/api/v3/health" }],
    );
    const health = ((s.document.components as Record<string, Record<string, unknown>>).schemas ?? {}).HealthResource;
    expect(isObject(health) && isObject(health.properties) ? health.properties.wikiUrl : undefined).toEqual({ type: "string" });
  });
});
