import { stringify } from "yaml";
import {
  BACKUP_CLAIM_ANNOTATION,
  BACKUP_LABEL,
  BACKUP_OF,
  GENERIC_CONFIG_VOLUME,
  RESTORE_AREA,
  RESTORE_INIT_CONTAINER,
  RESTORE_LABEL,
  SCRIPT_CONFIGMAP,
  SCRIPT_MOUNT,
  type ConfigVolumeFacts,
} from "@/lib/backups/config-volume";
import { cronIntervalHours, describeInterval } from "@/lib/backups/schedule";
import { appEntry } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import { recognizeImage } from "@/lib/k8s/recognize";
import type { FileChange } from "../diff";
import { planAddResource } from "../kustomize";
import { dirOf, joinPath, type RepoView } from "../repo-view";
import type { ChangePlan, PlanContext } from "../types";
import { configMapValue, documentsOf, oneWorkload, type ManifestContainer, type ManifestWorkload } from "../workloads";
import { YamlFileEditor } from "../yaml-file";

/** What "enable backups" needs from the panel's configuration (`backups.*`) and its app modules. */
export interface BackupPlanSettings {
  /** The image of the backup Jobs and the restore init container (`backups.image`). */
  image: string;
  /** The ServiceAccount the Jobs run as (`backups.serviceAccount`; deploy/backups.yaml creates it). */
  serviceAccount: string;
  /** Schedule of a new CronJob (`backups.schedule`). */
  schedule: string;
  /** Archives kept (`backups.keep`). */
  keep: number;
  /** Deadline of one Job, in seconds. */
  jobDeadlineSeconds: number;
  /** The configuration-volume facts of an app kind, when its module declares them. */
  configVolumeOf(kind: string): ConfigVolumeFacts | undefined;
}

/** Input of the change. */
export interface EnableBackupsInput {
  /** The workload, `namespace/name` or a unique name. */
  target: string;
  /** More workloads backed up the same way in the same pull request (one edit of their kustomization). */
  also?: string[];
  /** The claim the archives go to, in the workload's namespace. */
  backupClaim: string;
  /** Cron schedule; `backups.schedule` when absent. */
  schedule?: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

/** The app a workload runs: its first container the catalogue recognises that is not a sidecar (the VPN beside qBittorrent). */
function appKindOf(workload: ManifestWorkload): { kind: string; container: ManifestContainer } | undefined {
  for (const c of workload.containers) {
    const kind = recognizeImage(c.image);
    if (kind !== "other" && !appEntry(kind).sidecar) return { kind, container: c };
  }
  return undefined;
}

interface ConfigMount {
  volume: string;
  mountPath: string;
  subPath?: string;
  claim?: string;
  hostPath?: string;
  other?: string;
}

/** The volume a container mounts at `mountPath` and what backs it. */
function configMountOf(podSpec: Rec, containerIndex: number, mountPath: string): ConfigMount | undefined {
  const container = rec(list(podSpec.containers)[containerIndex]);
  const norm = (p: string) => p.replace(/\/+$/, "");
  const mount = list(container.volumeMounts).map(rec).find((m) => str(m.mountPath) !== undefined && norm(str(m.mountPath) ?? "") === norm(mountPath));
  if (!mount) return undefined;
  const name = str(mount.name) ?? "";
  const volume = list(podSpec.volumes).map(rec).find((v) => v.name === name);
  const claim = str(rec(volume?.persistentVolumeClaim).claimName);
  const hostPath = str(rec(volume?.hostPath).path);
  const kinds = Object.keys(volume ?? {}).filter((k) => k !== "name");
  return {
    volume: name,
    mountPath,
    ...(str(mount.subPath) ? { subPath: str(mount.subPath) } : {}),
    ...(claim ? { claim } : {}),
    ...(hostPath ? { hostPath } : {}),
    ...(!claim && !hostPath ? { other: kinds[0] ?? "no volume" } : {}),
  };
}

/** PUID/PGID of the linuxserver images (a value, or a key of a ConfigMap in the repository). */
function idFromEnv(ctx: PlanContext, workload: ManifestWorkload, container: ManifestContainer, name: string): number | undefined {
  const env = container.env.find((e) => e.name === name);
  if (!env) return undefined;
  let value = env.value;
  const ref = rec(env.valueFrom?.configMapKeyRef);
  if (value === undefined && str(ref.name) && str(ref.key)) value = configMapValue(ctx.repo, ctx.appsPath, { name: str(ref.name) ?? "", key: str(ref.key) ?? "", namespace: workload.namespace });
  const n = value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  return n;
}

/** The user and group the app's files belong to: PUID/PGID, else the pod's or container's securityContext. */
function runAs(ctx: PlanContext, workload: ManifestWorkload, podSpec: Rec, container: ManifestContainer): { user?: number; group?: number; source: string } {
  const puid = idFromEnv(ctx, workload, container, "PUID");
  const pgid = idFromEnv(ctx, workload, container, "PGID");
  if (puid !== undefined) return { user: puid, group: pgid ?? puid, source: "the app's PUID/PGID" };
  const sc = { ...rec(podSpec.securityContext), ...rec(rec(list(podSpec.containers)[container.index]).securityContext) };
  const user = typeof sc.runAsUser === "number" ? sc.runAsUser : undefined;
  if (user !== undefined) return { user, group: typeof sc.runAsGroup === "number" ? sc.runAsGroup : user, source: "the app's securityContext" };
  return { source: "the image's user (the app sets neither PUID nor runAsUser)" };
}

function securityContext(ids: { user?: number; group?: number }): Rec {
  return {
    ...(ids.user !== undefined ? { runAsUser: ids.user, runAsGroup: ids.group ?? ids.user } : {}),
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  };
}

function env(values: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.entries(values)
    .filter(([, v]) => v !== "")
    .map(([name, value]) => ({ name, value }));
}

const capitalise = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);

const NAME_MAX = 52; // a CronJob's name must leave room for the Job suffix (63 - 11).

/**
 * "Enable backups" for a workload whose configuration is on a PersistentVolumeClaim: a daily
 * CronJob (its own file, listed in the kustomization) that backs the volume up to a claim the
 * admin picked, with retention, running the backup script of the ConfigMap the panel's deploy/
 * puts in the namespace; and, for restores, an init container on the workload that applies a
 * staged archive before the app starts (a no-op otherwise) plus the pod-template label that lets
 * the panel delete the workload's pod to restart it. Nothing else in the workload changes.
 */
export function planEnableBackups(input: EnableBackupsInput, ctx: PlanContext & { backups?: BackupPlanSettings }): ChangePlan {
  const targets = [...new Set([input.target, ...(input.also ?? [])])];
  if (targets.length === 1) return planOne(input, ctx);
  return planSeveral(targets, input, ctx);
}

/**
 * "Enable backups" for several workloads in one change: each planned as on its own, on the
 * repository as the previous ones left it, so a kustomization they share is edited once and lists
 * every new CronJob. One pull request, mergeable as a whole, instead of several that each edit the
 * same lines and conflict once the first is merged.
 */
function planSeveral(targets: string[], input: EnableBackupsInput, ctx: PlanContext & { backups?: BackupPlanSettings }): ChangePlan {
  const edited = new Map<string, FileChange>();
  const view = (): RepoView => {
    const paths = new Set(ctx.repo.paths);
    for (const [p, f] of edited) {
      if (f.after === null) paths.delete(p);
      else paths.add(p);
    }
    return { paths, read: (p) => (edited.has(p) ? (edited.get(p)?.after ?? undefined) : ctx.repo.read(p)) };
  };
  const plans = targets.map((target) => {
    const plan = planOne({ target, backupClaim: input.backupClaim, ...(input.schedule ? { schedule: input.schedule } : {}) }, { ...ctx, repo: view() });
    for (const f of plan.files) edited.set(f.path, { path: f.path, before: edited.get(f.path)?.before ?? f.before, after: f.after });
    return plan;
  });
  const services = plans.flatMap((p) => p.services);
  const names = services.map((s) => s.split("/").pop() ?? s);
  const files = [...edited.values()];
  const plan: ChangePlan = {
    kind: "enable-backups",
    key: `enable-backups:${[...services].sort().join(",")}`,
    title: `Backups of the configuration of ${names.length} services: ${names.join(", ")}`,
    summary: plans.flatMap((p) => p.summary),
    why:
      `${services.join(", ")} keep their configuration on volumes nothing backs up. Scheduled archives on ${input.backupClaim}, verified by the panel's restore drills, ` +
      "mean a lost or broken configuration comes back in minutes; the init containers let the panel restore it without scaling or patching the Deployments, which Argo CD would undo.",
    services,
    files,
    locations: [...new Set(plans.flatMap((p) => p.locations))],
    notes: [`One pull request for the ${names.length} services, so the kustomization they share is edited once.`, ...new Set(plans.flatMap((p) => [...(p.alreadySo ? [p.alreadySo] : []), ...p.notes]))],
    labels: ["k8s-nas-panel", "backups"],
    slug: `backups-${names.length}-services`,
  };
  if (files.length === 0) plan.alreadySo = `${services.join(", ")} already have their backup CronJobs and the restore init container.`;
  return plan;
}

function planOne(input: EnableBackupsInput, ctx: PlanContext & { backups?: BackupPlanSettings }): ChangePlan {
  const settings = ctx.backups;
  if (!settings) throw new AppError("invalid_input", "Backups are not configured in the panel (the backups section).", { source: "gitops" });
  const workload = oneWorkload(ctx.repo, ctx.appsPath, input.target);
  const namespace = workload.namespace ?? "default";
  const id = `${namespace}/${workload.name}`;
  const schedule = (input.schedule ?? settings.schedule).trim();
  const interval = cronIntervalHours(schedule);
  if (interval === null) throw new AppError("invalid_input", `"${schedule}" is not a cron schedule (five fields, such as "30 3 * * *").`, { source: "gitops" });
  const app = appKindOf(workload);
  const facts = (app && settings.configVolumeOf(app.kind)) ?? GENERIC_CONFIG_VOLUME;
  const container = app?.container ?? workload.containers[0];
  if (!container) throw new AppError("invalid_input", `${id} has no container.`, { source: "gitops" });

  const text = ctx.repo.read(workload.file);
  if (text === undefined) throw new AppError("not_found", `${workload.file} could not be read from the repository.`, { source: "gitops" });
  const podSpec = rec(rec(rec(rec(documentsOf(text)[workload.docIndex]).spec).template).spec);
  const mount = configMountOf(podSpec, container.index, facts.mountPath);
  if (!mount) {
    throw new AppError("invalid_input", `${id}: container ${container.name} mounts nothing at ${facts.mountPath}, where ${app ? "the app" : "an app"} keeps its configuration; there is no configuration volume to back up.`, { source: "gitops" });
  }
  if (mount.hostPath !== undefined) {
    throw new AppError(
      "invalid_input",
      `${id} keeps its configuration on the node (hostPath ${mount.hostPath}). The backup Jobs the panel starts may not mount host paths (the admission policy refuses them): move the configuration to a PersistentVolumeClaim${app ? ", or rely on the app's own backups, which the panel also runs and restores" : ""}.`,
      { source: "gitops" },
    );
  }
  if (mount.claim === undefined) throw new AppError("invalid_input", `${id} mounts ${facts.mountPath} from a ${mount.other} volume, which keeps nothing across restarts: nothing to back up.`, { source: "gitops" });
  if (mount.claim === input.backupClaim) throw new AppError("invalid_input", `The archives cannot go to ${input.backupClaim}: it is the configuration volume itself. Pick another claim (on the NAS, for example).`, { source: "gitops" });

  const cronName = `${workload.name.slice(0, NAME_MAX - "-backup".length)}-backup`;
  const file = joinPath(dirOf(workload.file), `${workload.name}-backup.yaml`) ?? `${workload.name}-backup.yaml`;
  const labels = { [BACKUP_LABEL]: "true", [BACKUP_OF]: workload.name };
  const ids = runAs(ctx, workload, podSpec, container);
  const scriptEnv = {
    BACKUP_SERVICE: id,
    BACKUP_SOURCE: "/config",
    BACKUP_EXCLUDE: facts.exclude.join(" "),
  };
  const subPath = mount.subPath !== undefined ? { subPath: mount.subPath } : {};
  const cronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: cronName,
      namespace,
      labels: { "app.kubernetes.io/part-of": "k8s-nas-panel", [BACKUP_LABEL]: "true" },
      annotations: { [BACKUP_OF]: workload.name, [BACKUP_CLAIM_ANNOTATION]: input.backupClaim },
    },
    spec: {
      schedule,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: settings.jobDeadlineSeconds,
          ttlSecondsAfterFinished: 7 * 24 * 3600,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: settings.serviceAccount,
              automountServiceAccountToken: false,
              restartPolicy: "Never",
              containers: [
                {
                  name: "backup",
                  image: settings.image,
                  command: ["sh", `${SCRIPT_MOUNT}/backup.sh`],
                  env: env({
                    BACKUP_ACTION: "backup",
                    ...scriptEnv,
                    BACKUP_ROOT: "/backups",
                    BACKUP_DIR: `${namespace}/${workload.name}`,
                    BACKUP_NAME: workload.name,
                    BACKUP_KEEP: String(settings.keep),
                    BACKUP_CHECK: facts.check.join(" "),
                    BACKUP_SCRATCH: "/scratch",
                  }),
                  securityContext: { ...securityContext(ids), readOnlyRootFilesystem: true },
                  volumeMounts: [
                    { name: "config", mountPath: "/config", ...subPath },
                    { name: "backups", mountPath: "/backups" },
                    { name: "scratch", mountPath: "/scratch" },
                    { name: "script", mountPath: SCRIPT_MOUNT, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "config", persistentVolumeClaim: { claimName: mount.claim } },
                { name: "backups", persistentVolumeClaim: { claimName: input.backupClaim } },
                { name: "scratch", emptyDir: {} },
                { name: "script", configMap: { name: SCRIPT_CONFIGMAP } },
              ],
            },
          },
        },
      },
    },
  };

  const files: FileChange[] = [];
  const summary: string[] = [];
  const notes: string[] = [];
  if (!ctx.repo.paths.has(file)) {
    const header = [
      `# ${capitalise(describeInterval(interval))} backup of ${id}'s configuration volume (${mount.claim}) to the claim ${input.backupClaim},`,
      `# keeping ${settings.keep} archives; proposed by k8s-nas-panel. SQLite databases are copied with SQLite's online`,
      `# backup and every archive has a manifest with SHA-256 sums. The script is the ConfigMap ${SCRIPT_CONFIGMAP}`,
      "# (the panel's deploy/backups.yaml); docs/backups.md of k8s-nas-panel explains the labels and the restore.",
    ].join("\n");
    // Written in the style of the workload's own file (indentation, sequences under their key or not).
    const style = new YamlFileEditor(workload.file, text).style(workload.docIndex);
    const body = stringify(cronJob, { lineWidth: 0, indent: style.indent, indentSeq: style.indentSeq, aliasDuplicateObjects: false });
    files.push({ path: file, before: null, after: `${header}\n${body}` });
    summary.push(`CronJob ${namespace}/${cronName}: ${describeInterval(interval)} ("${schedule}"), archives in ${input.backupClaim} under ${namespace}/${workload.name}/, ${settings.keep} kept`);
    const listed = planAddResource({ paths: new Set([...ctx.repo.paths, file]), read: (p) => (p === file ? files[0]?.after ?? undefined : ctx.repo.read(p)) }, file);
    if (listed) {
      files.push(listed);
      summary.push(`${file.split("/").pop()} listed in ${listed.path}`);
    }
  } else {
    notes.push(`${file} already exists and is left as it is.`);
  }

  // The restore init container, first, so the app's own init containers see the restored files.
  const editor = new YamlFileEditor(workload.file, text);
  const hasInit = workload.initContainers.some((c) => c.name === RESTORE_INIT_CONTAINER);
  if (!hasInit) {
    const init = {
      name: RESTORE_INIT_CONTAINER,
      image: settings.image,
      command: ["sh", "-c", `if [ -f ${SCRIPT_MOUNT}/backup.sh ]; then exec sh ${SCRIPT_MOUNT}/backup.sh; fi; echo "k8s-nas-panel: no backup script mounted, nothing to restore"`],
      env: env({
        BACKUP_ACTION: "apply",
        ...scriptEnv,
        BACKUP_SCRATCH: `/config/${RESTORE_AREA}`,
        BACKUP_RUNNING_MARKERS: facts.runningMarkers.join(" "),
      }),
      securityContext: securityContext(ids),
      volumeMounts: [
        { name: mount.volume, mountPath: "/config", ...subPath },
        { name: SCRIPT_CONFIGMAP, mountPath: SCRIPT_MOUNT, readOnly: true },
      ],
    };
    const initPath = [...workload.podSpecPath, "initContainers"];
    if (workload.initContainers.length === 0) editor.addPairs(workload.docIndex, workload.podSpecPath, { initContainers: [init] });
    else editor.insertItem(workload.docIndex, initPath, 0, init);
    const volumes = list(podSpec.volumes);
    if (!volumes.map(rec).some((v) => v.name === SCRIPT_CONFIGMAP)) {
      const volume = { name: SCRIPT_CONFIGMAP, configMap: { name: SCRIPT_CONFIGMAP, optional: true } };
      if (volumes.length === 0) editor.addPairs(workload.docIndex, workload.podSpecPath, { volumes: [volume] });
      else editor.appendItem(workload.docIndex, [...workload.podSpecPath, "volumes"], volume);
    }
    summary.push(`${workload.name}: init container ${RESTORE_INIT_CONTAINER} (applies a restore the panel staged, before the app starts; does nothing otherwise)`);
  }
  const template = rec(rec(rec(documentsOf(text)[workload.docIndex]).spec).template);
  const templateLabels = rec(rec(template.metadata).labels);
  if (templateLabels[RESTORE_LABEL] !== "enabled") {
    const label = { [RESTORE_LABEL]: "enabled" };
    if (template.metadata === undefined || template.metadata === null) editor.addPairs(workload.docIndex, ["spec", "template"], { metadata: { labels: label } });
    else if (rec(template.metadata).labels === undefined) editor.addPairs(workload.docIndex, ["spec", "template", "metadata"], { labels: label });
    else editor.addPairs(workload.docIndex, ["spec", "template", "metadata", "labels"], label);
    summary.push(`${workload.name}: pod label ${RESTORE_LABEL}: enabled (the panel deletes only such pods, to restart the app for a restore)`);
  }
  if (!editor.unchanged) files.unshift({ path: workload.file, before: text, after: editor.result() });

  notes.push(
    `The Jobs and the init container run ${settings.image} as ${ids.user !== undefined ? `user ${ids.user}:${ids.group ?? ids.user}` : "the image's user"} (${ids.source}), as ServiceAccount ${settings.serviceAccount} without a token.`,
    `Excluded from the archives and kept on a restore: ${facts.exclude.length > 0 ? facts.exclude.join(", ") : "nothing"}.${facts.check.length > 0 ? ` A verification parses ${facts.check.map((c) => c.replace(/:[a-z]+$/, "")).join(", ")}.` : ""}`,
    `Merging restarts ${workload.name} once (its pod template changes); the new init container finds nothing to restore.`,
    `Needs the ServiceAccount ${settings.serviceAccount} and the ConfigMap ${SCRIPT_CONFIGMAP} in ${namespace}, which the panel's deploy/backups.yaml provides.`,
  );
  const plan: ChangePlan = {
    kind: "enable-backups",
    key: `enable-backups:${id}`,
    title: `${workload.name}: ${describeInterval(interval)} backups of its configuration`,
    summary,
    why:
      `${id} keeps its configuration on ${mount.claim} and nothing backs it up. A ${describeInterval(interval)} archive on ${input.backupClaim}, verified by the panel's restore drills, ` +
      "means a lost or broken configuration comes back in minutes; the init container lets the panel restore it without scaling or patching the Deployment, which Argo CD would undo.",
    services: [id],
    files,
    locations: [workload.file],
    notes,
    labels: ["k8s-nas-panel", "backups"],
    slug: `backups-${workload.name}`,
  };
  if (files.length === 0) plan.alreadySo = `${id} already has its backup CronJob (${file}) and the restore init container.`;
  return plan;
}
