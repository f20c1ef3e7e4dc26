import path from 'node:path';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, ResourceFieldSelector, Volume, VolumeMount } from './types';

/**
 * What a kubelet works out before it starts a container, as pure functions over the pod: the
 * environment (`env`, `envFrom`, `$(VAR)` expansion), the command line, the files of ConfigMap,
 * Secret, downward-API and projected volumes, and where each volumeMount comes from. Reading the
 * ConfigMaps and Secrets is injected ({@link Lookups}) so the rules are tested without a cluster.
 */

/** Reads objects the pod refers to. Values are raw bytes (ConfigMap data and binaryData, Secret data). */
export interface Lookups {
  configMap(namespace: string, name: string): Promise<Map<string, Buffer> | undefined>;
  secret(namespace: string, name: string): Promise<Map<string, Buffer> | undefined>;
  /** A token for the pod's ServiceAccount, bound to the pod (TokenRequest). */
  serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string>;
}

/** Why a container cannot start; `reason` is the kubelet's waiting reason. */
export class PlanError extends Error {
  constructor(
    readonly reason: 'CreateContainerConfigError' | 'ContainerCreating' | 'CreateContainerError',
    message: string,
    /** The event reason a kubelet records. */
    readonly eventReason: 'Failed' | 'FailedMount' | 'Refused' = 'Failed',
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The node's resources, used for resourceFieldRef when a container sets no limit. */
export const NODE_ALLOCATABLE = { cpu: '16', memory: '64Gi', 'ephemeral-storage': '500Gi' } as const;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Kubernetes' `$(VAR)` expansion (command, args, env values, subPathExpr): `$(NAME)` becomes the
 * value of NAME when defined and stays as written otherwise; `$$` is a literal `$`.
 */
export function expandVars(input: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end > 0) {
        const name = input.slice(i + 2, end);
        if (Object.prototype.hasOwnProperty.call(env, name)) {
          out += env[name];
          i = end;
          continue;
        }
        out += input.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** Parses a Kubernetes quantity (`500m`, `2`, `128Mi`, `1G`, `1e3`) into a number of base units. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity ${q}`);
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  return n * (m[2] ? (mult[m[2]] ?? 1) : 1);
}

/** The value of a resourceFieldRef, the way the kubelet computes it (rounded up to the divisor). */
export function resourceFieldValue(container: Container | undefined, sel: ResourceFieldSelector): string {
  const [kind, resource] = sel.resource.split('.', 2) as [string, string | undefined];
  if (!resource || (kind !== 'limits' && kind !== 'requests')) throw new PlanError('CreateContainerConfigError', `unsupported resource ${sel.resource}`);
  const fromSpec = container?.resources?.[kind]?.[resource] ?? (kind === 'requests' ? container?.resources?.limits?.[resource] : undefined);
  const fallback = kind === 'requests' ? (resource === 'cpu' || resource === 'memory' ? '0' : undefined) : NODE_ALLOCATABLE[resource as keyof typeof NODE_ALLOCATABLE];
  const raw = fromSpec ?? fallback;
  if (raw === undefined) throw new PlanError('CreateContainerConfigError', `unsupported resource ${sel.resource}`);
  const divisor = parseQuantity(sel.divisor ?? 1) || 1;
  return String(Math.ceil(parseQuantity(raw) / divisor));
}

function quoteDownward(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** The value of a fieldRef (downward API). */
export function fieldValue(pod: Pod, fieldPath: string, forVolume = false): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2] as string] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'metadata.labels':
      if (forVolume) return quoteDownward(pod.metadata.labels);
      break;
    case 'metadata.annotations':
      if (forVolume) return quoteDownward(pod.metadata.annotations);
      break;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((i) => i.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((i) => i.ip).join(',');
  }
  throw new PlanError('CreateContainerConfigError', `unsupported fieldPath ${fieldPath}`);
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * The container's environment as the kubelet builds it: defaults (PATH, HOSTNAME, the API
 * server's service variables), then `envFrom` in order (invalid names skipped), then `env` in
 * order with `$(VAR)` expanded against what came before. A missing ConfigMap, Secret or key that
 * is not optional is a CreateContainerConfigError.
 */
export async function resolveEnv(pod: Pod, container: Container, lookups: Lookups): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace;
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOSTNAME: pod.spec.hostname ?? pod.metadata.name,
    HOME: '/root',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const what = from.configMapRef ? 'configmap' : 'secret';
    const data = from.configMapRef ? await lookups.configMap(ns, ref.name) : await lookups.secret(ns, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new PlanError('CreateContainerConfigError', `${what} "${ref.name}" not found`);
    }
    for (const [k, v] of data) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) env[name] = v.toString('utf8');
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) env[e.name] = fieldValue(pod, vf.fieldRef.fieldPath);
    else if (vf.resourceFieldRef) {
      const target = vf.resourceFieldRef.containerName
        ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === vf.resourceFieldRef?.containerName)
        : container;
      env[e.name] = resourceFieldValue(target, vf.resourceFieldRef);
    } else if (vf.configMapKeyRef || vf.secretKeyRef) {
      const ref = (vf.configMapKeyRef ?? vf.secretKeyRef) as { name: string; key: string; optional?: boolean };
      const what = vf.configMapKeyRef ? 'configmap' : 'secret';
      const data = vf.configMapKeyRef ? await lookups.configMap(ns, ref.name) : await lookups.secret(ns, ref.name);
      const value = data?.get(ref.key);
      if (value === undefined) {
        if (ref.optional) continue;
        throw new PlanError('CreateContainerConfigError', data ? `couldn't find key ${ref.key} in ${what === 'configmap' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}` : `${what} "${ref.name}" not found`);
      }
      env[e.name] = value.toString('utf8');
    }
  }
  return env;
}

/** The default command of the general-purpose images when a container gives none. */
export function defaultCommand(image: string): string[] {
  return /(^|\/)(debian|ubuntu)(:|@|$)/.test(image) ? ['bash'] : ['sh'];
}

/** The command line: `command` + `args` with `$(VAR)` expanded; the image's default when neither is set. */
export function containerArgv(container: Container, env: Readonly<Record<string, string>>): string[] {
  const cmd = container.command ?? [];
  const args = container.args ?? [];
  const argv = cmd.length > 0 ? [...cmd, ...args] : args.length > 0 ? [...args] : defaultCommand(container.image);
  return argv.map((a) => expandVars(a, env));
}

/** Why the executor refuses to run a container, or undefined. */
export function refusal(container: Container): string | undefined {
  if (container.securityContext?.privileged === true) {
    return `container "${container.name}" is privileged; the lab executor runs containers only in its sandbox, without privileges`;
  }
  return undefined;
}

/** A file of a ConfigMap, Secret, downward-API or projected volume. */
export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

function safeRelative(p: string): string {
  const norm = path.posix.normalize(p);
  if (norm.startsWith('..') || path.posix.isAbsolute(norm) || norm === '.') throw new PlanError('CreateContainerConfigError', `invalid volume path ${p}`);
  return norm;
}

/** Files from a ConfigMap's or Secret's data: every key, or the listed items. */
export function projectKeys(data: Map<string, Buffer>, items: KeyToPath[] | undefined, mode: number, what: string, optional: boolean): VolumeFile[] {
  if (!items || items.length === 0) return [...data].map(([k, v]) => ({ path: safeRelative(k), content: v, mode }));
  const out: VolumeFile[] = [];
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new PlanError('ContainerCreating', `MountVolume.SetUp failed: configuration key "${it.key}" not found in ${what}`, 'FailedMount');
    }
    out.push({ path: safeRelative(it.path), content: v, mode: it.mode ?? mode });
  }
  return out;
}

function downwardFiles(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, mode: number): VolumeFile[] {
  return (items ?? []).map((it) => {
    let value: string;
    if (it.fieldRef) value = fieldValue(pod, it.fieldRef.fieldPath, true);
    else if (it.resourceFieldRef) {
      const c = pod.spec.containers.find((x) => x.name === it.resourceFieldRef?.containerName) ?? pod.spec.containers[0];
      value = resourceFieldValue(c, it.resourceFieldRef);
    } else value = '';
    return { path: safeRelative(it.path), content: Buffer.from(value), mode: it.mode ?? mode };
  });
}

/** Where a pod volume's files come from on the host. */
export type VolumeSource =
  | { kind: 'dir'; path: string; readOnly: boolean; claim?: string }
  | { kind: 'emptyDir' }
  | { kind: 'files'; files: VolumeFile[] }
  | { kind: 'refused'; message: string };

/** What {@link planVolumes} needs besides the pod. */
export interface VolumeContext {
  labDir: string;
  lookups: Lookups;
  /** The directory of a claim in the pod's namespace (throws when the claim does not exist or is not bound). */
  claimDir(claim: string): Promise<string>;
  /**
   * For a pod of a workload a lab app serves: the pod volume that holds the app's configuration
   * and its directory (a hostPath in the user's manifests becomes the app's configuration volume).
   */
  appConfig?: { volume: string; dir: string };
}

/** Resolves every volume of the pod. Refused volumes are reported only when a container mounts them. */
export async function planVolumes(pod: Pod, ctx: VolumeContext): Promise<Map<string, VolumeSource>> {
  const out = new Map<string, VolumeSource>();
  const ns = pod.metadata.namespace;
  for (const v of pod.spec.volumes ?? []) out.set(v.name, await planVolume(pod, v, ns, ctx));
  return out;
}

async function planVolume(pod: Pod, v: Volume, ns: string, ctx: VolumeContext): Promise<VolumeSource> {
  if (ctx.appConfig && ctx.appConfig.volume === v.name && (v.hostPath || v.persistentVolumeClaim)) {
    return { kind: 'dir', path: ctx.appConfig.dir, readOnly: false };
  }
  if (v.persistentVolumeClaim) {
    try {
      return { kind: 'dir', path: await ctx.claimDir(v.persistentVolumeClaim.claimName), readOnly: v.persistentVolumeClaim.readOnly === true, claim: v.persistentVolumeClaim.claimName };
    } catch (err) {
      return { kind: 'refused', message: (err as Error).message };
    }
  }
  if (v.emptyDir) return { kind: 'emptyDir' };
  if (v.hostPath) {
    const p = path.resolve(v.hostPath.path);
    const why = hostPathRefusal(p, path.resolve(ctx.labDir));
    if (!why) return { kind: 'dir', path: p, readOnly: false };
    return { kind: 'refused', message: `hostPath ${v.hostPath.path} refused: ${why}` };
  }
  if (v.configMap) {
    const data = await ctx.lookups.configMap(ns, v.configMap.name);
    if (!data) {
      if (v.configMap.optional) return { kind: 'files', files: [] };
      return { kind: 'refused', message: `MountVolume.SetUp failed for volume "${v.name}": configmap "${v.configMap.name}" not found` };
    }
    return { kind: 'files', files: projectKeys(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `ConfigMap ${ns}/${v.configMap.name}`, v.configMap.optional === true) };
  }
  if (v.secret) {
    const data = await ctx.lookups.secret(ns, v.secret.secretName);
    if (!data) {
      if (v.secret.optional) return { kind: 'files', files: [] };
      return { kind: 'refused', message: `MountVolume.SetUp failed for volume "${v.name}": secret "${v.secret.secretName}" not found` };
    }
    return { kind: 'files', files: projectKeys(data, v.secret.items, v.secret.defaultMode ?? 0o644, `Secret ${ns}/${v.secret.secretName}`, v.secret.optional === true) };
  }
  if (v.downwardAPI) return { kind: 'files', files: downwardFiles(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644) };
  if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    for (const s of v.projected.sources ?? []) {
      if (s.configMap) {
        const data = await ctx.lookups.configMap(ns, s.configMap.name);
        if (!data) {
          if (s.configMap.optional) continue;
          return { kind: 'refused', message: `MountVolume.SetUp failed for volume "${v.name}": configmap "${s.configMap.name}" not found` };
        }
        files.push(...projectKeys(data, s.configMap.items, mode, `ConfigMap ${ns}/${s.configMap.name}`, s.configMap.optional === true));
      } else if (s.secret) {
        const data = await ctx.lookups.secret(ns, s.secret.name);
        if (!data) {
          if (s.secret.optional) continue;
          return { kind: 'refused', message: `MountVolume.SetUp failed for volume "${v.name}": secret "${s.secret.name}" not found` };
        }
        files.push(...projectKeys(data, s.secret.items, mode, `Secret ${ns}/${s.secret.name}`, s.secret.optional === true));
      } else if (s.downwardAPI) {
        files.push(...downwardFiles(pod, s.downwardAPI.items, mode));
      } else if (s.serviceAccountToken) {
        const token = await ctx.lookups.serviceAccountToken(pod, s.serviceAccountToken.audience, s.serviceAccountToken.expirationSeconds ?? 3607);
        files.push({ path: safeRelative(s.serviceAccountToken.path), content: Buffer.from(token), mode: 0o600 });
      }
    }
    return { kind: 'files', files };
  }
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  return { kind: 'refused', message: `volume "${v.name}" of type ${kind} is not supported by the lab executor` };
}

/**
 * Folders of the lab directory a hostPath may point into: the volumes, and `host/` for
 * directories a test or demo shares with pods. The rest of the lab directory holds the lab's
 * credentials and state (certificates, etcd data, app profiles) and is refused like any other
 * host path.
 */
export const HOST_PATH_ROOTS = ['volumes', 'host'] as const;

/** Why a hostPath may not be bound, or undefined. */
export function hostPathRefusal(p: string, labRoot: string): string | undefined {
  if (HOST_PATH_ROOTS.some((r) => p.startsWith(`${labRoot}/${r}/`))) return undefined;
  return `the lab executor binds host paths only from ${HOST_PATH_ROOTS.map((r) => `${labRoot}/${r}/`).join(' or ')}`;
}

/** One bind mount of a container: host path -> path in the sandbox. */
export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** The claim the source belongs to (for volume quotas). */
  claim?: string;
}

/**
 * The container's bind mounts, given each volume's host directory: subPath and subPathExpr
 * applied (they may not leave the volume), readOnly honoured (ConfigMap, Secret, downward-API
 * and projected volumes are always read-only), sorted so a parent is mounted before its children.
 */
export function containerMounts(
  container: Container,
  volumes: ReadonlyMap<string, { path: string; readOnly: boolean; claim?: string }>,
  env: Readonly<Record<string, string>>,
): Mount[] {
  const out: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const vol = volumes.get(vm.name);
    if (!vol) throw new PlanError('CreateContainerConfigError', `volumeMount "${vm.name}" of container "${container.name}" names no volume of the pod`);
    out.push({ source: subPathSource(vol.path, vm, env), target: path.posix.normalize(vm.mountPath), readOnly: vol.readOnly || vm.readOnly === true, ...(vol.claim ? { claim: vol.claim } : {}) });
  }
  return out.sort((a, b) => a.target.split('/').length - b.target.split('/').length || a.target.localeCompare(b.target));
}

function subPathSource(base: string, vm: VolumeMount, env: Readonly<Record<string, string>>): string {
  const sub = vm.subPathExpr !== undefined ? expandVars(vm.subPathExpr, env) : vm.subPath;
  if (!sub) return base;
  const norm = path.posix.normalize(sub);
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../')) {
    throw new PlanError('CreateContainerConfigError', `subPath ${sub} of volumeMount "${vm.name}" leaves the volume`);
  }
  return path.join(base, norm);
}
