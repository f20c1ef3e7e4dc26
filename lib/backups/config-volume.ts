/**
 * What a backup of an app's configuration volume needs to know about the app: where it mounts the
 * volume, what not to copy, which files must parse after a restore, and which files exist only
 * while it runs. Each app module declares it (`configVolume` in `server/apps`); the "enable
 * backups" change and the backup Jobs use it.
 */
export interface ConfigVolumeFacts {
  /** Where the app's container mounts its configuration (`/config`, Jellyseerr's `/app/config`). */
  mountPath: string;
  /** Paths relative to the volume that are not backed up and are kept as they are on a restore (logs, caches, the app's own backup folder). */
  exclude: readonly string[];
  /** Configuration files a verification parses: `path:format`, alternatives as `a|b:format`; formats xml, json, ini, yaml. */
  check: readonly string[];
  /** Files present only while the app runs (a socket, a lock): a restore waits until they are gone. */
  runningMarkers: readonly string[];
}

/** Facts for a kind of app the panel has no module for: its `/config` volume, nothing excluded. */
export const GENERIC_CONFIG_VOLUME: ConfigVolumeFacts = { mountPath: "/config", exclude: [], check: [], runningMarkers: [] };

/** Labels and annotations that mark a backup CronJob and the Jobs made from it (docs/backups.md). */
export const BACKUP_LABEL = "k8s-nas-panel/backup";
/** Annotation (CronJob) and label (Jobs, pods) naming the workload a backup protects, in the same namespace. */
export const BACKUP_OF = "k8s-nas-panel/backup-of";
/** Annotation naming the claim the archives are written to. */
export const BACKUP_CLAIM_ANNOTATION = "k8s-nas-panel/backup-claim";
/** Annotation naming the action of a Job the panel made from a backup CronJob (backup, verify, preview, stage). */
export const BACKUP_ACTION_ANNOTATION = "k8s-nas-panel/backup-action";
/** Pod-template label of a workload whose restores the panel may carry out (it deletes such pods only). */
export const RESTORE_LABEL = "k8s-nas-panel/restore";
/** Name of the restore init container "enable backups" adds. */
export const RESTORE_INIT_CONTAINER = "k8s-nas-panel-restore";
/** The ConfigMap holding the backup script in every namespace that holds backups (deploy/backups.yaml). */
export const SCRIPT_CONFIGMAP = "k8s-nas-panel-backup-script";
/** Where the backup containers mount the script. */
export const SCRIPT_MOUNT = "/k8s-nas-panel";
/** The restore area on a configuration volume (staged archives, the files a restore moved aside). */
export const RESTORE_AREA = ".k8s-nas-panel-restore";

/** A pod template's spec, as far as finding the configuration volume needs it. */
interface PodSpecLike {
  containers?: ReadonlyArray<{ name: string; volumeMounts?: ReadonlyArray<{ name: string; mountPath: string }> }>;
  volumes?: ReadonlyArray<{ name: string; hostPath?: { path?: string } | null }>;
}

/**
 * The node path the configuration of `container` is kept on, when the volume it mounts at
 * `mountPath` is a hostPath (the backup Jobs may not mount one); undefined otherwise.
 */
export function configHostPath(pod: PodSpecLike | undefined, container: string | undefined, mountPath: string): string | undefined {
  const norm = (p: string) => p.replace(/\/+$/, "");
  const c = pod?.containers?.find((x) => x.name === container) ?? pod?.containers?.[0];
  const mount = c?.volumeMounts?.find((m) => norm(m.mountPath) === norm(mountPath));
  const volume = mount ? pod?.volumes?.find((v) => v.name === mount.name) : undefined;
  return volume?.hostPath?.path ?? undefined;
}
