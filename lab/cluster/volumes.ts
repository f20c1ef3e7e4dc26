import { defaultGitopsRepo } from '../paths';
import { loadManifests, type ManifestObject } from '../lib/manifests';

/**
 * Which claim holds an app's configuration: the PersistentVolumeClaim its workload mounts at the
 * app's config path (`/config`, or a path ending in `/config` such as Jellyseerr's `/app/config`),
 * else `<workload>-config` (the name the fixture's PVCs use when a workload mounts a hostPath
 * instead, as Sonarr and Radarr do).
 */

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const CONFIG_MOUNT = /(^|\/)config\/?$/;

let cached: { dir: string; objects: ManifestObject[] } | undefined;

function gitopsObjects(): ManifestObject[] {
  const dir = defaultGitopsRepo();
  if (cached?.dir !== dir) cached = { dir, objects: loadManifests(dir) };
  return cached.objects;
}

/** The claim a pod template mounts at the app's config path, if it is a PVC. */
export function configClaimOfPodTemplate(template: unknown): string | undefined {
  const spec = rec(rec(template).spec);
  const claims = new Map<string, string>();
  for (const v of arr(spec.volumes).map(rec)) {
    const claim = rec(v.persistentVolumeClaim).claimName;
    if (typeof v.name === 'string' && typeof claim === 'string') claims.set(v.name, claim);
  }
  for (const c of arr(spec.containers).map(rec)) {
    for (const m of arr(c.volumeMounts).map(rec)) {
      if (typeof m.mountPath !== 'string' || !CONFIG_MOUNT.test(m.mountPath) || typeof m.name !== 'string') continue;
      const claim = claims.get(m.name);
      if (claim !== undefined) return claim;
    }
  }
  return undefined;
}

/**
 * The configuration claim of `namespace/workload`: the PVC its seeded workload mounts at its config
 * path, else `<workload>-config`. `objects` defaults to the GitOps repository's manifests.
 */
export function appConfigVolume(namespace: string, workload: string, objects: ManifestObject[] = gitopsObjects()): string {
  const w = objects.find((o) => WORKLOAD_KINDS.has(o.kind) && o.name === workload && (o.namespace ?? 'default') === namespace);
  const claim = w === undefined ? undefined : configClaimOfPodTemplate(rec(w.body.spec).template);
  return claim ?? `${workload}-config`;
}
