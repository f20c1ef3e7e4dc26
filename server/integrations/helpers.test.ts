import { describe, expect, it } from "vitest";
import { labIntegrationSettings } from "@/e2e/support/lab-integrations";
import type { DiscoveredService } from "@/lib/services";
import { pickProvider, type ProviderLinkSpec } from "@/server/apps/arr/provider-link";
import { APP_MODULE_LIST, APP_MODULES } from "@/server/apps/registry";
import { linkCatalogue } from "./catalogue";
import { parseInCluster } from "./ends";
import { readKeyStatuses } from "./keys";
import { scrubDeep } from "./view";
import { controlServerUrl, servicesBehindVpn } from "./vpn";

const spec: ProviderLinkSpec = {
  resource: "downloadclient",
  implementation: "QBittorrent",
  name: "qBittorrent",
  targetField: "host",
  namespace: "media",
  fields: [
    { field: "host", label: "Host", value: "qbittorrent.qbittorrent.svc.cluster.local", compare: "host" },
    { field: "port", label: "Port", value: 8080 },
  ],
  secretValues: {},
  appName: "Sonarr",
  targetName: "qBittorrent",
  what: "download client",
};

const client = (id: number, name: string, host: string, implementation = "QBittorrent") => ({
  id,
  name,
  implementation,
  fields: [
    { name: "host", value: host },
    { name: "port", value: 9091 },
  ],
});

describe("pickProvider", () => {
  it("keeps the definition pointing at the target, whatever its name and port", () => {
    const list = [client(1, "old seedbox", "seedbox.example.com"), client(2, "qbit", "qbittorrent.qbittorrent"), client(3, "SAB", "qbittorrent.qbittorrent", "Sabnzbd")];
    expect(pickProvider(list, spec)?.id).toBe(2);
  });

  it("falls back to the panel's name (a wrong host is then a diff), else none", () => {
    expect(pickProvider([client(4, "qBittorrent", "qbittorrent")], spec)?.id).toBe(4);
    expect(pickProvider([client(5, "seedbox", "seedbox.example.com")], spec)).toBeUndefined();
    expect(pickProvider([], spec)).toBeUndefined();
  });
});

describe("addresses", () => {
  it("splits an in-cluster base URL", () => {
    expect(parseInCluster("http://sonarr.media.svc.cluster.local:8989/sonarr/")).toEqual({
      scheme: "http",
      host: "sonarr.media.svc.cluster.local",
      port: 8989,
      urlBase: "/sonarr",
      url: "http://sonarr.media.svc.cluster.local:8989/sonarr",
    });
    expect(parseInCluster("https://jellyfin.media.svc.cluster.local").port).toBe(443);
  });

  const qbit = {
    id: "qbittorrent/qbittorrent",
    namespace: "qbittorrent",
    name: "qbittorrent",
    appKind: "qbittorrent",
    displayName: "qBittorrent",
    images: ["qmcgaw/gluetun:latest", "ghcr.io/linuxserver/qbittorrent:latest"],
    service: { name: "qbittorrent", ports: [{ name: "web", port: 8080 }] },
    urlBase: "",
    inClusterUrl: "http://qbittorrent.qbittorrent.svc.cluster.local:8080",
  } as unknown as DiscoveredService;
  const vpn = { ...qbit, id: "media/vpn", namespace: "media", name: "vpn", appKind: "gluetun", images: ["qmcgaw/gluetun:latest"] } as unknown as DiscoveredService;
  const sonarr = { ...qbit, id: "media/sonarr", appKind: "sonarr", images: ["linuxserver/sonarr"] } as unknown as DiscoveredService;

  it("finds the download clients behind a VPN sidecar (an app with the VPN role: Gluetun), not the VPN itself", () => {
    expect(servicesBehindVpn([qbit, vpn, sonarr]).map((s) => [s.service.id, s.vpn.id])).toEqual([["qbittorrent/qbittorrent", "gluetun"]]);
    expect(servicesBehindVpn([qbit], [APP_MODULES.sonarr])).toEqual([]);
  });

  it("reaches the sidecar's control server on its own port, through the address map", () => {
    const gluetun = APP_MODULES.gluetun;
    expect(controlServerUrl(qbit, gluetun, 8000, {})).toBe("http://qbittorrent.qbittorrent.svc.cluster.local:8000");
    expect(controlServerUrl(qbit, gluetun, 9999, {})).toBe("http://qbittorrent.qbittorrent.svc.cluster.local:9999");
    expect(controlServerUrl(qbit, gluetun, 8000, { "qbittorrent.qbittorrent": "http://127.0.0.1:1111", "qbittorrent.qbittorrent:8000": "http://127.0.0.1:2222" })).toBe("http://127.0.0.1:2222");
  });
});

describe("scrubDeep", () => {
  it("replaces every known secret in every string, keeping the shape", () => {
    const value = { a: "key abcdef123456 here", b: ["abcdef123456"], c: { d: 3, e: null } };
    expect(scrubDeep(value, ["abcdef123456"])).toEqual({ a: "key [redacted] here", b: ["[redacted]"], c: { d: 3, e: null } });
  });
});

describe("lab settings", () => {
  it("names only variables in the config and lists every secret to search for", () => {
    const s = labIntegrationSettings({
      kubeconfig: "/x",
      addressMap: { "sonarr.media": "http://127.0.0.1:1" },
      secrets: { "media/starr-secrets": { SONARR_API_KEY: "sonarrkey0000000", RADARR_API_KEY: "radarrkey0000000", QBITTORRENT_USERNAME: "admin" } },
      apps: {
        sonarr: { kind: "sonarr", apiKey: "sonarrkey0000000", apiKeySource: "secret", apiKeySecretKey: "SONARR_API_KEY" },
        radarr: { kind: "radarr", apiKey: "radarrkey0000000", apiKeySource: "generated", apiKeySecretKey: "RADARR_API_KEY" },
        jellyfin: { kind: "jellyfin", apiKey: "jellyfinkey00000", apiKeySource: "generated" },
        "w-0001": { kind: "jellyfin", apiKey: "benchkey00000000", apiKeySource: "generated" },
        "gluetun-qbittorrent": { kind: "gluetun", apiKey: "gluetunkey000000", apiKeySource: "generated", workload: "qbittorrent/qbittorrent" },
        qbittorrent: { username: "admin", password: "qbitpassword" },
      },
    });
    expect(s.config.apps.credentials).toEqual({
      jellyfin: { apiKeyEnv: "LAB_API_KEY_JELLYFIN" },
      qbittorrent: { username: "admin", passwordEnv: "LAB_QBITTORRENT_PASSWORD" },
    });
    expect(s.env.LAB_API_KEY_JELLYFIN).toBe("jellyfinkey00000");
    expect(s.config.integrations.vpn.controlServers).toEqual({ "qbittorrent/qbittorrent": { apiKeyEnv: "LAB_GLUETUN_KEY_QBITTORRENT_QBITTORRENT" } });
    expect(JSON.stringify(s.config)).not.toContain("key0000");
    expect(s.secretValues).toEqual(expect.arrayContaining(["sonarrkey0000000", "jellyfinkey00000", "gluetunkey000000", "qbitpassword"]));
    expect(s.secretValues).not.toContain("admin");
  });
});

describe("the link catalogue", () => {
  it("is declared by the app modules: each link held by its own module, ids unique", () => {
    const links = linkCatalogue({ changesHref: () => undefined });
    expect(new Set(links.map((l) => l.id)).size).toBe(links.length);
    for (const m of APP_MODULE_LIST) for (const l of m.integrations(APP_MODULE_LIST)) expect(l.from).toBe(m.id);
    expect(links.map((l) => l.id)).toEqual(
      expect.arrayContaining(["sonarr->qbittorrent", "sonarr->sabnzbd", "radarr->rootfolder", "prowlarr->lidarr", "prowlarr->flaresolverr", "bazarr->radarr", "jellyseerr->jellyfin", "seerr->sonarr", "unpackerr->sonarr"]),
    );
    expect(links.filter((l) => l.phase === 1).every((l) => l.kind === "root-folder" || l.kind === "download-client")).toBe(true);
  });
});

describe("key statuses", () => {
  it("a key the cluster refuses the panel is `forbidden` with the reason; a missing one says what to put where", async () => {
    const end = (app: "sonarr" | "radarr") => ({
      app,
      serviceId: `media/${app}`,
      namespace: "media",
      name: APP_MODULES[app].displayName,
      panelUrl: `http://127.0.0.1:9/${app}`,
      inCluster: parseInCluster(`http://${app}.media.svc.cluster.local:8989/${app}`),
      timeoutMs: 500,
    });
    const sonarr = { ...end("sonarr"), credentialProblem: "API key not readable: The panel may not read Secret media/starr-secrets (RBAC)" };
    const radarr = { ...end("radarr"), credentialProblem: "API key missing: Secret media/starr-secrets has no RADARR_API_KEY" };
    const resolution = (app: "sonarr" | "radarr", credentialError: "forbidden" | "missing", problem: string) => ({
      serviceId: `media/${app}`,
      module: APP_MODULES[app],
      target: { baseUrl: `http://127.0.0.1:9/${app}`, timeoutMs: 500 },
      credentialProblem: problem,
      credentialError,
      fingerprint: app,
    });
    const statuses = await readKeyStatuses({
      ends: new Map([
        ["sonarr", [sonarr]],
        ["radarr", [radarr]],
      ]),
      resolutions: new Map([
        ["media/sonarr", resolution("sonarr", "forbidden", sonarr.credentialProblem)],
        ["media/radarr", resolution("radarr", "missing", radarr.credentialProblem)],
      ]),
      services: [],
      notices: [],
    });
    expect(statuses.map((k) => [k.app, k.verdict])).toEqual([
      ["radarr", "missing"],
      ["sonarr", "forbidden"],
    ]);
    expect(statuses[1]?.message).toContain("(RBAC)");
    expect(statuses[0]?.message).toContain("Put RADARR_API_KEY");
  });
});
