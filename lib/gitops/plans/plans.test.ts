import { parseAllDocuments, parse } from "yaml";
import { describe, expect, it } from "vitest";
import { planChange } from "../change-kinds";
import { unifiedDiff } from "../diff";
import { fixtureRepo } from "../fixture-repo.test-helper";
import { renderedFiles, planAddResource } from "../kustomize";
import { memoryRepo, type RepoView } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { findWorkloads } from "../workloads";
import { probeGaps } from "./health-probes";

const repo = fixtureRepo();
const ctx = (view: RepoView = repo): PlanContext => ({
  repo: view,
  appsPath: "apps",
  secretRefs: { default: { namespace: "media", name: "starr-secrets" } },
});

/** The repository after applying a plan's files. */
function applied(view: RepoView, plan: ChangePlan): RepoView {
  const files: Record<string, string> = {};
  for (const p of view.paths) {
    const t = view.read(p);
    if (t !== undefined) files[p] = t;
  }
  for (const f of plan.files) {
    if (f.after === null) delete files[f.path];
    else files[f.path] = f.after;
  }
  return memoryRepo(files, [...view.paths].filter((p) => view.read(p) === undefined));
}

function diffLinesOf(plan: ChangePlan): { added: string[]; removed: string[] } {
  const lines = plan.files.flatMap((f) => unifiedDiff(f).split("\n")).filter((l) => !l.startsWith("+++") && !l.startsWith("---"));
  return { added: lines.filter((l) => l.startsWith("+")), removed: lines.filter((l) => l.startsWith("-")) };
}

describe("workloads without probes in the fixture", () => {
  it("jellyfin and qbittorrent have none (and the *arr apps have theirs)", () => {
    const gaps = findWorkloads(repo, "apps").filter((w) => probeGaps(w).length > 0).map((w) => `${w.namespace}/${w.name}`);
    expect(gaps).toEqual(expect.arrayContaining(["media/jellyfin", "qbittorrent/qbittorrent"]));
    expect(gaps).not.toContain("media/sonarr");
  });
});

describe("health probes", () => {
  it("jellyfin: liveness and readiness on /health, port 8096; only those lines change", () => {
    const plan = planChange({ kind: "health-probes", target: "media/jellyfin" }, ctx());
    expect(plan.files.map((f) => f.path)).toEqual(["apps/media-services/jellyfin/deployment.yaml"]);
    const { added, removed } = diffLinesOf(plan);
    expect(removed).toEqual([]);
    expect(added.join("\n")).toBe(
      [
        "+        livenessProbe:",
        "+          httpGet:",
        "+            path: /health",
        "+            port: 8096",
        "+          initialDelaySeconds: 60",
        "+          periodSeconds: 30",
        "+          timeoutSeconds: 10",
        "+          failureThreshold: 3",
        "+        readinessProbe:",
        "+          httpGet:",
        "+            path: /health",
        "+            port: 8096",
        "+          initialDelaySeconds: 10",
        "+          periodSeconds: 10",
        "+          timeoutSeconds: 5",
        "+          failureThreshold: 3",
      ].join("\n"),
    );
    expect(plan.key).toBe("health-probes:media/jellyfin");
    expect(plan.notes.join(" ")).toContain('URL base "/" from ConfigMap key network.xml_NetworkConfiguration_BaseUrl');
    // A second plan on the result is "already so".
    const again = planChange({ kind: "health-probes", target: "jellyfin" }, ctx(applied(repo, plan)));
    expect(again.files).toEqual([]);
    expect(again.alreadySo).toContain("already has readiness and liveness probes");
  });

  it("qbittorrent: the WebUI page for qBittorrent and Gluetun's own check for the VPN sidecar", () => {
    const plan = planChange({ kind: "health-probes", target: "qbittorrent/qbittorrent" }, ctx());
    const after = plan.files[0]?.after ?? "";
    const deployment = parseAllDocuments(after)[0]?.toJS() as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    const [vpn, qbit] = deployment.spec.template.spec.containers;
    expect(vpn?.livenessProbe).toMatchObject({ exec: { command: ["/gluetun-entrypoint", "healthcheck"] } });
    expect(qbit?.readinessProbe).toMatchObject({ httpGet: { path: "/", port: 8080 } });
    expect(diffLinesOf(plan).removed).toEqual([]);
  });

  it("the *arr URL base comes from the init container (sonarr already has probes: already so)", () => {
    const plan = planChange({ kind: "health-probes", target: "sonarr" }, ctx());
    expect(plan.files).toEqual([]);
    const stripped = memoryRepo({
      "apps/s/deploy.yaml": (repo.read("apps/media-services/starr/sonarr-deployment.yaml") ?? "").replace(/\n        (liveness|readiness)Probe:\n(          .*\n)+/g, "\n"),
    });
    const fresh = planChange({ kind: "health-probes", target: "media/sonarr" }, ctx(stripped));
    expect(fresh.files[0]?.after).toContain("path: /sonarr/ping");
  });

  it("refuses unknown targets and unknown apps", () => {
    expect(() => planChange({ kind: "health-probes", target: "media/nothing" }, ctx())).toThrow(/No Deployment, StatefulSet or DaemonSet named media\/nothing/);
    expect(() => planChange({ kind: "health-probes", target: "media/unpackerr" }, ctx())).toThrow(/knows no health endpoint/);
  });
});

describe("kustomize layout", () => {
  it("knows which files each Argo CD source renders", () => {
    expect(renderedFiles(repo, "apps/media-services/jellyfin").has("apps/media-services/jellyfin/deployment.yaml")).toBe(true);
    expect(renderedFiles(repo, "apps/media-services/jellyfin").has("apps/media-services/jellyfin/network.xml")).toBe(true);
    // The media-services app renders starr/ only: jellyfin is deployed by its own Application.
    expect(renderedFiles(repo, "apps/media-services").has("apps/media-services/jellyfin/deployment.yaml")).toBe(false);
    expect(renderedFiles(repo, "apps/media-services").has("apps/media-services/starr/sonarr-deployment.yaml")).toBe(true);
    expect(renderedFiles(repo, "apps/media-services").has("apps/media-services/starr/unpackerr-deployment.yaml")).toBe(false);
  });

  it("adds a new resource to the kustomization of its folder", () => {
    const edit = planAddResource(repo, "apps/media-services/starr/unpackerr-deployment.yaml");
    expect(edit?.path).toBe("apps/media-services/starr/kustomization.yaml");
    expect(edit?.after?.endsWith("- jellyseerr-ingress.yaml\n- unpackerr-deployment.yaml\n")).toBe(true);
    expect(planAddResource(repo, "apps/media-services/starr/sonarr-deployment.yaml")).toBeUndefined();
  });
});

describe("unpackerr wiring", () => {
  const plan = planChange({ kind: "unpackerr-wiring" }, ctx());

  it("deploys it with URLs carrying the URL base and keys from the Secret; the placeholder Secret moves out", () => {
    expect(plan.files.map((f) => f.path)).toEqual([
      "apps/media-services/starr/unpackerr-deployment.yaml",
      "apps/media-services/starr/kustomization.yaml",
      "apps/media-services/starr/starr-secrets.example.yaml",
    ]);
    const deployment = parse(plan.files[0]?.after ?? "") as { kind: string; spec: { template: { spec: { containers: Array<{ env: Array<Record<string, unknown>> }> } } } };
    expect(deployment.kind).toBe("Deployment");
    const env = deployment.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "UN_SONARR_0_URL")).toEqual({ name: "UN_SONARR_0_URL", value: "http://sonarr.media.svc.cluster.local:8989/sonarr" });
    expect(env.find((e) => e.name === "UN_RADARR_0_URL")).toEqual({ name: "UN_RADARR_0_URL", value: "http://radarr.media.svc.cluster.local:7878/radarr" });
    expect(env.find((e) => e.name === "UN_SONARR_0_API_KEY")).toEqual({ name: "UN_SONARR_0_API_KEY", valueFrom: { secretKeyRef: { name: "starr-secrets", key: "SONARR_API_KEY" } } });
    expect(plan.files[0]?.after).not.toContain("kind: Secret");
    expect(plan.files[2]?.before).toBeNull();
    expect(plan.files[2]?.after).toContain('SONARR_API_KEY: ""     # Base64 encoded API key');
    expect(plan.notes.join(" ")).toContain(`UN_SONARR_0_URL was http://sonarr.media.svc.cluster.local:8989 (from ConfigMap starr-common-config key SONARR_URL); Sonarr serves under "/sonarr"`);
  });

  it("is already so once applied", () => {
    const again = planChange({ kind: "unpackerr-wiring" }, ctx(applied(repo, plan)));
    expect(again.files).toEqual([]);
    expect(again.alreadySo).toContain("already deployed and wired");
  });
});

describe("prometheus scrape", () => {
  it("carries the panel's metrics token from a Secret mounted into Prometheus's pod, never from Git", () => {
    const plan = planChange({ kind: "prometheus-scrape" }, { ...ctx(), metricsTokenRequired: true });
    expect(plan.files.map((f) => f.path)).toEqual(["apps/infrastructure/monitoring/prometheus-configmap.yaml", "apps/infrastructure/monitoring/prometheus-deployment.yaml"]);
    // As it renders: the job reads the token from the file the Secret volume provides.
    const configMap = parse(plan.files[0]?.after ?? "") as { data: Record<string, string> };
    const promYaml = parse(Object.values(configMap.data).find((v) => v.includes("scrape_configs")) ?? "") as { scrape_configs: Array<Record<string, unknown>> };
    const job = promYaml.scrape_configs.find((j) => j.job_name === "k8s-nas-panel");
    expect(job?.authorization).toEqual({ type: "Bearer", credentials_file: "/etc/prometheus-secrets/k8s-nas-panel/token" });
    const deployment = parse(plan.files[1]?.after ?? "") as {
      spec: { template: { spec: { volumes: Array<Record<string, unknown>>; containers: Array<{ volumeMounts: Array<Record<string, unknown>> }> } } };
    };
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "k8s-nas-panel-metrics-token", secret: { secretName: "k8s-nas-panel-metrics-token", optional: true } });
    expect(pod.containers[0]?.volumeMounts).toContainEqual({ name: "k8s-nas-panel-metrics-token", mountPath: "/etc/prometheus-secrets/k8s-nas-panel", readOnly: true });
    const everything = plan.files.map((f) => f.after ?? "").join("\n");
    expect(everything).not.toMatch(/PANEL_METRICS_TOKEN:|\btoken:\s*\S{8,}/);
    expect(plan.notes.join(" ")).toContain("kubectl -n monitoring create secret generic k8s-nas-panel-metrics-token");
    const { removed } = diffLinesOf(plan);
    expect(removed).toEqual([]);
    const again = planChange({ kind: "prometheus-scrape" }, { ...ctx(applied(repo, plan)), metricsTokenRequired: true });
    expect(again.alreadySo).toContain("already has a scrape job");
  });

  it("appends a job for /api/metrics to prometheus.yml in the ConfigMap, then is already so (metrics.public)", () => {
    const plan = planChange({ kind: "prometheus-scrape" }, ctx());
    expect(plan.files.map((f) => f.path)).toEqual(["apps/infrastructure/monitoring/prometheus-configmap.yaml"]);
    const { added, removed } = diffLinesOf(plan);
    expect(removed).toEqual([]);
    expect(added).toContain("+      - job_name: k8s-nas-panel");
    expect(added).toContain("+        metrics_path: /api/metrics");
    expect(added).toContain("+          - k8s-nas-panel.k8s-nas-panel.svc.cluster.local:80");
    const again = planChange({ kind: "prometheus-scrape" }, ctx(applied(repo, plan)));
    expect(again.alreadySo).toContain("already has a scrape job");
  });
});

describe("HTTPS only", () => {
  it("jellyfin-slash-redirect (no tls block, no ssl-redirect): adds both, with the Secret of the Certificate that covers the host", () => {
    const plan = planChange({ kind: "https-only", ingress: "media/jellyfin-slash-redirect" }, ctx());
    expect(plan.files.map((f) => f.path)).toEqual(["apps/media-services/jellyfin/ingress-redirect.yaml"]);
    const { added, removed } = diffLinesOf(plan);
    expect(removed).toEqual([]);
    expect(added.join("\n")).toBe(
      ['+    nginx.ingress.kubernetes.io/ssl-redirect: "true"', "+  tls:", "+  - hosts:", "+    - home.brettswift.com", "+    secretName: home-brettswift-com-tls"].join("\n"),
    );
    const after = parse(plan.files[0]?.after ?? "") as { spec: { tls: unknown[] } };
    expect(after.spec.tls).toEqual([{ hosts: ["home.brettswift.com"], secretName: "home-brettswift-com-tls" }]);
    expect(plan.notes.join(" ")).toContain("the Certificate argocd/home-brettswift-com-dns");
    expect(plan.notes.join(" ")).toContain("CronJob argocd/sync-cert-secret copies it");
    expect(plan).toMatchObject({ kind: "https-only", key: "https-only:media/jellyfin-slash-redirect", labels: ["k8s-nas-panel", "https-only"] });
  });

  it("an Ingress that already has both: already so", () => {
    const plan = planChange({ kind: "https-only", ingress: "media/sonarr-ingress" }, ctx());
    expect(plan.files).toEqual([]);
    expect(plan.alreadySo).toContain('ssl-redirect annotation is "true"');
  });

  it("a new host no Certificate covers: cert-manager's ClusterIssuer annotation and a Secret of its own", () => {
    const files: Record<string, string> = {};
    for (const p of repo.paths) files[p] = repo.read(p) ?? "";
    files["apps/homepage/base/status-ingress.yaml"] = [
      "apiVersion: networking.k8s.io/v1",
      "kind: Ingress",
      "metadata:",
      "  name: status",
      "  namespace: homepage",
      "  annotations:",
      '    nginx.ingress.kubernetes.io/ssl-redirect: "false" # for the old phone',
      "spec:",
      "  ingressClassName: nginx",
      "  rules:",
      "  - host: status.home.brettswift.com",
      "    http:",
      "      paths:",
      "      - path: /",
      "        pathType: Prefix",
      "        backend:",
      "          service:",
      "            name: homepage",
      "            port:",
      "              number: 80",
      "",
    ].join("\n");
    const plan = planChange({ kind: "https-only", ingress: "homepage/status" }, ctx(memoryRepo(files)));
    const after = plan.files[0]?.after ?? "";
    expect(after).toContain('nginx.ingress.kubernetes.io/ssl-redirect: "true" # for the old phone');
    expect(after).toContain("cert-manager.io/cluster-issuer: letsencrypt-dns-home");
    expect(parse(after)).toMatchObject({ spec: { tls: [{ hosts: ["status.home.brettswift.com"], secretName: "status-home-brettswift-com-tls" }] } });
    expect(plan.summary).toEqual([
      "tls: status.home.brettswift.com with the Secret status-home-brettswift-com-tls",
      'nginx.ingress.kubernetes.io/ssl-redirect: "false" -> "true" (plain HTTP is redirected to HTTPS)',
      "cert-manager.io/cluster-issuer: letsencrypt-dns-home (cert-manager issues the certificate)",
    ]);
  });

  it("an Ingress that is not in the repository cannot be changed through Git", () => {
    expect(() => planChange({ kind: "https-only", ingress: "homepage/lab-plain-http" }, ctx())).toThrow(/not managed through Git/);
  });
});
