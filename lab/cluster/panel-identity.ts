import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { parseManifests } from './gitops';
import { readLabJson } from '../lab';
import { REPO_ROOT, binaryPath, labDir } from '../paths';

const exec = promisify(execFile);
const IDENTITY_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * The objects of deploy/ that make the panel's identity in a cluster: its ServiceAccount and RBAC,
 * and what backups need (deploy/backups.yaml: the backup ServiceAccount, the script's ConfigMap and
 * the admission policies that narrow the panel's writes), applied in that order of kinds.
 */
export function identityObjects(objects: ManifestObjectLike[]): ManifestObjectLike[] {
  const order = (o: ManifestObjectLike) => (o.kind === 'Namespace' ? 0 : o.kind.startsWith('ValidatingAdmissionPolicy') ? (o.kind.endsWith('Binding') ? 3 : 2) : 1);
  return objects
    .filter((o) => IDENTITY_KINDS.has(o.kind) || (o.metadata.labels ?? {})['app.kubernetes.io/component'] === 'backups')
    .sort((a, b) => order(a) - order(b));
}

/**
 * deploy/'s optional components the lab enables, as an owner whose cluster runs Velero would: their
 * roles apply where their namespace exists (Velero's, when the lab serves its CRDs and seeded it).
 */
const LAB_COMPONENTS = ['velero'];

/** The objects of the optional components the lab enables (deploy/components/<name>/, their resources). */
export function labComponentObjects(): ManifestObjectLike[] {
  return LAB_COMPONENTS.flatMap(componentObjects);
}

function componentObjects(name: string): ManifestObjectLike[] {
  const dir = path.join(REPO_ROOT, 'deploy', 'components', name);
  const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  return (kustomization.resources ?? []).flatMap((f) => parseManifests(readFileSync(path.join(dir, f), 'utf8')) as unknown as ManifestObjectLike[]);
}

interface ManifestObjectLike {
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** The panel's identity in the lab: its ServiceAccount and a kubeconfig holding a token for it. */
export interface PanelIdentity {
  kubeconfig: string;
  serviceAccount: { namespace: string; name: string };
  /** `system:serviceaccount:<ns>:<name>`, as the API server's audit log names it. */
  username: string;
}

/**
 * Gives the panel in the lab the identity it has in a real cluster: the ServiceAccount, roles and
 * bindings of `deploy/` (rendered with kustomize, applied server-side), and a kubeconfig with a token
 * from the TokenRequest API. A panel started with it is held to the least-privilege RBAC of deploy/.
 */
export async function ensurePanelIdentity(log: (m: string) => void = () => {}): Promise<PanelIdentity> {
  const lab = readLabJson();
  if (!lab) throw new Error('the lab is not up: npm run lab -- up');
  const { stdout } = await exec(binaryPath('kustomize'), ['build', path.join(REPO_ROOT, 'deploy')], { maxBuffer: 16 * 1024 * 1024 });
  const objects = identityObjects([...(parseManifests(stdout) as unknown as ManifestObjectLike[]), ...labComponentObjects()]);
  const binding = objects.find((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
  const subject = (binding?.subjects as Array<{ kind: string; name: string; namespace?: string }> | undefined)?.find((s) => s.kind === 'ServiceAccount');
  if (!subject?.namespace) throw new Error('deploy/ binds no ServiceAccount');
  const admin = new KubeConfig();
  admin.loadFromFile(lab.kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(admin);
  // deploy/ grants roles in the owner's namespaces; a lab seeded from another repository may not have
  // all of them: the roles of a namespace the lab lacks are left out, and said so.
  const present = new Set((await admin.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name ?? ''));
  for (const o of objects) if (o.kind === 'Namespace') present.add((o.metadata as { name?: string } | undefined)?.name ?? '');
  const absent = new Set<string>();
  for (const o of objects) {
    const ns = (o.metadata as { namespace?: string } | undefined)?.namespace;
    if (ns && !present.has(ns)) {
      absent.add(ns);
      continue;
    }
    await api.patch(o as unknown as KubernetesObject, undefined, undefined, 'k8s-nas-lab', true, PatchStrategy.ServerSideApply);
  }
  if (absent.size) log(`panel identity: the lab has no namespace ${[...absent].sort().join(', ')}: deploy/'s roles there are left out`);
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace: subject.namespace,
    name: subject.name,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error('the TokenRequest API returned no token');
  const file = path.join(labDir(), 'panel.kubeconfig');
  const user = `system:serviceaccount:${subject.namespace}:${subject.name}`;
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { server: lab.apiServer, 'certificate-authority-data': readFileSync(lab.caFile).toString('base64') } }],
      users: [{ name: 'k8s-nas-panel', user: { token } }],
      contexts: [{ name: 'panel@lab', context: { cluster: 'lab', user: 'k8s-nas-panel' } }],
      'current-context': 'panel@lab',
    }),
    { mode: 0o600 },
  );
  log(`panel identity: ${user} (RBAC from deploy/), kubeconfig ${file}`);
  return { kubeconfig: file, serviceAccount: { namespace: subject.namespace, name: subject.name }, username: user };
}
