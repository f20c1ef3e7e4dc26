import { APP_CATALOGUE } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import { recognizeImage } from "@/lib/k8s/recognize";
import type { FileChange } from "../diff";
import { planAddResource } from "../kustomize";
import { dirOf, joinPath, type RepoView } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { detectUrlBase } from "../url-base";
import { configMapValue, documentsOf, findServices, findWorkloads, type ManifestEnv, type ManifestWorkload } from "../workloads";
import { YamlFileEditor } from "../yaml-file";

/** The *arr apps Unpackerr reports to (its `UN_<APP>_0_*` variables), with their catalogue facts. */
const STARR = (["sonarr", "radarr"] as const).map((id) => {
  const entry = APP_CATALOGUE[id];
  return { id, label: entry.label, prefix: `UN_${id.toUpperCase()}_0`, key: entry.credential.secretKey, port: entry.port };
});

/** True when the container runs the app `kind` (the catalogue's image rules). */
const runs = (kind: string) => (c: { image: string }) => recognizeImage(c.image) === kind;

function inClusterUrl(repo: RepoView, appsPath: string, app: ManifestWorkload, port: number, urlBase: string): string {
  const container = app.containers[0];
  const targetPort = container?.ports[0]?.containerPort ?? port;
  const service = findServices(repo, appsPath).find(
    (s) =>
      (s.namespace ?? app.namespace) === app.namespace &&
      Object.keys(s.selector).length > 0 &&
      Object.entries(s.selector).every(([k, v]) => app.podLabels[k] === v),
  );
  const servicePort =
    service?.ports.find((p) => p.targetPort === targetPort || p.port === targetPort)?.port ?? service?.ports[0]?.port ?? targetPort;
  return `http://${service?.name ?? app.name}.${app.namespace ?? "default"}.svc.cluster.local:${servicePort}${urlBase}`;
}

function envValue(repo: RepoView, appsPath: string, env: ManifestEnv | undefined, namespace: string | undefined): { value?: string; from?: string } {
  if (!env) return {};
  if (env.value !== undefined) return { value: env.value };
  const cm = env.valueFrom?.configMapKeyRef as { name?: unknown; key?: unknown } | undefined;
  if (cm && typeof cm.name === "string" && typeof cm.key === "string") {
    return { value: configMapValue(repo, appsPath, { name: cm.name, key: cm.key, namespace }), from: `ConfigMap ${cm.name} key ${cm.key}` };
  }
  return {};
}

function secretRefOf(env: ManifestEnv | undefined): { name?: unknown; key?: unknown } | undefined {
  return env?.valueFrom?.secretKeyRef as { name?: unknown; key?: unknown } | undefined;
}

/**
 * Wires Unpackerr to Sonarr and Radarr the way its container reads it: `UN_SONARR_0_URL` (the app's
 * in-cluster URL with its URL base) and `UN_SONARR_0_API_KEY` from the Secret the cluster already
 * holds (`apps.secretRefs`), the same for Radarr; and makes sure its manifest is deployed (listed in
 * its kustomization). A placeholder Secret kept in the same file is moved to an `.example.yaml`
 * file outside the kustomization first, so deploying the manifest never overwrites the real keys.
 */
export function planUnpackerrWiring(ctx: PlanContext): ChangePlan {
  const workloads = findWorkloads(ctx.repo, ctx.appsPath);
  const unpackerr = workloads.find((w) => w.containers.some(runs("unpackerr")));
  if (!unpackerr) {
    throw new AppError("not_found", `No Unpackerr workload (image golift/unpackerr) under ${ctx.appsPath}/ in the repository.`, { source: "gitops" });
  }
  const ns = unpackerr.namespace;
  const id = `${ns ?? "default"}/${unpackerr.name}`;
  const container = unpackerr.containers.find(runs("unpackerr")) ?? unpackerr.containers[0];
  if (!container) throw new AppError("invalid_input", `${id} has no container.`, { source: "gitops" });
  const secret = ctx.secretRefs.unpackerr ?? ctx.secretRefs.default;
  if (!secret) throw new AppError("invalid_input", "apps.secretRefs has no `default` (or `unpackerr`) Secret with the API keys.", { source: "gitops" });
  if (ns !== undefined && secret.namespace !== ns) {
    throw new AppError(
      "invalid_input",
      `Unpackerr runs in ${ns} but the API keys are in the Secret ${secret.namespace}/${secret.name}; a pod can only read Secrets of its own namespace.`,
      { source: "gitops" },
    );
  }

  const text = ctx.repo.read(unpackerr.file);
  if (text === undefined) throw new AppError("not_found", `${unpackerr.file} could not be read.`, { source: "gitops" });
  const editor = new YamlFileEditor(unpackerr.file, text);
  const envPath = [...unpackerr.podSpecPath, "containers", container.index, "env"];
  const summary: string[] = [];
  const notes: string[] = [];
  const services: string[] = [id];
  const toAdd: Array<Record<string, unknown>> = [];

  for (const app of STARR) {
    const target = workloads.find((w) => w.containers.some(runs(app.id)));
    if (!target) {
      notes.push(`No ${app.label} workload in the repository: Unpackerr is not wired to it.`);
      continue;
    }
    services.push(`${target.namespace ?? "default"}/${target.name}`);
    const appContainer = target.containers.find(runs(app.id)) ?? target.containers[0];
    const urlBase = appContainer ? detectUrlBase(ctx.repo, target, appContainer) : { value: "", source: "" };
    const wantUrl = inClusterUrl(ctx.repo, ctx.appsPath, target, app.port, urlBase.value);
    const urlIndex = container.env.findIndex((e) => e.name === `${app.prefix}_URL`);
    const current = envValue(ctx.repo, ctx.appsPath, container.env[urlIndex], ns);
    if (current.value !== wantUrl) {
      const entry = { name: `${app.prefix}_URL`, value: wantUrl };
      if (urlIndex === -1) toAdd.push(entry);
      else editor.setValue(unpackerr.docIndex, [...envPath, urlIndex], entry);
      summary.push(`${app.prefix}_URL = ${wantUrl}`);
      if (current.value !== undefined) {
        notes.push(
          `${app.prefix}_URL was ${current.value}${current.from ? ` (from ${current.from})` : ""}; ${app.label} serves under "${urlBase.value || "/"}" (${urlBase.source}).`,
        );
      }
    }
    const keyIndex = container.env.findIndex((e) => e.name === `${app.prefix}_API_KEY`);
    const ref = secretRefOf(container.env[keyIndex]);
    if (ref?.name !== secret.name || ref?.key !== app.key) {
      const entry = { name: `${app.prefix}_API_KEY`, valueFrom: { secretKeyRef: { name: secret.name, key: app.key } } };
      if (keyIndex === -1) toAdd.push(entry);
      else editor.setValue(unpackerr.docIndex, [...envPath, keyIndex], entry);
      summary.push(`${app.prefix}_API_KEY from Secret ${secret.name}, key ${app.key}`);
    }
  }
  if (toAdd.length > 0) {
    if (container.env.length === 0) editor.addPairs(unpackerr.docIndex, [...unpackerr.podSpecPath, "containers", container.index], { env: toAdd });
    else for (const entry of toAdd) editor.appendItem(unpackerr.docIndex, envPath, entry);
  }

  // Deploy the manifest: list it in its kustomization, moving placeholder Secrets out of it first.
  const files: FileChange[] = [];
  const listed = planAddResource(ctx.repo, unpackerr.file);
  if (listed) {
    const docs = documentsOf(text);
    for (let i = docs.length - 1; i >= 0; i--) {
      const doc = docs[i] as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (doc?.kind !== "Secret") continue;
      const name = typeof doc.metadata?.name === "string" ? doc.metadata.name : `secret-${i}`;
      const examplePath = joinPath(dirOf(unpackerr.file), `${name}.example.yaml`) ?? `${name}.example.yaml`;
      if (ctx.repo.paths.has(examplePath)) {
        throw new AppError("conflict", `${unpackerr.file} holds a Secret ${name} that would be deployed with it, and ${examplePath} already exists; move the Secret out of the file first.`, { source: "gitops" });
      }
      const moved = editor.removeDocument(i);
      files.push({
        path: examplePath,
        before: null,
        after: `# Moved out of ${unpackerr.file.split("/").pop()} by k8s-nas-panel: this file is not in the kustomization,\n# so the real Secret in the cluster is never overwritten by these placeholders.\n${moved}`,
      });
      summary.push(`Secret ${name} (placeholders) moved to ${examplePath}, outside the kustomization`);
    }
    const after = editor.unchanged ? text : editor.result();
    files.unshift(listed);
    summary.push(`${unpackerr.file.split("/").pop()} listed in ${listed.path} (it was not deployed)`);
    if (after !== text) files.unshift({ path: unpackerr.file, before: text, after });
  } else if (!editor.unchanged) {
    files.unshift({ path: unpackerr.file, before: text, after: editor.result() });
  }

  const plan: ChangePlan = {
    kind: "unpackerr-wiring",
    key: `unpackerr-wiring:${id}`,
    title: "unpackerr: wire to Sonarr and Radarr",
    summary,
    why:
      "Unpackerr extracts finished downloads and tells Sonarr and Radarr to import them; it only reads its settings from " +
      "environment variables, so the wiring is a manifest change. The API keys stay in the cluster's Secret.",
    services,
    files,
    locations: [unpackerr.file],
    notes,
    labels: ["k8s-nas-panel", "integrations"],
    slug: "unpackerr-wiring",
  };
  if (files.length === 0) plan.alreadySo = `${id} is already deployed and wired to Sonarr and Radarr with the keys from ${secret.namespace}/${secret.name}.`;
  return plan;
}
