import { type KubeObject, type LabKubeClient } from '../cluster/kube-http';
import { waitFor } from '../lib/wait';
import { imagePattern } from './allowlist';

/**
 * How a pod becomes the executor's: a MutatingAdmissionPolicy (admissionregistration.k8s.io/v1,
 * evaluated by the API server itself, no webhook) annotates every new pod whose images are all on
 * the allowlist, and every new pod of a workload a lab app serves, with
 * `lab.k8s-nas-panel/runner: executor`. kwok's pod stages skip annotated pods, so exactly one of
 * the two plays the kubelet for a pod, decided when the pod is created.
 *
 * The policy reads its parameters from the ConfigMap `kube-system/lab-executor`, which the lab
 * updates at run time (the app workloads are known once the apps run).
 */

/** Annotation that hands a pod to the executor. */
export const RUNNER_ANNOTATION = 'lab.k8s-nas-panel/runner';
export const RUNNER_EXECUTOR = 'executor';

/** The parameters ConfigMap. */
export const EXECUTOR_PARAMS = { namespace: 'kube-system', name: 'lab-executor' } as const;

const POLICY_NAME = 'lab-executor-pods';
const FIELD_MANAGER = 'lab-executor';

/** Parameters of the policy (data of the ConfigMap). */
export interface ExecutorParams {
  /** Allowed repositories, space-separated (for people reading the ConfigMap). */
  images: string[];
  /** `<namespace>/<workload>` of every workload a lab app serves. */
  apps: string[];
}

/** The ConfigMap holding the parameters. */
export function paramsConfigMap(params: ExecutorParams): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: EXECUTOR_PARAMS.name, namespace: EXECUTOR_PARAMS.namespace, labels: { 'app.kubernetes.io/managed-by': 'lab' } },
    data: { imagePattern: imagePattern(params.images), images: params.images.join(' '), apps: params.apps.join(' ') },
  };
}

/** Reads the parameters back from the ConfigMap's data. */
export function parseParams(data: Record<string, string> | undefined): ExecutorParams & { imagePattern: string } {
  const list = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);
  const images = list(data?.images);
  return { images, apps: list(data?.apps), imagePattern: data?.imagePattern ?? imagePattern(images) };
}

/** The MutatingAdmissionPolicy and its binding. */
export function policyObjects(): KubeObject[] {
  const policy: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: POLICY_NAME },
    spec: {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
      },
      // A broken parameter must never stop pods from being created: kwok then keeps the pod.
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
      variables: [
        {
          name: 'images',
          expression: 'object.spec.containers.map(c, c.image) + (has(object.spec.initContainers) ? object.spec.initContainers.map(c, c.image) : [])',
        },
        {
          name: 'allowed',
          expression: "params != null && has(params.data) && 'imagePattern' in params.data && variables.images.all(i, i.matches(params.data['imagePattern']))",
        },
        {
          name: 'apps',
          expression: "params != null && has(params.data) && 'apps' in params.data ? params.data['apps'].split(' ') : []",
        },
        {
          // A Deployment's pods belong to a ReplicaSet named <deployment>-<pod-template-hash>.
          name: 'appPod',
          expression:
            "has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, (r.kind == 'ReplicaSet' && r.name.lastIndexOf('-') > 0 ? request.namespace + '/' + r.name.substring(0, r.name.lastIndexOf('-')) : request.namespace + '/' + r.name) in variables.apps)",
        },
      ],
      mutations: [
        {
          patchType: 'ApplyConfiguration',
          applyConfiguration: {
            expression: `variables.allowed || variables.appPod ? Object{metadata: Object.metadata{annotations: {'${RUNNER_ANNOTATION}': '${RUNNER_EXECUTOR}'}}} : Object{}`,
          },
        },
      ],
    },
  };
  const binding: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: POLICY_NAME },
    spec: {
      policyName: POLICY_NAME,
      paramRef: { name: EXECUTOR_PARAMS.name, namespace: EXECUTOR_PARAMS.namespace, parameterNotFoundAction: 'Allow' },
    },
  };
  return [policy, binding];
}

interface DryRunPod {
  metadata?: { annotations?: Record<string, string> };
}

/** Creates a pod with dryRun=All and tells whether the policy annotated it. */
async function annotatedOnCreate(client: LabKubeClient, namespace: string, pod: KubeObject): Promise<boolean> {
  const res = await client.request<DryRunPod>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/pods`,
    query: { dryRun: 'All' },
    body: pod,
  });
  return res.metadata?.annotations?.[RUNNER_ANNOTATION] === RUNNER_EXECUTOR;
}

function probePod(image: string, owner?: { kind: string; name: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'lab-executor-policy-probe',
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: '00000000-0000-4000-8000-000000000000' }] } : {}),
    },
    spec: { containers: [{ name: 'probe', image }] },
  };
}

/**
 * Installs the parameters, the policy and its binding, and waits until the API server applies
 * them (a dry-run pod with an allowed image comes back annotated, one with another image not).
 */
export async function installExecutorPolicy(client: LabKubeClient, params: ExecutorParams, log: (m: string) => void): Promise<void> {
  const t0 = Date.now();
  await client.apply(paramsConfigMap(params), FIELD_MANAGER);
  for (const o of policyObjects()) await client.apply(o, FIELD_MANAGER);
  const image = params.images[0] ?? 'busybox';
  await waitFor(
    'the executor admission policy to take effect',
    async () => (await annotatedOnCreate(client, 'default', probePod(`${image}:latest`))) && !(await annotatedOnCreate(client, 'default', probePod('lab.invalid/not-allowed:1'))),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  log(`executor: admission policy active in ${Date.now() - t0} ms (images: ${params.images.join(', ')})`);
}

/**
 * Sets the images the executor runs (a lab resumed with its cluster kept gets the allowlist of the
 * code that resumes it). Leaves the apps as they are.
 */
export async function setExecutorImages(client: LabKubeClient, images: string[], log: (m: string) => void): Promise<void> {
  await client.mergePatch(
    { apiVersion: 'v1', kind: 'ConfigMap', name: EXECUTOR_PARAMS.name, namespace: EXECUTOR_PARAMS.namespace },
    { data: { images: images.join(' '), imagePattern: imagePattern(images) } },
    { fieldManager: FIELD_MANAGER },
  );
  log(`executor: images ${images.join(', ')}`);
}

/**
 * Sets the workloads the lab's apps serve (`<namespace>/<workload>`): their new pods go to the
 * executor, which runs their init containers and restarts the app. Waits until the policy sees it.
 */
export async function setExecutorApps(client: LabKubeClient, apps: string[], log: (m: string) => void): Promise<void> {
  const sorted = [...new Set(apps)].sort();
  await client.mergePatch(
    { apiVersion: 'v1', kind: 'ConfigMap', name: EXECUTOR_PARAMS.name, namespace: EXECUTOR_PARAMS.namespace },
    { data: { apps: sorted.join(' ') } },
    { fieldManager: FIELD_MANAGER },
  );
  const first = sorted[0];
  if (first !== undefined) {
    const [ns, workload] = first.split('/') as [string, string];
    await waitFor(
      `the executor admission policy to know the app workloads`,
      () => annotatedOnCreate(client, ns, probePod('lab.invalid/app:1', { kind: 'ReplicaSet', name: `${workload}-0123456789` })),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
  log(`executor: new pods of ${sorted.length} app workload(s) run through the executor (${sorted.join(', ')})`);
}
