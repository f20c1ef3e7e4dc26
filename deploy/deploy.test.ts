/**
 * Checks the kustomize base in deploy/ without a cluster: every file parses, the kustomization renders
 * (with the kustomize binary when one is cached, else with the resolver in kustomize-render.ts, and
 * both must agree), the RBAC is least-privilege, the Deployment is locked down, the pieces reference
 * each other correctly, the config validates against the panel's schema, and the example Argo CD
 * Application fits the user's Argo CD projects (../shared/fixtures/k8s_nas).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parsePanelConfig, type PanelConfig } from "../lib/config-schema";
import {
  configMapHash,
  isJsonObject,
  objectId,
  objectList,
  readManifests,
  readYamlDocuments,
  renderDeployDir,
  renderKustomization,
  stringList,
  type JsonObject,
  type KubeObject,
  type RenderMethod,
} from "./kustomize-render";
import { BACKUP_MANIFEST_DEFAULTS, JOB_POLICY, POD_POLICY, renderBackupsYaml } from "./backup-manifests";
import { BACKUP_SCRIPT } from "../lib/backups/script";
import { requireShared } from "@/lib/shared-fixture.test-helper";

const DEPLOY_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(DEPLOY_DIR, "..");
/** The fixture of the user's repository (`../shared`); the tests that read it fail with one line naming it when it is missing. */
const userRepo = () => requireShared("fixtures", "k8s_nas");

const PANEL_NAMESPACE = "k8s-nas-panel";
const SERVICE_ACCOUNT = "k8s-nas-panel";
const SECRET_NAME = "k8s-nas-panel-secrets";
/** Files in deploy/ that are deliberately not part of the kustomization. */
const EXAMPLES = ["secret.example.yaml", "argocd-application.yaml"];
const READ_VERBS = ["get", "list", "watch"];
/** Namespaces that hold backups (backups.namespaces' default, which deploy/config.yaml keeps). */
const BACKUP_NAMESPACES = ["media", "qbittorrent"];
const BACKUPS_ROLE = "k8s-nas-panel-backups";

/**
 * What the panel's code reads in each watched namespace, `verb group/resource` ("" is the core group):
 * list + watch for every informer kind (server/k8s/kinds.ts, checked below), get for the workloads
 * whose environment it reads by name (server/apps/resolve.ts).
 */
const WORKLOAD_GETS = ["apps/deployments", "apps/statefulsets", "apps/daemonsets"];
/** In Argo CD's namespace only: the kinds with `scope: "argocd-namespace"` (list + watch, server/k8s/kinds.ts). */
const ARGOCD_SCOPE = "argocd-namespace";
/** In Velero's namespace only: the kinds with `scope: "velero-namespace"` (list + watch, server/k8s/kinds.ts). */
const VELERO_SCOPE = "velero-namespace";

// ---------------------------------------------------------------------------------------------------
// Small typed accessors.

function get(value: unknown, ...path: Array<string | number>): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof key === "number") cur = Array.isArray(cur) ? (cur[key] as unknown) : undefined;
    else cur = isJsonObject(cur) ? cur[key] : undefined;
  }
  return cur;
}

function getObject(value: unknown, ...path: Array<string | number>): JsonObject {
  const found = get(value, ...path);
  if (!isJsonObject(found)) throw new Error(`expected an object at ${path.join(".")}`);
  return found;
}

function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
}

function only(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

function single(objects: KubeObject[], kind: string): KubeObject {
  const found = only(objects, kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0] as KubeObject;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? (apiVersion.split("/")[0] as string) : "";
}

interface RbacRule {
  role: string;
  group: string;
  resource: string;
  verb: string;
  resourceNames: string[];
}

/** Flattens the rules of every Role and ClusterRole into one row per group, resource and verb. */
function flattenRules(objects: KubeObject[]): RbacRule[] {
  const rows: RbacRule[] = [];
  for (const role of objects.filter((o) => o.kind === "Role" || o.kind === "ClusterRole")) {
    for (const rule of objectList(role.rules)) {
      expect(rule.nonResourceURLs, `${objectId(role)} grants no non-resource URLs`).toBeUndefined();
      for (const group of stringList(rule.apiGroups)) {
        for (const resource of stringList(rule.resources)) {
          for (const verb of stringList(rule.verbs)) {
            rows.push({ role: objectId(role), group, resource, verb, resourceNames: stringList(rule.resourceNames) });
          }
        }
      }
    }
  }
  return rows;
}

/** Argo CD's glob matching for AppProject fields (`*` matches anything). */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(value);
}

function yamlBlocks(markdown: string): unknown[] {
  const blocks: unknown[] = [];
  for (const match of markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    for (const doc of parseAllDocuments(match[1] ?? "")) {
      if (doc.errors.length === 0) blocks.push(doc.toJS() as unknown);
    }
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------------

let rendered: KubeObject[] = [];
let method: RenderMethod;

beforeAll(() => {
  const result = renderDeployDir(DEPLOY_DIR);
  rendered = result.objects;
  method = result.method;
  console.info(
    method.kind === "kustomize"
      ? `deploy/: rendered with ${method.binary} build`
      : `deploy/: rendered with the test's own kustomize resolution (${method.reason})`,
  );
});

describe("deploy/ files", () => {
  it("parses every YAML file, each document a Kubernetes object except the config and the kustomization", () => {
    const files = yamlFilesIn(DEPLOY_DIR);
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      const docs = readYamlDocuments(join(DEPLOY_DIR, file));
      expect(docs.length, `${file} has content`).toBeGreaterThan(0);
      if (file !== "config.yaml" && file !== "kustomization.yaml") {
        expect(() => readManifests(join(DEPLOY_DIR, file)), file).not.toThrow();
      }
    }
  });

  it("lists existing files in the kustomization and leaves out only the examples", () => {
    const k = getObject(readYamlDocuments(join(DEPLOY_DIR, "kustomization.yaml"))[0]);
    const listed = [
      ...stringList(k.resources),
      ...stringList(k.transformers),
      ...objectList(k.configMapGenerator).flatMap((g) => stringList(g.files).map((f) => f.split("=").pop() ?? f)),
    ];
    for (const file of listed) expect(existsSync(join(DEPLOY_DIR, file)), `${file} exists`).toBe(true);
    for (const example of EXAMPLES) expect(listed, `${example} is not deployed`).not.toContain(example);
    expect([...listed, ...EXAMPLES].sort()).toEqual(yamlFilesIn(DEPLOY_DIR).filter((f) => f !== "kustomization.yaml"));
  });

  it("has docs/deploy.md copy exactly the files the kustomization needs into the GitOps repository", () => {
    const k = getObject(readYamlDocuments(join(DEPLOY_DIR, "kustomization.yaml"))[0]);
    const needed = [
      "kustomization.yaml",
      ...stringList(k.resources),
      ...stringList(k.transformers),
      ...objectList(k.configMapGenerator).flatMap((g) => stringList(g.files).map((f) => f.split("=").pop() ?? f)),
    ].sort();
    const docs = readFileSync(join(REPO_ROOT, "docs", "deploy.md"), "utf8");
    const copy = /\ncp (deploy\/[\s\S]*?)\.\.\/k8s_nas\/apps\/k8s-nas-panel\//.exec(docs)?.[1] ?? "";
    const copied = [...copy.matchAll(/deploy\/(\S+)/g)].map((m) => m[1] ?? "").sort();
    expect(copied).toEqual(needed);
  });

  it("sets the namespace only where none is given, so the media Role stays in media", () => {
    const k = getObject(readYamlDocuments(join(DEPLOY_DIR, "kustomization.yaml"))[0]);
    expect(k.namespace, "the namespace: field would move the media Role").toBeUndefined();
    const [transformer] = readYamlDocuments(join(DEPLOY_DIR, "namespace-transformer.yaml"));
    expect(transformer).toMatchObject({
      kind: "NamespaceTransformer",
      metadata: { namespace: PANEL_NAMESPACE },
      unsetOnly: true,
      setRoleBindingSubjects: "allServiceAccounts",
    });
  });
});

describe("kustomize build deploy/", () => {
  it("renders the expected objects", () => {
    // The generated ConfigMap's name ends in a 10-character content hash.
    const ids = rendered.map((o) => objectId(o).replace(/^(ConfigMap\/.*-config)-[a-z0-9]{10}$/, "$1-<hash>")).sort();
    expect(ids).toEqual(
      [
        "ConfigMap/k8s-nas-panel/k8s-nas-panel-config-<hash>",
        "Deployment/k8s-nas-panel/k8s-nas-panel",
        "Ingress/k8s-nas-panel/k8s-nas-panel",
        "Namespace//k8s-nas-panel",
        "NetworkPolicy/k8s-nas-panel/k8s-nas-panel",
        "PersistentVolumeClaim/k8s-nas-panel/k8s-nas-panel-data",
        "ClusterRole//k8s-nas-panel-cluster-issuers",
        "ClusterRoleBinding//k8s-nas-panel-cluster-issuers",
        ...["argocd", "homepage", "media", "monitoring", "qbittorrent"].flatMap((ns) => [`Role/${ns}/k8s-nas-panel-read`, `RoleBinding/${ns}/k8s-nas-panel-read`]),
        "Role/media/k8s-nas-panel-secrets",
        "RoleBinding/media/k8s-nas-panel-secrets",
        ...BACKUP_NAMESPACES.flatMap((ns) => [
          `ConfigMap/${ns}/k8s-nas-panel-backup-script`,
          `ServiceAccount/${ns}/k8s-nas-panel-backup`,
          `Role/${ns}/k8s-nas-panel-backups`,
          `RoleBinding/${ns}/k8s-nas-panel-backups`,
        ]),
        "ValidatingAdmissionPolicy//k8s-nas-panel-backup-jobs",
        "ValidatingAdmissionPolicyBinding//k8s-nas-panel-backup-jobs",
        "ValidatingAdmissionPolicy//k8s-nas-panel-restore-pods",
        "ValidatingAdmissionPolicyBinding//k8s-nas-panel-restore-pods",
        "Service/k8s-nas-panel/k8s-nas-panel",
        "ServiceAccount/k8s-nas-panel/k8s-nas-panel",
      ].sort(),
    );
    expect(only(rendered, "Secret"), "no Secret is rendered: real values never go to Git").toHaveLength(0);
    for (const obj of rendered) {
      expect(obj.metadata.labels?.["app.kubernetes.io/part-of"], objectId(obj)).toBe("k8s-nas-panel");
      expect(obj.metadata.labels?.["app.kubernetes.io/instance"], "Argo CD's tracking label stays free").toBeUndefined();
    }
  });

  it("renders the same with the test's own resolution as with kustomize (when kustomize is cached)", () => {
    const fallback = renderKustomization(DEPLOY_DIR);
    const byId = new Map(fallback.map((o) => [objectId(o), o]));
    expect([...byId.keys()].sort()).toEqual(rendered.map(objectId).sort());
    for (const obj of rendered) {
      expect(isDeepStrictEqual(byId.get(objectId(obj)), obj), `${objectId(obj)} renders identically`).toBe(true);
    }
    console.info(
      method.kind === "kustomize"
        ? "deploy/: the test's own resolution matches kustomize build object for object"
        : "deploy/: kustomize not cached; compared the resolution with itself only",
    );
  });

  it("computes kustomize's ConfigMap name suffix (vector produced by kustomize v5.8.2)", () => {
    expect(configMapHash({ html: '<a href="x">&amp;</a>', multi: "one\ntwo\n", unicode: "café \u2028 line" })).toBe(
      "dg454fm677",
    );
  });

  it("refuses kustomization features the resolution does not implement instead of ignoring them", () => {
    const dir = mkdtempSync(join(tmpdir(), "panel-kustomize-"));
    try {
      writeFileSync(join(dir, "kustomization.yaml"), "resources: []\npatches:\n  - path: x.yaml\nkind: Kustomization\n");
      expect(() => renderKustomization(dir)).toThrow(/does not implement "patches"/);
      writeFileSync(join(dir, "kustomization.yaml"), "kind: Kustomization\nnamespace: other\n");
      expect(() => renderKustomization(dir)).toThrow(/does not implement "namespace"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("RBAC", () => {
  const readRoles = (): KubeObject[] => only(rendered, "Role").filter((r) => r.metadata.name === "k8s-nas-panel-read");
  const rowsOf = (role: KubeObject): string[] => [...new Set(flattenRules([role]).map((r) => `${r.verb} ${r.group}/${r.resource}`))].sort();

  it("contains no wildcard, reads only except the writes the code lists, and nothing that runs code (logs are read, never exec or attach)", async () => {
    const { CLUSTER_WRITES } = await import("../server/k8s/kinds");
    const writes = new Set(CLUSTER_WRITES.map((w) => `${w.verb} ${w.group}/${w.resource}`));
    const rules = flattenRules(rendered).filter((r) => !r.role.endsWith(`/${BACKUPS_ROLE}`));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const where = `${r.role}: ${r.verb} ${r.group}/${r.resource}`;
      expect([r.group, r.resource, r.verb], where).not.toContain("*");
      if (!writes.has(`${r.verb} ${r.group}/${r.resource}`)) expect(READ_VERBS, where).toContain(r.verb);
      // Reading CronJobs runs nothing (their schedule and status; the cache keeps the names their jobs mention).
      if (r.resource === "cronjobs") expect(["list", "watch"], where).toContain(r.verb);
      expect(["pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy", "jobs"], where).not.toContain(r.resource);
      expect(["configmaps", "serviceaccounts/token", "nodes", "namespaces"], where).not.toContain(r.resource);
      // Certificates themselves are read only: "Renew now" writes their status subresource.
      if (r.resource === "certificates" || r.resource === "certificaterequests") expect(["list", "watch"], where).toContain(r.verb);
    }
    expect(writes.size).toBe(1);
    expect([...writes]).toEqual(["patch cert-manager.io/certificates/status"]);
  });

  it("grants the backups feature, in each namespace that holds backups only, exactly what it uses: watch the backup CronJobs and Jobs, create Jobs, read their logs, delete pods", async () => {
    const { BACKUP_KINDS } = await import("../server/k8s/kinds");
    const roles = only(rendered, "Role").filter((r) => r.metadata.name === BACKUPS_ROLE);
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([...BACKUP_NAMESPACES].sort());
    const expected = [
      ...BACKUP_KINDS.flatMap((k) => ["list", "watch"].map((verb) => `${verb} ${k.group}/${k.plural}`)),
      "create batch/jobs",
      "get /pods/log",
      "delete /pods",
    ].sort();
    for (const role of roles) expect(rowsOf(role), objectId(role)).toEqual(expected);
    // No other Role grants a write, logs, Jobs or CronJobs.
    const elsewhere = flattenRules(rendered).filter((r) => !r.role.endsWith(`/${BACKUPS_ROLE}`));
    expect(elsewhere.filter((r) => ["create", "delete", "deletecollection"].includes(r.verb) || r.resource === "jobs")).toEqual([]);
  });

  it("grants nothing cluster-wide but reading the cluster-scoped kinds the code watches (ClusterIssuers)", async () => {
    const { INFORMER_KINDS } = await import("../server/k8s/kinds");
    const clusterKinds = INFORMER_KINDS.filter((k) => k.clusterScoped).flatMap((k) => ["list", "watch"].map((verb) => `${verb} ${k.group}/${k.plural}`));
    expect(clusterKinds).toEqual(["list cert-manager.io/clusterissuers", "watch cert-manager.io/clusterissuers"]);
    const clusterRole = single(rendered, "ClusterRole");
    expect(rowsOf(clusterRole)).toEqual([...clusterKinds].sort());
    expect(single(rendered, "ClusterRoleBinding")).toMatchObject({
      roleRef: { kind: "ClusterRole", name: clusterRole.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: PANEL_NAMESPACE }],
    });
    const config = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!config.ok) throw new Error("deploy/config.yaml is not valid");
    expect(config.config.kubernetes.watchScope).toBe("namespaces");
    expect(readRoles().map((r) => r.metadata.namespace).sort()).toEqual([...config.config.kubernetes.namespaces].sort());
  });

  it("grants in each watched namespace exactly what the panel's code reads and writes", async () => {
    const { CLUSTER_WRITES, INFORMER_KINDS, SUBRESOURCE_READS } = await import("../server/k8s/kinds");
    const { METRICS_API } = await import("../server/k8s/resource-usage");
    const reads = (kinds: typeof INFORMER_KINDS) => kinds.flatMap((k) => ["list", "watch"].map((verb) => `${verb} ${k.group}/${k.plural}`));
    const expected = [
      ...reads(INFORMER_KINDS.filter((k) => !k.clusterScoped && k.scope !== ARGOCD_SCOPE && k.scope !== VELERO_SCOPE)),
      ...SUBRESOURCE_READS.map((r) => `${r.verb} ${r.group}/${r.resource}`),
      ...WORKLOAD_GETS.map((r) => `get ${r}`),
      `${METRICS_API.verb} ${METRICS_API.group}/${METRICS_API.plural}`,
      ...CLUSTER_WRITES.map((w) => `${w.verb} ${w.group}/${w.resource}`),
    ];
    const ARGOCD_READS = reads(INFORMER_KINDS.filter((k) => k.scope === ARGOCD_SCOPE));
    expect(ARGOCD_READS).toContain("watch argoproj.io/applications");
    const config = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!config.ok) throw new Error("deploy/config.yaml is not valid");
    for (const role of readRoles()) {
      const extra = role.metadata.namespace === config.config.discovery.argocdNamespace ? ARGOCD_READS : [];
      expect(rowsOf(role), `${objectId(role)}`).toEqual([...new Set([...expected, ...extra])].sort());
    }
  });

  it("never lists or watches Secrets: only gets the one the config names, in its namespace", () => {
    const secretRules = flattenRules(rendered).filter((r) => r.group === "" && r.resource === "secrets");
    expect(secretRules.length).toBeGreaterThan(0);
    for (const r of secretRules) {
      expect(r.verb, r.role).toBe("get");
      expect(r.resourceNames, `${r.role} names the Secrets it may read`).toEqual(["starr-secrets"]);
      expect(r.role).toBe("Role/media/k8s-nas-panel-secrets");
    }
  });

  it("never reads a TLS Secret: the only Secret the panel may get is the apps' key Secret", () => {
    const secretReads = flattenRules(rendered).filter((r) => r.group === "" && r.resource === "secrets");
    expect(secretReads.flatMap((r) => r.resourceNames)).toEqual(["starr-secrets"]);
    expect(flattenRules(rendered).filter((r) => r.role.startsWith("ClusterRole/")).map((r) => r.resource)).not.toContain("secrets");
  });

  it("is what docs/deploy.md's table of what the ServiceAccount can and cannot do says", () => {
    const docs = readFileSync(join(REPO_ROOT, "docs", "deploy.md"), "utf8");
    const section = docs.slice(docs.indexOf("### The ServiceAccount at a glance"));
    const rows = section
      .split("\n")
      .filter((l) => /^\| (yes|no) \|/.test(l))
      .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
    expect(rows.length).toBeGreaterThan(5);
    const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
    const watched = readRoles().map((r) => r.metadata.namespace ?? "");
    const everyNamespace = [...new Set([...only(rendered, "Role").map((r) => r.metadata.namespace ?? ""), "kube-system", "default", "cert-manager"])];
    const where = (cell: string): string[] => {
      if (cell === "every watched namespace") return watched;
      if (cell === "cluster-wide") return ["*"];
      if (cell === "anywhere") return [...everyNamespace, "*"];
      if (cell.includes("every namespace not watched")) return [...new Set([...ticked(cell), ...everyNamespace.filter((n) => !watched.includes(n))])];
      return ticked(cell);
    };
    // What the roles grant: "<namespace> <verb> <group>/<resource>", with "#<names>" when limited to names.
    const granted = new Set<string>();
    for (const role of [...only(rendered, "Role"), ...only(rendered, "ClusterRole")]) {
      // A ClusterRole counts everywhere ("*"): the base binds its one ClusterRole with a ClusterRoleBinding.
      const ns = role.kind === "ClusterRole" ? "*" : role.metadata.namespace;
      for (const r of flattenRules([role])) granted.add(`${ns} ${r.verb} ${r.group}/${r.resource}${r.resourceNames.length ? `#${r.resourceNames.join(",")}` : ""}`);
    }
    const documented = new Set<string>();
    for (const [can, verbsCell, resourcesCell, whereCell] of rows as [string, string, string, string][]) {
      const named = / named /.test(resourcesCell);
      const otherThan = / other than /.test(resourcesCell);
      const tokens = ticked(resourcesCell);
      const resources = named || otherThan ? tokens.slice(0, 1) : tokens;
      const names = named || otherThan ? tokens.slice(1) : [];
      for (const ns of where(whereCell)) {
        for (const verb of ticked(verbsCell)) {
          for (const res of resources) {
            // `apps/deployments`, `cert-manager.io/certificates/status`: a group first; `pods/log`: a core subresource.
            const first = res.split("/")[0] ?? "";
            const grouped = res.includes("/") && (first.includes(".") || first === "apps" || first === "batch");
            const [group, resource] = grouped ? [first, res.slice(first.length + 1)] : ["", res];
            const key = `${ns} ${verb} ${group}/${resource}`;
            if (can === "yes") documented.add(named ? `${key}#${names.join(",")}` : key);
            else if (otherThan) {
              // Only the named Secret may be read: any grant of the resource must be limited to it.
              expect([...granted].filter((g) => g === key || (g.startsWith(`${key}#`) && g !== `${key}#${names.join(",")}`)), key).toEqual([]);
            } else expect([...granted].filter((g) => g === key || g.startsWith(`${key}#`)), key).toEqual([]);
          }
        }
      }
    }
    expect([...documented].sort()).toEqual([...granted].sort());
  });

  it("binds each Role to the panel's ServiceAccount and nothing else", () => {
    const sa = single(rendered.filter((o) => o.metadata.namespace === PANEL_NAMESPACE), "ServiceAccount");
    expect(sa.metadata).toMatchObject({ name: SERVICE_ACCOUNT, namespace: PANEL_NAMESPACE });
    const bindings = only(rendered, "RoleBinding");
    expect(bindings).toHaveLength(only(rendered, "Role").length);
    for (const binding of bindings) {
      expect(binding.subjects, objectId(binding)).toEqual([
        { kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: PANEL_NAMESPACE },
      ]);
      const roleRef = getObject(binding, "roleRef");
      expect(roleRef.kind, objectId(binding)).toBe("Role");
      const target = rendered.find((o) => o.kind === "Role" && o.metadata.name === roleRef.name && o.metadata.namespace === binding.metadata.namespace);
      expect(target, `${objectId(binding)} points at a rendered Role`).toBeDefined();
    }
  });

  it("offers the reads of Velero's Backups and Schedules as the optional velero component: list and watch in Velero's namespace, nothing else", async () => {
    const { INFORMER_KINDS } = await import("../server/k8s/kinds");
    const velero = INFORMER_KINDS.filter((k) => k.scope === VELERO_SCOPE);
    expect(velero.map((k) => `${k.group}/${k.plural}`).sort()).toEqual(["velero.io/backups", "velero.io/schedules"]);
    expect(velero.every((k) => k.optional === true), "watched only while the CRDs are served").toBe(true);
    const dir = join(DEPLOY_DIR, "components", "velero");
    const component = getObject(readYamlDocuments(join(dir, "kustomization.yaml"))[0]);
    expect(component.kind).toBe("Component");
    const objects = stringList(component.resources).flatMap((f) => readManifests(join(dir, f)));
    const role = single(objects, "Role");
    const config = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!config.ok) throw new Error("deploy/config.yaml is not valid");
    expect(role.metadata.namespace).toBe(config.config.backups.veleroNamespace);
    expect(rowsOf(role)).toEqual(velero.flatMap((k) => ["list", "watch"].map((verb) => `${verb} ${k.group}/${k.plural}`)).sort());
    expect(single(objects, "RoleBinding")).toMatchObject({
      metadata: { namespace: role.metadata.namespace },
      roleRef: { kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: PANEL_NAMESPACE }],
    });
    expect(flattenRules(rendered).some((r) => r.group === "velero.io"), "the base grants nothing of Velero").toBe(false);
  });

  it("offers the cluster-wide reads only as the optional cluster-scope component", () => {
    const dir = join(DEPLOY_DIR, "components", "cluster-scope");
    const component = getObject(readYamlDocuments(join(dir, "kustomization.yaml"))[0]);
    expect(component.kind).toBe("Component");
    const objects = stringList(component.resources).flatMap((f) => readManifests(join(dir, f)));
    const clusterRole = single(objects, "ClusterRole");
    const media = readRoles().find((r) => r.metadata.namespace === "media") as KubeObject;
    expect(rowsOf(clusterRole)).toEqual(rowsOf(media));
    expect(single(objects, "ClusterRoleBinding")).toMatchObject({
      roleRef: { kind: "ClusterRole", name: clusterRole.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: PANEL_NAMESPACE }],
    });
    const k = getObject(readYamlDocuments(join(DEPLOY_DIR, "kustomization.yaml"))[0]);
    expect(k.components, "the base does not enable it").toBeUndefined();
  });
});

describe("deploy/backups.yaml", () => {
  const config = (): PanelConfig => {
    const parsed = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!parsed.ok) throw new Error("deploy/config.yaml is not valid");
    return parsed.config;
  };

  it("is what `npm run deploy:backups` writes for the configuration's backup namespaces, ServiceAccount and image", () => {
    const c = config();
    expect([...c.backups.namespaces]).toEqual(BACKUP_NAMESPACES);
    const repository = c.backups.image.replace(/@.*$/, "").replace(/:[^/:]+$/, "");
    const input = { ...BACKUP_MANIFEST_DEFAULTS, namespaces: c.backups.namespaces, backupServiceAccount: c.backups.serviceAccount };
    expect(input.images, "the admission policy lists the configured image").toContain(repository);
    expect(readFileSync(join(DEPLOY_DIR, "backups.yaml"), "utf8"), "deploy/backups.yaml is stale: run npm run deploy:backups").toBe(renderBackupsYaml(input));
  });

  it("puts the panel's backup script and a token-less backup ServiceAccount in every namespace that holds backups", () => {
    for (const ns of BACKUP_NAMESPACES) {
      const cm = rendered.find((o) => o.kind === "ConfigMap" && o.metadata.namespace === ns && o.metadata.name === "k8s-nas-panel-backup-script");
      expect(get(cm, "data", "backup.sh"), ns).toBe(BACKUP_SCRIPT);
      const sa = rendered.find((o) => o.kind === "ServiceAccount" && o.metadata.namespace === ns && o.metadata.name === config().backups.serviceAccount);
      expect(sa?.automountServiceAccountToken, ns).toBe(false);
    }
  });

  it("holds the panel's Job creations and pod deletions to backups with two admission policies for its own ServiceAccount", () => {
    const policies = only(rendered, "ValidatingAdmissionPolicy");
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([JOB_POLICY, POD_POLICY].sort());
    for (const policy of policies) {
      expect(get(policy, "spec", "failurePolicy")).toBe("Fail");
      expect(get(policy, "spec", "matchConditions", 0, "expression")).toBe(`request.userInfo.username == 'system:serviceaccount:${PANEL_NAMESPACE}:${SERVICE_ACCOUNT}'`);
      const binding = only(rendered, "ValidatingAdmissionPolicyBinding").find((b) => get(b, "spec", "policyName") === policy.metadata.name);
      expect(get(binding, "spec", "validationActions")).toEqual(["Deny"]);
    }
    const jobs = policies.find((p) => p.metadata.name === JOB_POLICY);
    expect(get(jobs, "spec", "matchConstraints", "resourceRules")).toEqual([{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["jobs"] }]);
    const messages = objectList(get(jobs, "spec", "validations")).map((v) => String(v.message));
    for (const topic of [/label k8s-nas-panel\/backup/, /owner/, /ServiceAccount k8s-nas-panel-backup, never the default/, /only the images/, /privileged/, /host namespace/, /hostPath/]) {
      expect(messages.some((m) => topic.test(m)), String(topic)).toBe(true);
    }
    const pods = policies.find((p) => p.metadata.name === POD_POLICY);
    expect(get(pods, "spec", "matchConstraints", "resourceRules")).toEqual([{ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["pods"] }]);
  });

  it("uses an image the lab executor runs for real (its stand-in is the host's sh, tar, sha256sum and sqlite3)", async () => {
    const { executorImages, imageAllowed } = await import("../lab/executor/allowlist");
    expect(imageAllowed(config().backups.image, executorImages({}))).toBe(true);
  });
});

describe("NetworkPolicy", () => {
  it("lets only the ingress controller and Prometheus in, and the panel out to DNS, the watched namespaces, the API server, the forge and the Ingress hosts (HTTP and HTTPS)", () => {
    const policy = single(rendered, "NetworkPolicy");
    const labels = get(single(rendered, "Deployment"), "spec", "template", "metadata", "labels");
    expect(labels).toMatchObject(getObject(policy, "spec", "podSelector", "matchLabels"));
    expect(get(policy, "spec", "policyTypes")).toEqual(["Ingress", "Egress"]);
    const ingress = objectList(get(policy, "spec", "ingress"));
    expect(ingress).toHaveLength(1);
    expect(objectList(ingress[0]?.from)).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { app: "prometheus" } } },
    ]);
    expect(objectList(ingress[0]?.ports)).toEqual([{ protocol: "TCP", port: "http" }]);
    const egress = objectList(get(policy, "spec", "egress"));
    const config = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!config.ok) throw new Error("deploy/config.yaml is not valid");
    const watched = egress.flatMap((e) => objectList(e.to)).flatMap((t) => objectList(get(t, "namespaceSelector", "matchExpressions")));
    expect(watched).toEqual([{ key: "kubernetes.io/metadata.name", operator: "In", values: config.config.kubernetes.namespaces }]);
    const ports = egress.map((e) => objectList(e.ports).map((p) => `${String(p.protocol)}/${String(p.port)}`).join(","));
    expect(ports).toEqual(["UDP/53,TCP/53", "", "TCP/80,TCP/443,TCP/6443"]);
  });
});

describe("Deployment", () => {
  const deployment = (): KubeObject => single(rendered, "Deployment");
  const podSpec = (): JsonObject => getObject(deployment(), "spec", "template", "spec");
  const container = (): JsonObject => {
    const containers = objectList(podSpec().containers);
    expect(containers).toHaveLength(1);
    return containers[0] as JsonObject;
  };
  const envList = (): JsonObject[] => objectList(container().env);
  const envValue = (name: string): unknown => envList().find((e) => e.name === name)?.value;

  it("runs one replica, recreated rather than rolled, because SQLite sits on a ReadWriteOnce volume", () => {
    expect(deployment().spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    const pvc = single(rendered, "PersistentVolumeClaim");
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } });
    expect(pvc.metadata.annotations?.["argocd.argoproj.io/sync-options"]).toBe("Prune=false,Delete=false");
  });

  it("runs as UID 10001 with a read-only root filesystem, no capabilities and RuntimeDefault seccomp", () => {
    expect(podSpec().securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container().securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("meets the Pod Security 'restricted' profile its namespace enforces", () => {
    const ns = single(rendered, "Namespace");
    expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const spec = podSpec();
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"]) expect(spec[flag], flag).not.toBe(true);
    const allowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
    for (const volume of objectList(spec.volumes)) {
      const types = Object.keys(volume).filter((k) => k !== "name");
      expect(types.every((t) => allowedVolumes.includes(t)), `volume ${String(volume.name)}`).toBe(true);
    }
    for (const c of [...objectList(spec.initContainers), ...objectList(spec.containers)]) {
      const sc = getObject(c, "securityContext");
      expect(sc.privileged).not.toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(stringList(get(sc, "capabilities", "drop"))).toContain("ALL");
      expect(stringList(get(sc, "capabilities", "add")).every((cap) => cap === "NET_BIND_SERVICE")).toBe(true);
      expect(sc.runAsNonRoot ?? get(spec, "securityContext", "runAsNonRoot")).toBe(true);
      expect(sc.runAsUser ?? get(spec, "securityContext", "runAsUser")).not.toBe(0);
      expect(["RuntimeDefault", "Localhost"]).toContain(
        get(sc, "seccompProfile", "type") ?? get(spec, "securityContext", "seccompProfile", "type"),
      );
      for (const port of objectList(c.ports)) expect(port.hostPort).toBeUndefined();
    }
  });

  it("probes /api/healthz on the container's HTTP port", () => {
    const c = container();
    expect(c.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
    expect(envValue("PORT")).toBe("3000");
    expect(envValue("HOSTNAME")).toBe("0.0.0.0");
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      expect(get(c, probe, "httpGet"), probe).toEqual({ path: "/api/healthz", port: "http" });
      expect(get(c, probe, "timeoutSeconds"), `${probe} waits longer than the 3 s Kubernetes check`).toBeGreaterThan(3);
    }
  });

  it("has resource requests and limits", () => {
    expect(container().resources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "1", memory: "512Mi" },
    });
  });

  it("uses the panel's ServiceAccount with its token mounted", () => {
    expect(podSpec()).toMatchObject({ serviceAccountName: SERVICE_ACCOUNT, automountServiceAccountToken: true });
  });

  it("writes only to the data volume and /tmp, and mounts the generated config read-only", () => {
    const mounts = objectList(container().volumeMounts);
    const volumes = new Map(objectList(podSpec().volumes).map((v) => [v.name, v]));
    const byPath = new Map(mounts.map((m) => [m.mountPath, m]));
    expect([...byPath.keys()].sort()).toEqual(["/data", "/etc/k8s-nas-panel", "/tmp"]);

    const data = volumes.get(byPath.get("/data")?.name);
    expect(get(data, "persistentVolumeClaim", "claimName")).toBe(single(rendered, "PersistentVolumeClaim").metadata.name);
    expect(envValue("PANEL_DATA_DIR")).toBe("/data");
    expect(volumes.get(byPath.get("/tmp")?.name)?.emptyDir).toBeDefined();

    const configMount = byPath.get("/etc/k8s-nas-panel");
    expect(configMount?.readOnly).toBe(true);
    const configMap = single(rendered.filter((o) => o.metadata.namespace === PANEL_NAMESPACE), "ConfigMap");
    expect(get(volumes.get(configMount?.name), "configMap", "name")).toBe(configMap.metadata.name);
    expect(Object.keys(getObject(configMap, "data"))).toEqual(["config.yaml"]);
    expect(envValue("PANEL_CONFIG")).toBe("/etc/k8s-nas-panel/config.yaml");
  });

  it("takes secrets from the Secret k8s-nas-panel-secrets, never from literal values", () => {
    for (const env of envList()) {
      const name = String(env.name);
      if (/SECRET|TOKEN|PASSWORD|HASH|API_KEY|PRIVATE/.test(name)) {
        expect(env.value, `${name} has no literal value`).toBeUndefined();
        expect(get(env, "valueFrom", "secretKeyRef", "name"), name).toBe(SECRET_NAME);
      }
    }
    for (const required of ["AUTH_SECRET", "PANEL_ADMIN_PASSWORD_HASH"]) {
      const ref = getObject(envList().find((e) => e.name === required), "valueFrom", "secretKeyRef");
      expect(ref.optional, `${required} is required`).toBeUndefined();
    }
    expect(objectList(container().envFrom)).toHaveLength(0);
  });

  it("pins the image to the package version", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(container().image).toBe(`ghcr.io/brettswift/k8s-nas-panel:${pkg.version}`);
  });
});

describe("Service and Ingress", () => {
  it("selects the panel's pods and targets the container port", () => {
    const service = single(rendered, "Service");
    const template = getObject(single(rendered, "Deployment"), "spec", "template");
    const selector = getObject(service, "spec", "selector");
    expect(get(single(rendered, "Deployment"), "spec", "selector", "matchLabels")).toEqual(selector);
    expect(get(template, "metadata", "labels")).toMatchObject(selector);
    expect(get(service, "spec", "ports")).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
  });

  it("serves HTTPS through ingress-nginx with a cert-manager certificate and redirects HTTP", () => {
    const ingress = single(rendered, "Ingress");
    expect(ingress.metadata.annotations).toMatchObject({
      "cert-manager.io/cluster-issuer": "letsencrypt-dns-home",
      "nginx.ingress.kubernetes.io/ssl-redirect": "true",
      // Single sign-on answers carry more headers than nginx's default 4k buffer holds.
      "nginx.ingress.kubernetes.io/proxy-buffer-size": "16k",
    });
    expect(get(ingress, "spec", "ingressClassName")).toBe("nginx");
    const rules = objectList(get(ingress, "spec", "rules"));
    const tls = objectList(get(ingress, "spec", "tls"));
    const hosts = rules.map((r) => r.host);
    expect(hosts).toEqual(["panel.home.brettswift.com"]);
    expect(tls.flatMap((t) => stringList(t.hosts))).toEqual(hosts);
    expect(tls[0]?.secretName).toBe("k8s-nas-panel-tls");
    const backend = get(rules[0], "http", "paths", 0, "backend", "service");
    expect(backend).toEqual({ name: single(rendered, "Service").metadata.name, port: { name: "http" } });
  });
});

describe("config.yaml", () => {
  let config: PanelConfig;
  beforeAll(() => {
    const parsed = parsePanelConfig(readYamlDocuments(join(DEPLOY_DIR, "config.yaml"))[0]);
    if (!parsed.ok) throw new Error(`deploy/config.yaml: ${JSON.stringify(parsed.problems)}`);
    config = parsed.config;
  });

  it("is a valid panel configuration for running in the cluster", () => {
    expect(config.kubernetes.mode).toBe("in-cluster");
    expect(config.addressMap).toEqual({});
    expect(new URL(config.server.publicUrl ?? "").host).toBe(
      get(single(rendered, "Ingress"), "spec", "rules", 0, "host"),
    );
    expect(config.gitops?.baseBranch).toBe("live");
  });

  it("names only environment variables the Deployment provides", () => {
    const env = objectList(get(single(rendered, "Deployment"), "spec", "template", "spec", "containers", 0, "env"));
    const provided = new Map(env.map((e) => [e.name, e]));
    const named = [
      ...config.auth.localUsers.map((u) => u.passwordHashEnv),
      config.gitops?.tokenEnv,
      config.auth.oidc?.clientSecretEnv,
      config.metrics.bearerTokenEnv,
    ].filter((n): n is string => typeof n === "string");
    expect(named.length).toBeGreaterThan(1);
    for (const name of named) {
      expect(get(provided.get(name), "valueFrom", "secretKeyRef", "name"), name).toBe(SECRET_NAME);
    }
    for (const user of config.auth.localUsers) {
      expect(get(provided.get(user.passwordHashEnv), "valueFrom", "secretKeyRef", "optional")).toBeUndefined();
    }
  });

  it("reads app Secrets that the RBAC lets the panel get, and the RBAC grants no other Secret", () => {
    const granted = new Set(
      flattenRules(rendered)
        .filter((r) => r.resource === "secrets" && r.verb === "get")
        .flatMap((r) => {
          const role = rendered.find((o) => objectId(o) === r.role);
          return r.resourceNames.map((n) => `${role?.metadata.namespace ?? ""}/${n}`);
        }),
    );
    const referenced = new Set(Object.values(config.apps.secretRefs).map((ref) => `${ref.namespace}/${ref.name}`));
    expect(referenced).toEqual(granted);
  });
});

describe("secret.example.yaml", () => {
  it("holds every key the Deployment reads, with placeholders only", () => {
    const [secret] = readManifests(join(DEPLOY_DIR, "secret.example.yaml"));
    expect(secret?.metadata).toMatchObject({ name: SECRET_NAME, namespace: PANEL_NAMESPACE });
    const data = getObject(secret, "stringData");
    const env = objectList(get(single(rendered, "Deployment"), "spec", "template", "spec", "containers", 0, "env"));
    const required = env
      .filter((e) => get(e, "valueFrom", "secretKeyRef", "name") === SECRET_NAME)
      .filter((e) => get(e, "valueFrom", "secretKeyRef", "optional") !== true)
      .map((e) => String(get(e, "valueFrom", "secretKeyRef", "key")));
    expect(required.sort()).toEqual(["AUTH_SECRET", "PANEL_ADMIN_PASSWORD_HASH"]);
    for (const key of required) expect(Object.keys(data), key).toContain(key);
    for (const [key, value] of Object.entries(data)) expect(String(value), key).toMatch(/^<replace: .+>$/);
  });
});

describe("argocd-application.yaml and the user's Argo CD setup", () => {
  const application = (): KubeObject => {
    const docs = readManifests(join(DEPLOY_DIR, "argocd-application.yaml"));
    expect(docs).toHaveLength(1);
    return docs[0] as KubeObject;
  };

  it("deploys this base from the k8s_nas repository's live branch with automated sync", () => {
    const app = application();
    expect(app).toMatchObject({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "k8s-nas-panel", namespace: "argocd" },
      spec: {
        project: "apps",
        source: {
          repoURL: "https://github.com/brettswift/k8s_nas.git",
          targetRevision: "live",
          path: "apps/k8s-nas-panel",
        },
        destination: { server: "https://kubernetes.default.svc", namespace: PANEL_NAMESPACE },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
      },
    });
  });

  it("reads the user's repository fixture", () => {
    expect(existsSync(join(userRepo(), "argocd"))).toBe(true);
  });

  it("uses a ClusterIssuer that exists in the user's repository", () => {
    const dir = join(userRepo(), "apps", "infrastructure", "cert-manager");
    const issuers = yamlFilesIn(dir)
      .flatMap((f) => readYamlDocuments(join(dir, f)))
      .filter((d) => get(d, "kind") === "ClusterIssuer")
      .map((d) => get(d, "metadata", "name"));
    expect(issuers).toContain(single(rendered, "Ingress").metadata.annotations?.["cert-manager.io/cluster-issuer"]);
  });

  it("fits its AppProject except for the kinds docs/deploy.md tells the user to allow", () => {
    const app = application();
    const projectsDir = join(userRepo(), "argocd", "projects");
    const projects = yamlFilesIn(projectsDir).flatMap((f) => readManifests(join(projectsDir, f)));
    const project = projects.find((p) => p.kind === "AppProject" && p.metadata.name === get(app, "spec", "project"));
    expect(project, "the Application's project exists in the user's repository").toBeDefined();
    const spec = getObject(project, "spec");

    const repo = String(get(app, "spec", "source", "repoURL"));
    expect(stringList(spec.sourceRepos).some((p) => globMatch(p, repo)), `${repo} is a source repo`).toBe(true);
    const server = String(get(app, "spec", "destination", "server"));
    for (const ns of new Set(rendered.map((o) => o.metadata.namespace).filter((n): n is string => !!n))) {
      const allowed = objectList(spec.destinations).some(
        (d) => globMatch(String(d.namespace), ns) && globMatch(String(d.server ?? "*"), server),
      );
      expect(allowed, `namespace ${ns} is a permitted destination`).toBe(true);
    }

    const gaps = (list: string, objects: KubeObject[]): string[] => {
      const whitelist = objectList(spec[list]);
      return [
        ...new Set(
          objects
            .filter((o) => !whitelist.some((w) => globMatch(String(w.group), groupOf(o.apiVersion)) && globMatch(String(w.kind), o.kind)))
            .map((o) => `${groupOf(o.apiVersion)}/${o.kind}`),
        ),
      ].sort();
    };
    const namespaced = rendered.filter((o) => o.metadata.namespace !== undefined);
    const clusterScoped = rendered.filter((o) => o.metadata.namespace === undefined);
    const needed = { namespaced: gaps("namespaceResourceWhitelist", namespaced), cluster: gaps("clusterResourceWhitelist", clusterScoped) };

    const docs = readFileSync(join(REPO_ROOT, "docs", "deploy.md"), "utf8");
    const block = yamlBlocks(docs).find((b) => isJsonObject(b) && "namespaceResourceWhitelist" in b);
    expect(block, "docs/deploy.md has a YAML block with the AppProject additions").toBeDefined();
    const documented = (list: string): string[] =>
      objectList(get(block, list)).map((w) => `${String(w.group)}/${String(w.kind)}`).sort();
    expect({ namespaced: documented("namespaceResourceWhitelist"), cluster: documented("clusterResourceWhitelist") }).toEqual(
      needed,
    );
    expect(needed.namespaced.length, "the documented additions are real gaps in the fixture").toBeGreaterThan(0);
  });
});
