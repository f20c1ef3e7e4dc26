/**
 * Renders deploy/backups.yaml: what the panel needs in the namespaces that hold backups, and the
 * admission policies that hold it to creating backup Jobs and deleting the pods of services it
 * restores. The file is generated (the backup script is long and must be the panel's own), checked
 * in, and compared with this rendering by deploy/deploy.test.ts: `npm run deploy:backups` writes it.
 */
import { stringify } from "yaml";
import {
  BACKUP_LABEL,
  RESTORE_LABEL,
  SCRIPT_CONFIGMAP,
} from "../lib/backups/config-volume";
import { BACKUP_SCRIPT } from "../lib/backups/script";

/** What the file is rendered from (defaults: the panel's deploy/config.yaml and configuration defaults). */
export interface BackupManifestInput {
  /** `backups.namespaces`. */
  namespaces: readonly string[];
  /** The panel's ServiceAccount, as the API server names it in requests. */
  panelServiceAccount: { namespace: string; name: string };
  /** `backups.serviceAccount`. */
  backupServiceAccount: string;
  /** Repositories the backup Jobs may run (`backups.image` without its tag, in both spellings). */
  images: readonly string[];
}

export const BACKUP_MANIFEST_DEFAULTS: BackupManifestInput = {
  namespaces: ["media", "qbittorrent"],
  panelServiceAccount: { namespace: "k8s-nas-panel", name: "k8s-nas-panel" },
  backupServiceAccount: "k8s-nas-panel-backup",
  images: ["docker.io/keinos/sqlite3", "keinos/sqlite3"],
};

export const JOB_POLICY = "k8s-nas-panel-backup-jobs";
export const POD_POLICY = "k8s-nas-panel-restore-pods";
export const BACKUPS_ROLE = "k8s-nas-panel-backups";

const COMPONENT = { "app.kubernetes.io/component": "backups" };

/** The objects of deploy/backups.yaml. */
export function backupObjects(input: BackupManifestInput = BACKUP_MANIFEST_DEFAULTS): Array<Record<string, unknown>> {
  const user = `system:serviceaccount:${input.panelServiceAccount.namespace}:${input.panelServiceAccount.name}`;
  const perNamespace = input.namespaces.flatMap((namespace) => [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: input.backupServiceAccount, namespace, labels: COMPONENT },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: SCRIPT_CONFIGMAP, namespace, labels: COMPONENT },
      data: { "backup.sh": BACKUP_SCRIPT },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: BACKUPS_ROLE, namespace, labels: COMPONENT },
      rules: [
        { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["list", "watch"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["list", "watch", "create"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: BACKUPS_ROLE, namespace, labels: COMPONENT },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: BACKUPS_ROLE },
      subjects: [{ kind: "ServiceAccount", name: input.panelServiceAccount.name }],
    },
  ]);
  const images = `[${input.images.map((i) => `'${i}'`).join(", ")}]`;
  const jobPolicy = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: JOB_POLICY, labels: COMPONENT },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["jobs"] }] },
      matchConditions: [{ name: "created-by-the-panel", expression: `request.userInfo.username == '${user}'` }],
      variables: [
        { name: "pod", expression: "object.spec.template.spec" },
        {
          name: "containers",
          expression: "variables.pod.containers + (has(variables.pod.initContainers) ? variables.pod.initContainers : [])",
        },
        { name: "images", expression: images },
      ],
      validations: [
        {
          expression: `has(object.metadata.labels) && '${BACKUP_LABEL}' in object.metadata.labels && object.metadata.labels['${BACKUP_LABEL}'] == 'true'`,
          reason: "Forbidden",
          message: `the panel creates only backup Jobs: the Job must carry the label ${BACKUP_LABEL}: "true"`,
        },
        {
          expression: "has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, r.apiVersion == 'batch/v1' && r.kind == 'CronJob')",
          reason: "Forbidden",
          message: "the panel creates only Jobs derived from a backup CronJob: the Job must name the CronJob as its owner",
        },
        {
          expression: `has(variables.pod.serviceAccountName) && variables.pod.serviceAccountName == '${input.backupServiceAccount}'`,
          reason: "Forbidden",
          message: `a backup Job runs as the ServiceAccount ${input.backupServiceAccount}, never the default one`,
        },
        {
          expression: "variables.containers.all(c, variables.images.exists(i, c.image == i || c.image.startsWith(i + ':') || c.image.startsWith(i + '@')))",
          reason: "Forbidden",
          message: `a backup Job runs only the images ${input.images.join(", ")}`,
        },
        {
          expression:
            "variables.containers.all(c, !has(c.securityContext) || ((!has(c.securityContext.privileged) || c.securityContext.privileged == false) && (!has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || size(c.securityContext.capabilities.add) == 0)))",
          reason: "Forbidden",
          message: "a backup Job has no privileged container and adds no capabilities",
        },
        {
          expression:
            "!(has(variables.pod.hostNetwork) && variables.pod.hostNetwork) && !(has(variables.pod.hostPID) && variables.pod.hostPID) && !(has(variables.pod.hostIPC) && variables.pod.hostIPC)",
          reason: "Forbidden",
          message: "a backup Job uses no host namespace (network, PID, IPC)",
        },
        {
          expression: "!has(variables.pod.volumes) || variables.pod.volumes.all(v, !has(v.hostPath))",
          reason: "Forbidden",
          message: "a backup Job mounts no hostPath volume",
        },
      ],
    },
  };
  const podPolicy = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: POD_POLICY, labels: COMPONENT },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["pods"] }] },
      matchConditions: [{ name: "deleted-by-the-panel", expression: `request.userInfo.username == '${user}'` }],
      validations: [
        {
          expression: `has(oldObject.metadata.labels) && '${RESTORE_LABEL}' in oldObject.metadata.labels && oldObject.metadata.labels['${RESTORE_LABEL}'] == 'enabled'`,
          reason: "Forbidden",
          message: `the panel deletes only pods of workloads it restores (pod label ${RESTORE_LABEL}: enabled, added by "enable backups")`,
        },
      ],
    },
  };
  const binding = (name: string) => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name, labels: COMPONENT },
    spec: { policyName: name, validationActions: ["Deny"] },
  });
  return [...perNamespace, jobPolicy, binding(JOB_POLICY), podPolicy, binding(POD_POLICY)];
}

/** The text of deploy/backups.yaml. */
export function renderBackupsYaml(input: BackupManifestInput = BACKUP_MANIFEST_DEFAULTS): string {
  const header = [
    "# GENERATED by `npm run deploy:backups` from deploy/backup-manifests.ts (deploy/deploy.test.ts checks it).",
    "# What backups and restores need, in each namespace that holds backups (backups.namespaces):",
    `# the ServiceAccount the backup Jobs run as (no token), the backup script (ConfigMap ${SCRIPT_CONFIGMAP},`,
    "# mounted by the backup CronJobs and the restore init containers), and the panel's only write access:",
    "# create Jobs, read their logs, delete pods. Two ValidatingAdmissionPolicies, enforced by the API server,",
    "# narrow that to Jobs derived from a backup CronJob (label, owner, backup ServiceAccount, listed images, no",
    "# privileged container, host namespace or hostPath) and to pods of workloads it restores. docs/backups.md.",
  ].join("\n");
  return `${header}\n${backupObjects(input).map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join("")}`;
}
