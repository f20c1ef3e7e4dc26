import { describe, expect, it } from "vitest";
import { parsePanelConfig, type PanelConfig } from "@/lib/config-schema";
import { AppError } from "@/lib/errors";
import type { DiscoveredService } from "@/lib/services";
import type { AppKind } from "@/lib/apps/catalogue";
import { AppInstances } from "./instances";
import type { WorkloadEnvVar } from "@/server/k8s/workloads";
import { baseUrlOf, resolveApp, secretKeysFor, type ResolveDeps } from "./resolve";
import { APP_MODULES } from "./registry";

function service(name: string, appKind: AppKind, over: Partial<DiscoveredService> = {}): DiscoveredService {
  return {
    id: `media/${name}`,
    namespace: "media",
    name,
    workloadKind: "Deployment",
    appKind,
    kindSource: "image",
    displayName: name,
    images: [],
    service: { name, ports: [] },
    urlBase: "",
    ingressUrls: [],
    pvcs: [],
    kube: { desired: 1, ready: 1, available: 1, updated: 1, pods: [], warnings: [], conditions: [] },
    ...over,
  };
}

function config(raw: unknown = {}): PanelConfig {
  const parsed = parsePanelConfig(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

const SECRETS: Record<string, Record<string, string>> = {
  "media/starr-secrets": { SONARR_API_KEY: "sonarr-key-0000000000000000", QBITTORRENT_PASSWORD: "qbit-pass" },
  "media/radarr-own": { RADARR_API_KEY: "radarr-own-key-000000000000" },
  "media/lidarr-env": { key: "lidarr-from-env-ref-00000000" },
  "media/prowlarr-env": { AUTH__APIKEY: "prowlarr-from-envfrom-000000" },
};

function deps(over: Partial<ResolveDeps> = {}, env: WorkloadEnvVar[] = []): ResolveDeps {
  return {
    config: config(),
    readSecretValue: (ns, name, key) => {
      const s = SECRETS[`${ns}/${name}`];
      if (!s) return Promise.reject(new AppError("not_found", `Secret ${ns}/${name} does not exist.`));
      return Promise.resolve(s[key]);
    },
    readWorkloadEnv: () => Promise.resolve(env),
    env: {},
    timeoutMs: 5000,
    ...over,
  };
}

describe("baseUrlOf", () => {
  const sonarr = service("sonarr", "sonarr", {
    urlBase: "/sonarr",
    inClusterUrl: "http://sonarr.media.svc.cluster.local:8989/sonarr",
    service: { name: "sonarr", ports: [{ name: "http", port: 8989 }] },
  });

  it("uses the in-cluster address with the URL base", () => {
    expect(baseUrlOf(sonarr, APP_MODULES.sonarr, {})).toBe("http://sonarr.media.svc.cluster.local:8989/sonarr");
  });

  it("rewrites through the address map, keeping the URL base", () => {
    expect(baseUrlOf(sonarr, APP_MODULES.sonarr, { "sonarr.media": "http://127.0.0.1:41000/" })).toBe("http://127.0.0.1:41000/sonarr");
  });

  it("Gluetun's control server is port 8000 whatever the Service lists; :port keys of the address map", () => {
    const vpn = service("vpn", "gluetun", {
      inClusterUrl: "http://vpn.media.svc.cluster.local:8888",
      service: { name: "vpn", ports: [{ name: "http-proxy", port: 8888 }, { name: "sonarr", port: 8989 }] },
    });
    expect(baseUrlOf(vpn, APP_MODULES.gluetun, {})).toBe("http://vpn.media.svc.cluster.local:8000");
    const sab = service("sabnzbd", "sabnzbd", { service: { name: "sabnzbd", ports: [{ port: 8080 }] }, urlBase: "/sabnzbd" });
    expect(baseUrlOf(sab, APP_MODULES.sabnzbd, { "sabnzbd.media": "http://127.0.0.1:3" })).toBe("http://127.0.0.1:3/sabnzbd");
    expect(baseUrlOf(vpn, APP_MODULES.gluetun, { "vpn.media": "http://127.0.0.1:1", "vpn.media:8000": "http://127.0.0.1:2" })).toBe("http://127.0.0.1:2");
  });

  it("without Service or in-cluster URL falls back to the app's port", () => {
    expect(baseUrlOf(service("jf", "jellyfin"), APP_MODULES.jellyfin, {})).toBe("http://jf.media.svc.cluster.local:8096");
  });
});

describe("resolveApp credentials", () => {
  it("a second instance looks for its own key first", async () => {
    expect(secretKeysFor({ name: "sonarr" }, { id: "sonarr" }, "SONARR_API_KEY")).toEqual(["SONARR_API_KEY"]);
    expect(secretKeysFor({ name: "sonarr-4k" }, { id: "sonarr" }, "SONARR_API_KEY")).toEqual(["SONARR_4K_API_KEY", "SONARR_API_KEY"]);
    expect(secretKeysFor({ name: "vpn" }, { id: "gluetun" }, "GLUETUN_API_KEY")).toEqual(["GLUETUN_VPN_API_KEY", "GLUETUN_API_KEY"]);
    expect(secretKeysFor({ name: "qbit" }, { id: "qbittorrent" }, "QBITTORRENT_PASSWORD")).toEqual(["QBITTORRENT_QBIT_PASSWORD", "QBITTORRENT_PASSWORD"]);
    const fourK = await resolveApp(service("sonarr-4k", "sonarr"), deps());
    expect(fourK?.target.apiKey).toBe("sonarr-key-0000000000000000");
    const missing = await resolveApp(service("radarr-4k", "radarr"), deps());
    expect(missing?.credentialProblem).toBe("API key missing: Secret media/starr-secrets has no RADARR_4K_API_KEY or RADARR_API_KEY");
  });

  it("reads the key from the default Secret", async () => {
    const r = await resolveApp(service("sonarr", "sonarr"), deps());
    expect(r?.target.apiKey).toBe("sonarr-key-0000000000000000");
    expect(r?.credentialSource).toBe("Secret media/starr-secrets, key SONARR_API_KEY");
    expect(r?.credentialProblem).toBeUndefined();
  });

  it("says exactly what is missing, without failing", async () => {
    const r = await resolveApp(service("radarr", "radarr"), deps());
    expect(r?.target.apiKey).toBeUndefined();
    expect(r?.credentialProblem).toBe("API key missing: Secret media/starr-secrets has no RADARR_API_KEY");
    const gone = await resolveApp(service("sonarr", "sonarr"), deps({ config: config({ apps: { secretRefs: { default: { namespace: "media", name: "nope" } } } }) }));
    expect(gone?.credentialProblem).toBe("API key missing: Secret media/nope does not exist.");
  });

  it("a Secret the cluster refuses the panel is reported as forbidden with the RBAC to grant, not as a missing key", async () => {
    const forbidden = new AppError("forbidden", "The panel may not read Secret media/starr-secrets (RBAC): grant \"get\" on secrets with resourceNames [starr-secrets]");
    const r = await resolveApp(service("sonarr", "sonarr"), deps({ readSecretValue: () => Promise.reject(forbidden) }));
    expect(r?.target.apiKey).toBeUndefined();
    expect(r?.credentialError).toBe("forbidden");
    expect(r?.credentialProblem).toBe(`API key not readable: ${forbidden.message}`);
    const down = await resolveApp(service("sonarr", "sonarr"), deps({ readSecretValue: () => Promise.reject(new AppError("unreachable", "Cannot read Secret media/starr-secrets: connection refused.")) }));
    expect([down?.credentialError, down?.credentialProblem]).toEqual(["unreadable", "API key not readable: Cannot read Secret media/starr-secrets: connection refused."]);
  });

  it("a workload the panel may not read is forbidden unless the default Secret holds the key", async () => {
    const refused = () => Promise.reject(new AppError("forbidden", "the panel may not read Deployment media/radarr (RBAC)"));
    const r = await resolveApp(service("radarr", "radarr"), { ...deps(), readWorkloadEnv: refused });
    expect(r?.credentialError).toBe("forbidden");
    expect(r?.credentialProblem).toMatch(/^API key not readable: RADARR__AUTH__APIKEY of Deployment media\/radarr could not be read \(the panel may not read Deployment media\/radarr \(RBAC\)\); API key missing: Secret media\/starr-secrets has no RADARR_API_KEY$/);
    const found = await resolveApp(service("sonarr", "sonarr"), { ...deps(), readWorkloadEnv: refused });
    expect([found?.target.apiKey, found?.credentialError]).toEqual(["sonarr-key-0000000000000000", undefined]);
  });

  it("a per-app Secret wins over the workload's variable and the default", async () => {
    const cfg = config({ apps: { secretRefs: { default: { namespace: "media", name: "starr-secrets" }, radarr: { namespace: "media", name: "radarr-own" } } } });
    const r = await resolveApp(service("radarr", "radarr"), deps({ config: cfg }, [{ name: "RADARR__AUTH__APIKEY", value: "literal" }]));
    expect(r?.target.apiKey).toBe("radarr-own-key-000000000000");
  });

  it("understands the *__AUTH__APIKEY convention: a literal or a secretKeyRef", async () => {
    const literal = await resolveApp(service("radarr", "radarr"), deps({}, [{ name: "RADARR__AUTH__APIKEY", value: "radarr-literal-key" }]));
    expect(literal?.target.apiKey).toBe("radarr-literal-key");
    expect(literal?.credentialSource).toBe("Deployment media/radarr, variable RADARR__AUTH__APIKEY");
    const ref = await resolveApp(service("lidarr", "lidarr"), deps({}, [{ name: "LIDARR__AUTH__APIKEY", secretKeyRef: { name: "lidarr-env", key: "key" } }]));
    expect(ref?.target.apiKey).toBe("lidarr-from-env-ref-00000000");
    const missing = await resolveApp(service("lidarr", "lidarr"), deps({}, [{ name: "LIDARR__AUTH__APIKEY", secretKeyRef: { name: "lidarr-env", key: "other" } }]));
    expect(missing?.credentialProblem).toBe("API key missing: Secret media/lidarr-env has no other (named by LIDARR__AUTH__APIKEY)");
  });

  it("reads a key from a Secret the container takes whole (envFrom, less its prefix); an explicit variable wins", async () => {
    const whole = await resolveApp(service("prowlarr", "prowlarr"), deps({}, [{ name: "PROWLARR__*", envFrom: { secretName: "prowlarr-env", prefix: "PROWLARR__" } }]));
    expect(whole?.target.apiKey).toBe("prowlarr-from-envfrom-000000");
    expect(whole?.credentialSource).toBe("Secret media/prowlarr-env, key AUTH__APIKEY (envFrom, as PROWLARR__AUTH__APIKEY)");
    const both = await resolveApp(
      service("prowlarr", "prowlarr"),
      deps({}, [
        { name: "PROWLARR__*", envFrom: { secretName: "prowlarr-env", prefix: "PROWLARR__" } },
        { name: "PROWLARR__AUTH__APIKEY", value: "explicit" },
      ]),
    );
    expect(both?.target.apiKey).toBe("explicit");
    // A whole Secret without the key: the lookup goes on to the apps' Secret.
    const other = await resolveApp(service("sonarr", "sonarr"), deps({}, [{ name: "*", envFrom: { secretName: "prowlarr-env", prefix: "" } }]));
    expect(other?.credentialSource).toBe("Secret media/starr-secrets, key SONARR_API_KEY");
  });

  it("apps.credentials from the panel's environment", async () => {
    const cfg = config({ apps: { credentials: { sonarr: { apiKeyEnv: "MY_SONARR_KEY" }, qbittorrent: { username: "lab", passwordEnv: "QB_PW" } } } });
    const s = await resolveApp(service("sonarr", "sonarr"), deps({ config: cfg, env: { MY_SONARR_KEY: "from-env" } }));
    expect(s?.target.apiKey).toBe("from-env");
    const unset = await resolveApp(service("sonarr", "sonarr"), deps({ config: cfg }));
    expect(unset?.credentialProblem).toBe("API key missing: environment variable MY_SONARR_KEY is not set");
    const q = await resolveApp(service("qbittorrent", "qbittorrent"), deps({ config: cfg, env: { QB_PW: "pw" } }));
    expect(q?.target).toMatchObject({ username: "lab", password: "pw" });
  });

  it("qBittorrent's login from the Secret with the default user", async () => {
    const q = await resolveApp(service("qbittorrent", "qbittorrent"), deps());
    expect(q?.target).toMatchObject({ username: "admin", password: "qbit-pass" });
  });

  it("kinds without a module resolve to nothing; the fingerprint follows the credentials", async () => {
    expect(await resolveApp(service("unpackerr", "unpackerr"), deps())).toBeUndefined();
    const a = await resolveApp(service("radarr", "radarr"), deps({}, [{ name: "RADARR__AUTH__APIKEY", value: "one" }]));
    const b = await resolveApp(service("radarr", "radarr"), deps({}, [{ name: "RADARR__AUTH__APIKEY", value: "two" }]));
    expect(a?.fingerprint).not.toBe(b?.fingerprint);
    expect(a?.fingerprint).not.toContain("one");
    const instances = new AppInstances();
    const first = instances.get(a!);
    expect(instances.get(a!)).toBe(first);
    expect(instances.get(b!)).not.toBe(first);
    instances.prune([]);
    expect(instances.size).toBe(0);
  });
});

describe("resolveApp: a credential goes only to the workloads the owner meant", () => {
  const elsewhere = (name: string, appKind: AppKind, namespace: string, over: Partial<DiscoveredService> = {}) =>
    service(name, appKind, { id: `${namespace}/${name}`, namespace, ...over });

  it("a look-alike in another namespace gets no key from the Secret, and says why", async () => {
    const r = await resolveApp(elsewhere("sonarr", "sonarr", "homepage"), deps());
    expect(r?.target.apiKey).toBeUndefined();
    expect(r?.credentialError).toBe("withheld");
    expect(r?.credentialProblem).toBe(
      "API key withheld: it belongs to namespace media and homepage/sonarr is in namespace homepage; add homepage/sonarr to apps.keyRecipients to send it anyway",
    );
    expect(JSON.stringify(r)).not.toContain("sonarr-key-0000000000000000");
  });

  it("qBittorrent's password likewise, from the Secret or from the panel's environment", async () => {
    const fromSecret = await resolveApp(elsewhere("qbittorrent", "qbittorrent", "qbittorrent"), deps());
    expect(fromSecret?.target.password).toBeUndefined();
    expect(fromSecret?.credentialProblem).toMatch(/^qBittorrent password withheld: it belongs to namespace media/);
    const cfg = config({ apps: { credentials: { qbittorrent: { passwordEnv: "QB_PW" } } } });
    const fromEnv = await resolveApp(elsewhere("qbit", "qbittorrent", "homepage"), deps({ config: cfg, env: { QB_PW: "pw-from-env" } }));
    expect(fromEnv?.target.password).toBeUndefined();
    expect(fromEnv?.credentialError).toBe("withheld");
  });

  it("apps.keyRecipients opts a workload in: another namespace, a NodePort or LoadBalancer Service", async () => {
    const cfg = config({ apps: { keyRecipients: ["qbittorrent/qbittorrent", "media/sonarr"] } });
    const qb = await resolveApp(elsewhere("qbittorrent", "qbittorrent", "qbittorrent"), deps({ config: cfg }));
    expect(qb?.target).toMatchObject({ username: "admin", password: "qbit-pass" });
    const lb = service("sonarr", "sonarr", { service: { name: "sonarr", ports: [], type: "LoadBalancer" } });
    expect((await resolveApp(lb, deps()))?.credentialProblem).toBe(
      "API key withheld: Service media/sonarr is of type LoadBalancer, not ClusterIP; add media/sonarr to apps.keyRecipients to send it anyway",
    );
    expect((await resolveApp(lb, deps({ config: cfg })))?.target.apiKey).toBe("sonarr-key-0000000000000000");
  });

  it("an ExternalName Service never gets a key, opted in or not; a workload without a Service needs the opt-in", async () => {
    const ext = service("sonarr", "sonarr", { service: { name: "sonarr", ports: [{ port: 8989 }], type: "ExternalName" } });
    const cfg = config({ apps: { keyRecipients: ["media/sonarr"] } });
    for (const c of [config(), cfg]) {
      const r = await resolveApp(ext, deps({ config: c }));
      expect(r?.target.apiKey).toBeUndefined();
      expect(r?.credentialProblem).toBe(
        "API key withheld: Service media/sonarr is of type ExternalName, whose address leaves the cluster; the panel never sends a credential there",
      );
    }
    const { service: _none, ...bare } = service("sonarr", "sonarr");
    expect((await resolveApp(bare, deps()))?.credentialProblem).toBe("API key withheld: media/sonarr has no ClusterIP Service; add media/sonarr to apps.keyRecipients to send it anyway");
    expect((await resolveApp(bare, deps({ config: cfg })))?.target.apiKey).toBe("sonarr-key-0000000000000000");
  });

  it("a workload's own variable stays with it: the key from its own namespace is sent back to it", async () => {
    const own = elsewhere("radarr", "radarr", "homepage");
    const r = await resolveApp(own, deps({}, [{ name: "RADARR__AUTH__APIKEY", value: "its-own-key" }]));
    expect(r?.target.apiKey).toBe("its-own-key");
  });
});
