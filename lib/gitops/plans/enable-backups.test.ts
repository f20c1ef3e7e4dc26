import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { BACKUP_SCRIPT } from "@/lib/backups/script";
import { planChange, changeRequestSchema } from "../change-kinds";
import { unifiedDiff } from "../diff";
import { fixtureRepo } from "../fixture-repo.test-helper";
import { renderedFiles } from "../kustomize";
import { memoryRepo, type RepoView } from "../repo-view";
import type { ChangePlan } from "../types";
import type { BackupPlanSettings } from "./enable-backups";

const repo = fixtureRepo();
const FACTS: Record<string, ReturnType<BackupPlanSettings["configVolumeOf"]>> = {
  jellyseerr: { mountPath: "/app/config", exclude: ["logs", "cache"], check: ["settings.json:json"], runningMarkers: [] },
  qbittorrent: { mountPath: "/config", exclude: ["qBittorrent/data/logs"], check: ["qBittorrent/config/qBittorrent.conf|qBittorrent/qBittorrent.conf:ini"], runningMarkers: ["qBittorrent/config/ipc-socket"] },
  sonarr: { mountPath: "/config", exclude: ["Backups", "logs"], check: ["config.xml:xml"], runningMarkers: [] },
  sabnzbd: { mountPath: "/config", exclude: ["logs"], check: ["sabnzbd.ini:ini"], runningMarkers: [] },
};
const settings: BackupPlanSettings = {
  image: "docker.io/keinos/sqlite3:3.47.2",
  serviceAccount: "k8s-nas-panel-backup",
  schedule: "30 3 * * *",
  keep: 14,
  jobDeadlineSeconds: 1800,
  configVolumeOf: (kind) => FACTS[kind],
};
const ctx = (view: RepoView = repo) => ({ repo: view, appsPath: "apps", secretRefs: { default: { namespace: "media", name: "starr-secrets" } }, backups: settings });

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
  return memoryRepo(files);
}

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("enable backups", () => {
  it("jellyseerr: a daily CronJob in its own file, listed in the kustomization, and the restore init container first", () => {
    const plan = planChange({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "backups" }, ctx());
    expect(plan.files.map((f) => f.path)).toEqual(["apps/media-services/starr/jellyseerr-deployment.yaml", "apps/media-services/starr/jellyseerr-backup.yaml", "apps/media-services/starr/kustomization.yaml"]);
    const cron = parse(plan.files[1]?.after ?? "") as Rec;
    expect(cron).toMatchObject({
      kind: "CronJob",
      metadata: { name: "jellyseerr-backup", namespace: "media", labels: { "k8s-nas-panel/backup": "true" }, annotations: { "k8s-nas-panel/backup-of": "jellyseerr", "k8s-nas-panel/backup-claim": "backups" } },
      spec: { schedule: "30 3 * * *", concurrencyPolicy: "Forbid" },
    });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("k8s-nas-panel-backup");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([
      { name: "config", persistentVolumeClaim: { claimName: "jellyseerr-config" } },
      { name: "backups", persistentVolumeClaim: { claimName: "backups" } },
      { name: "scratch", emptyDir: {} },
      { name: "script", configMap: { name: "k8s-nas-panel-backup-script" } },
    ]);
    const env = Object.fromEntries((pod.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ BACKUP_ACTION: "backup", BACKUP_SERVICE: "media/jellyseerr", BACKUP_DIR: "media/jellyseerr", BACKUP_EXCLUDE: "logs cache", BACKUP_CHECK: "settings.json:json", BACKUP_KEEP: "14" });
    expect(pod.containers[0].image).toBe(settings.image);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(cron.spec.jobTemplate.metadata.labels).toEqual({ "k8s-nas-panel/backup": "true", "k8s-nas-panel/backup-of": "jellyseerr" });
    // The kustomization lists the new file, and the script is not copied into the repository.
    const after = applied(repo, plan);
    expect(renderedFiles(after, "apps/media-services/starr").has("apps/media-services/starr/jellyseerr-backup.yaml")).toBe(true);
    expect(plan.files.some((f) => (f.after ?? "").includes(BACKUP_SCRIPT.slice(0, 200)))).toBe(false);

    const deployment = parseAllDocuments(after.read("apps/media-services/starr/jellyseerr-deployment.yaml") ?? "").map((d) => d.toJS() as Rec).find((d) => d?.kind === "Deployment") as Rec;
    const spec = deployment.spec.template.spec;
    expect(spec.initContainers[0]).toMatchObject({
      name: "k8s-nas-panel-restore",
      image: settings.image,
      volumeMounts: [{ name: "config", mountPath: "/config" }, { name: "k8s-nas-panel-backup-script", mountPath: "/k8s-nas-panel", readOnly: true }],
    });
    expect(spec.volumes).toContainEqual({ name: "k8s-nas-panel-backup-script", configMap: { name: "k8s-nas-panel-backup-script", optional: true } });
    expect(deployment.spec.template.metadata.labels).toMatchObject({ app: "jellyseerr", "k8s-nas-panel/restore": "enabled" });
    // Only added lines in the workload's file.
    const diff = unifiedDiff(plan.files[0] as (typeof plan.files)[number]).split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---"));
    expect(diff).toEqual([]);
  });

  it("qbittorrent: the init container goes before VueTorrent's installer, runs as PUID/PGID, waits for the running marker", () => {
    const plan = planChange({ kind: "enable-backups", target: "qbittorrent/qbittorrent", backupClaim: "backups", schedule: "0 4 * * *" }, ctx());
    const after = applied(repo, plan);
    const file = plan.files[0]?.path ?? "";
    const deployment = parseAllDocuments(after.read(file) ?? "").map((d) => d.toJS() as Rec).find((d) => d?.kind === "Deployment") as Rec;
    const inits = deployment.spec.template.spec.initContainers as Rec[];
    expect(inits.map((c) => c.name)).toEqual(["k8s-nas-panel-restore", "vuetorrent-installer"]);
    const env = Object.fromEntries((inits[0]?.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ BACKUP_ACTION: "apply", BACKUP_RUNNING_MARKERS: "qBittorrent/config/ipc-socket", BACKUP_SERVICE: "qbittorrent/qbittorrent" });
    const cron = parse(plan.files.find((f) => f.path.endsWith("qbittorrent-backup.yaml"))?.after ?? "") as Rec;
    expect(cron.spec.schedule).toBe("0 4 * * *");
    const ids = cron.spec.jobTemplate.spec.template.spec.containers[0].securityContext;
    const qbEnv = (deployment.spec.template.spec.containers as Rec[]).find((c) => c.name === "qbittorrent")?.env as Array<{ name: string; value?: string }>;
    const puid = qbEnv.find((e) => e.name === "PUID")?.value;
    if (puid !== undefined) expect(ids.runAsUser).toBe(Number(puid));
    expect(inits[0]?.securityContext).toEqual(ids.runAsUser !== undefined ? { runAsUser: ids.runAsUser, runAsGroup: ids.runAsGroup, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } : { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    // Planned again on the result: nothing left to do.
    const again = planChange({ kind: "enable-backups", target: "qbittorrent/qbittorrent", backupClaim: "backups" }, ctx(after));
    expect(again.files).toEqual([]);
    expect(again.alreadySo).toMatch(/already has its backup CronJob/);
  });

  it("refuses a configuration on a hostPath (the policy forbids host paths in the panel's Jobs), the config claim as target, and a bad schedule", () => {
    expect(() => planChange({ kind: "enable-backups", target: "media/sonarr", backupClaim: "backups" }, ctx())).toThrow(/hostPath \/mnt\/data\/configs\/sonarr.*may not mount host paths.*app's own backups/);
    expect(() => planChange({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "jellyseerr-config" }, ctx())).toThrow(/is the configuration volume itself/);
    expect(() => planChange({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "backups", schedule: "61 * * * *" }, ctx())).toThrow(/not a cron schedule/);
    expect(() => planChange({ kind: "enable-backups", target: "media/nothere", backupClaim: "backups" }, ctx())).toThrow(/No Deployment/);
    expect(() => planChange({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "backups" }, { ...ctx(), backups: undefined })).toThrow(/not configured/);
  });

  it("several workloads in one change: their shared kustomization edited once, listing every CronJob, each workload as when planned alone", () => {
    const kustomization = "apps/media-services/starr/kustomization.yaml";
    const plan = planChange({ kind: "enable-backups", target: "media/jellyseerr", also: ["media/lidarr", "media/sabnzbd", "media/lidarr"], backupClaim: "backups" }, ctx());
    expect(plan.services).toEqual(["media/jellyseerr", "media/lidarr", "media/sabnzbd"]);
    expect(plan.key).toBe("enable-backups:media/jellyseerr,media/lidarr,media/sabnzbd");
    expect(plan.files.filter((f) => f.path === kustomization)).toHaveLength(1);
    expect(plan.files.find((f) => f.path === kustomization)?.before).toBe(repo.read(kustomization));
    const after = applied(repo, plan);
    const rendered = renderedFiles(after, "apps/media-services/starr");
    for (const name of ["jellyseerr", "lidarr", "sabnzbd"]) {
      expect(rendered.has(`apps/media-services/starr/${name}-backup.yaml`)).toBe(true);
      const alone = planChange({ kind: "enable-backups", target: `media/${name}`, backupClaim: "backups" }, ctx());
      const workloadFile = alone.files[0]!;
      expect(after.read(workloadFile.path)).toBe(workloadFile.after);
    }
    // Merged, nothing is left to do for any of them.
    const again = planChange({ kind: "enable-backups", target: "media/jellyseerr", also: ["media/lidarr", "media/sabnzbd"], backupClaim: "backups" }, ctx(after));
    expect(again.files).toEqual([]);
    expect(again.alreadySo).toMatch(/already have their backup CronJobs/);
    // One refused workload refuses the whole change, naming it.
    expect(() => planChange({ kind: "enable-backups", target: "media/jellyseerr", also: ["media/sonarr"], backupClaim: "backups" }, ctx())).toThrow(/media\/sonarr keeps its configuration on the node/);
  });

  it("validates the request: a claim name and a five-field schedule", () => {
    expect(changeRequestSchema.safeParse({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "Backups!" }).success).toBe(false);
    expect(changeRequestSchema.safeParse({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "backups", schedule: "daily at 3" }).success).toBe(false);
    expect(changeRequestSchema.safeParse({ kind: "enable-backups", target: "media/jellyseerr", backupClaim: "backups", schedule: "@daily" }).success).toBe(true);
  });
});
