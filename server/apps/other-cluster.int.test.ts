import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labIntegrationSettings, type LabIntegrationJson } from "@/e2e/support/lab-integrations";
import type { LabJson } from "@/lab/lab";
import { REPO_ROOT } from "@/lab/paths";
import { parsePanelConfig } from "@/lib/config-schema";
import type { AppHealth, DiscoveredService } from "@/lib/services";
import { createDiscovery, type Discovery } from "@/server/k8s/discovery";
import { createInformerSet, type InformerSet } from "@/server/k8s/informers";
import { SecretReader } from "@/server/k8s/secrets";
import { createWorkloadEnvReader } from "@/server/k8s/workloads";
import type { AppResolution } from "./define";
import { resolveApp, type ResolveDeps } from "./resolve";
import { UrlBaseVerifier } from "./url-base";

/**
 * Discovery on a cluster built differently from k8s_nas: a second lab (own LAB_DIR, own ports, its
 * apps and simulators) seeded from a small repository with the shapes other home clusters use, read
 * by the panel's own chain (informers, discovery, URL base verification, credential lookup, health):
 * - Jellyfin behind an Ingress that strips `/jellyfin` with a regex rewrite, while Jellyfin keeps
 *   `BaseUrl` `/jellyfin` in a network.xml an init container copies from a ConfigMap;
 * - Sonarr behind a Traefik IngressRoute with a strip-prefix Middleware (Sonarr serves at `/`);
 * - Radarr behind a Gateway API HTTPRoute on its own host, with its base in its env;
 * - Prowlarr with a wrong `k8s-nas-panel/url-base` annotation;
 * - every key in a Secret the workloads reference and Git does not define;
 * - Prometheus (the lab's real one).
 */

const NS = "media";
const REPO_URL = "https://git.example/other-home.git";

const files: Record<string, string> = {
  "bootstrap/root.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: media, namespace: argocd }
spec:
  project: default
  source: { repoURL: '${REPO_URL}', path: apps/media, targetRevision: main }
  destination: { server: https://kubernetes.default.svc, namespace: ${NS} }
  syncPolicy: { syncOptions: [CreateNamespace=true] }
`,
  "apps/media/kustomization.yaml": "resources:\n- jellyfin.yaml\n- sonarr.yaml\n- radarr.yaml\n- prowlarr.yaml\n- prometheus.yaml\n",
  "apps/media/jellyfin.yaml": `apiVersion: v1
kind: ConfigMap
metadata: { name: jellyfin-network }
data:
  network.xml: |
    <?xml version="1.0" encoding="utf-8"?>
    <NetworkConfiguration><BaseUrl>/jellyfin</BaseUrl><EnableHttps>false</EnableHttps></NetworkConfiguration>
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: jellyfin }
spec:
  selector: { matchLabels: { app: jellyfin } }
  template:
    metadata: { labels: { app: jellyfin } }
    spec:
      initContainers:
      - { name: network, image: busybox:1.37, command: [sh, -c, 'cp /defaults/network.xml /config/network.xml'], volumeMounts: [{ name: defaults, mountPath: /defaults }, { name: config, mountPath: /config }] }
      containers:
      - { name: jellyfin, image: jellyfin/jellyfin:10.11.0, ports: [{ name: http, containerPort: 8096 }], volumeMounts: [{ name: config, mountPath: /config }] }
      volumes:
      - { name: defaults, configMap: { name: jellyfin-network } }
      - { name: config, emptyDir: {} }
---
apiVersion: v1
kind: Service
metadata: { name: jellyfin }
spec: { selector: { app: jellyfin }, ports: [{ name: http, port: 8096, targetPort: http }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: jellyfin
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: /$1
spec:
  ingressClassName: nginx
  tls: [{ hosts: [media.home.example], secretName: media-tls }]
  rules:
  - host: media.home.example
    http: { paths: [{ path: /jellyfin/(.*), pathType: ImplementationSpecific, backend: { service: { name: jellyfin, port: { number: 8096 } } } }] }
`,
  "apps/media/sonarr.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: { name: sonarr }
spec:
  selector: { matchLabels: { app: sonarr } }
  template:
    metadata: { labels: { app: sonarr } }
    spec:
      containers:
      - name: sonarr
        image: lscr.io/linuxserver/sonarr:4.0.15
        ports: [{ containerPort: 8989 }]
        env: [{ name: SONARR__AUTH__APIKEY, valueFrom: { secretKeyRef: { name: sonarr-api, key: api-key } } }]
---
apiVersion: v1
kind: Service
metadata: { name: sonarr }
spec: { selector: { app: sonarr }, ports: [{ port: 8989 }] }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: strip-sonarr }
spec: { stripPrefix: { prefixes: [/sonarr] } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: sonarr }
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(\`media.home.example\`) && PathPrefix(\`/sonarr\`)
    kind: Rule
    middlewares: [{ name: strip-sonarr }]
    services: [{ name: sonarr, port: 8989 }]
  tls: {}
`,
  "apps/media/radarr.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: { name: radarr }
spec:
  selector: { matchLabels: { app: radarr } }
  template:
    metadata: { labels: { app: radarr } }
    spec:
      containers:
      - name: radarr
        image: ghcr.io/hotio/radarr:release-6.0.4
        ports: [{ containerPort: 7878 }]
        env:
        - { name: RADARR__SERVER__URLBASE, value: /radarr }
        - { name: RADARR__AUTH__APIKEY, valueFrom: { secretKeyRef: { name: arr-keys, key: radarr } } }
---
apiVersion: v1
kind: Service
metadata: { name: radarr }
spec: { selector: { app: radarr }, ports: [{ port: 7878 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: home }
spec:
  gatewayClassName: traefik
  listeners:
  - { name: https, protocol: HTTPS, port: 443, hostname: '*.home.example', tls: { certificateRefs: [{ name: home-tls }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: radarr }
spec:
  parentRefs: [{ name: home }]
  hostnames: [radarr.home.example]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /radarr } }]
    backendRefs: [{ name: radarr, port: 7878 }]
`,
  "apps/media/prowlarr.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: prowlarr
  annotations: { k8s-nas-panel/url-base: /indexers }
spec:
  selector: { matchLabels: { app: prowlarr } }
  template:
    metadata: { labels: { app: prowlarr } }
    spec:
      containers:
      - name: prowlarr
        image: lscr.io/linuxserver/prowlarr:2.0.5
        ports: [{ containerPort: 9696 }]
        env: [{ name: PROWLARR__SERVER__URLBASE, value: /prowlarr }]
        envFrom: [{ prefix: PROWLARR__, secretRef: { name: prowlarr-env } }]
---
apiVersion: v1
kind: Service
metadata: { name: prowlarr }
spec: { selector: { app: prowlarr }, ports: [{ port: 9696 }] }
`,
  "apps/media/prometheus.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: { name: prometheus }
spec:
  selector: { matchLabels: { app: prometheus } }
  template:
    metadata: { labels: { app: prometheus } }
    spec:
      containers: [{ name: prometheus, image: quay.io/prometheus/prometheus:v3.5.0, ports: [{ containerPort: 9090 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: prometheus }
spec: { selector: { app: prometheus }, ports: [{ port: 9090 }] }
`,
};

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

function pidsOf(labDir: string): number[] {
  const dir = path.join(labDir, "pids");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => Number(readFileSync(path.join(dir, f), "utf8").trim()));
}

describe("discovery on a cluster built differently", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lab-other-cluster-"));
  const repo = path.join(tmp, "repo");
  const labDir = path.join(tmp, "lab");
  const env = { LAB_DIR: labDir, LAB_GITOPS_REPO: repo, LAB_GITEA: "0" };
  let lab: LabJson;
  let upOutput = "";
  let kc: KubeConfig;
  let informers: InformerSet | undefined;
  let discovery: Discovery | undefined;
  let services: DiscoveredService[] = [];
  let deps: ResolveDeps;
  const verifier = new UrlBaseVerifier();

  beforeAll(async () => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      writeFileSync(path.join(repo, f), text);
    }
    const up = await runCli(["up"], env);
    upOutput = up.out;
    expect(up.code, up.out.slice(-4000)).toBe(0);
    lab = JSON.parse(readFileSync(path.join(labDir, "lab.json"), "utf8")) as LabJson;
    kc = new KubeConfig();
    kc.loadFromFile(lab.kubeconfig);
    informers = createInformerSet({ kc, namespaces: [NS], debounceMs: 100 }).start();
    discovery = createDiscovery(informers, { syncTimeoutMs: 30_000 });
    const t0 = Date.now();
    while (!Object.values(discovery.getKubeState().kinds).every((k) => k.synced) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
    services = await discovery.listServices();
    const settings = labIntegrationSettings(lab as unknown as LabIntegrationJson);
    const parsed = parsePanelConfig({ addressMap: settings.config.addressMap, apps: settings.config.apps });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const secrets = new SecretReader(kc);
    deps = {
      config: parsed.config,
      readSecretValue: (ns, name, key) => secrets.readSecretValue(ns, name, key),
      readWorkloadEnv: createWorkloadEnvReader(kc, { timeoutMs: 5000 }),
      env: settings.env,
      timeoutMs: 5000,
      urlBases: verifier,
    };
  }, 600_000);

  afterAll(async () => {
    discovery?.close();
    informers?.stop();
    if (pidsOf(labDir).length > 0) await runCli(["down", "--purge"], env);
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it("seeds the Traefik and Gateway API objects (their CRDs come from the projects' Go modules) and skips nothing", () => {
    expect(upOutput).toMatch(/crds: \d+ applied and Established/);
    const seed = JSON.parse(readFileSync(path.join(labDir, "seed-state.json"), "utf8")) as { skipped: { object: string }[] };
    expect(seed.skipped).toEqual([]);
  });

  it("creates the Secrets the workloads reference and Git does not define, says so, and the simulators use their keys", async () => {
    for (const id of [`${NS}/sonarr-api`, `${NS}/arr-keys`, `${NS}/prowlarr-env`]) {
      expect(upOutput).toContain(`Secret ${id}: not in the repository, created by the lab with generated values`);
    }
    expect(lab.secrets[`${NS}/sonarr-api`]?.["api-key"]).toMatch(/^[0-9a-f]{32}$/);
    expect(lab.secrets[`${NS}/arr-keys`]?.radarr).toMatch(/^[0-9a-f]{32}$/);
    expect(lab.secrets[`${NS}/prowlarr-env`]?.AUTH__APIKEY).toMatch(/^[0-9a-f]{32}$/);
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.readNamespacedSecret({ namespace: NS, name: "sonarr-api" });
    expect(Buffer.from(created.data?.["api-key"] ?? "", "base64").toString()).toBe(lab.secrets[`${NS}/sonarr-api`]?.["api-key"]);
    const apps = lab.apps as Record<string, { apiKey?: string; apiKeySource?: string }>;
    expect(apps.sonarr).toMatchObject({ apiKey: lab.secrets[`${NS}/sonarr-api`]?.["api-key"], apiKeySource: "workload" });
    expect(apps.radarr).toMatchObject({ apiKey: lab.secrets[`${NS}/arr-keys`]?.radarr, apiKeySource: "workload" });
    expect(apps.prowlarr).toMatchObject({ apiKey: lab.secrets[`${NS}/prowlarr-env`]?.AUTH__APIKEY, apiKeySource: "workload" });
  });

  it("shows every service up (or degraded by its own report), with the right URL, verified base and key source", async () => {
    const byName = (n: string) => services.find((s) => s.id === `${NS}/${n}`);
    const expected: Record<string, { kind: string; urls: string[]; base: string; why: RegExp; key?: string }> = {
      jellyfin: { kind: "jellyfin", urls: ["https://media.home.example/jellyfin/"], base: "/jellyfin", why: /^Ingress jellyfin path \/jellyfin before its rewrite$/ },
      sonarr: { kind: "sonarr", urls: ["https://media.home.example/sonarr"], base: "", why: /IngressRoute sonarr .*strip-sonarr|the root/, key: "Secret media/sonarr-api, key api-key (named by SONARR__AUTH__APIKEY)" },
      radarr: { kind: "radarr", urls: ["https://radarr.home.example/radarr"], base: "/radarr", why: /env RADARR__SERVER__URLBASE/, key: "Secret media/arr-keys, key radarr (named by RADARR__AUTH__APIKEY)" },
      prowlarr: { kind: "prowlarr", urls: [], base: "/prowlarr", why: /env PROWLARR__SERVER__URLBASE/, key: "Secret media/prowlarr-env, key AUTH__APIKEY (envFrom, as PROWLARR__AUTH__APIKEY)" },
      prometheus: { kind: "prometheus", urls: [], base: "", why: /.*/ },
    };
    const rows: string[] = [];
    const resolutions: Record<string, AppResolution> = {};
    for (const [name, want] of Object.entries(expected)) {
      const s = byName(name);
      expect(s, name).toBeDefined();
      if (!s) continue;
      expect([s.appKind, s.ingressUrls], name).toEqual([want.kind, want.urls]);
      const r = await resolveApp(s, deps);
      expect(r, name).toBeDefined();
      if (!r) continue;
      resolutions[name] = r;
      const h: AppHealth = await r.module.connect(r.target).health();
      rows.push(`${name}: ${h.status} ${h.version ?? "-"} base "${r.urlBase?.urlBase}" (${r.urlBase?.state}: ${r.urlBase?.reason}) key: ${r.credentialSource ?? r.credentialProblem ?? "none needed"}`);
      // Up, or degraded only because the app itself says so (a fresh Sonarr has no download client yet),
      // never because the panel failed to reach or read it.
      expect([name, ["up", "degraded"].includes(h.status), h.errorCode ?? null], `${name}: ${h.status} ${h.detail ?? ""}`).toEqual([name, true, null]);
      if (h.status === "degraded") expect(h.checks.filter((c) => c.status !== "up").every((c) => c.origin !== "probe"), name).toBe(true);
      expect(h.version, name).toBeTruthy();
      expect(r.urlBase, name).toMatchObject({ urlBase: want.base, state: "verified" });
      expect(r.urlBase?.reason, name).toMatch(want.why);
      expect(r.target.urlBase, name).toBe(want.base);
      if (want.key) expect(r.credentialSource, name).toBe(want.key);
      expect(r.credentialProblem, name).toBeUndefined();
    }
    console.log(`[other-cluster]\n${rows.join("\n")}`);
    // Jellyfin: the root (the Ingress's rewrite) was tried first and refused; the app answers under /jellyfin.
    expect(resolutions.jellyfin?.urlBase?.tried.map((t) => [t.urlBase, t.ok])).toEqual(
      expect.arrayContaining([
        ["", false],
        ["/jellyfin", true],
      ]),
    );
    // Prowlarr: the annotation names a base the app does not answer under; it is reported as wrong.
    expect(resolutions.prowlarr?.urlBase?.wrongAnnotation).toMatch(
      /^The annotation k8s-nas-panel\/url-base says \/indexers, but Prowlarr does not answer there \(.*\); it answers under \/prowlarr \(env PROWLARR__SERVER__URLBASE\)\. Fix or remove the annotation\.$/,
    );
    expect(resolutions.prowlarr?.urlBase?.tried[0]).toMatchObject({ urlBase: "/indexers", source: "annotation", ok: false });
  });

  it("verifies once per app: at most one request per candidate, none on the next resolution", async () => {
    const apps = services.filter((s) => verifier.current(s.id) !== undefined);
    expect(apps.length).toBeGreaterThanOrEqual(5);
    for (const s of apps) {
      const outcome = verifier.current(s.id);
      // One trial (one request) per candidate at most, each candidate once.
      const bases = outcome?.tried.map((t) => t.urlBase) ?? [];
      expect(new Set(bases).size, s.id).toBe(bases.length);
      expect(bases.length, s.id).toBeLessThanOrEqual(s.urlBaseCandidates?.length ?? 1);
      const again = await resolveApp(s, deps);
      expect(again?.urlBaseCheckedNow, s.id).toBe(false);
      expect(again?.urlBase?.at, s.id).toBe(outcome?.at);
    }
  });
});
