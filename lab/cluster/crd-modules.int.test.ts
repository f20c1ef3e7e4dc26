import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { requireShared } from '../../lib/shared-fixture.test-helper';
import { parseManifests } from './gitops';
import { crdModules, missingCrdModules } from '../paths';
import { useLabCluster } from './test-cluster';

/**
 * The lab's CRDs come from the projects' Go modules (lab/cluster/crd-modules.txt); the lab's
 * globalSetup fetched them. Where the owner's copies exist (`<shared>/specs/crds/<project>`), the
 * fetched ones are the same files.
 */
const lab = useLabCluster({ reset: false });

interface CrdFile {
  file: string;
  sha256: string;
  kinds: string[];
}

function crdFiles(dir: string): CrdFile[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const kinds = parseManifests(text)
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .flatMap((o) => {
          const spec = (o as { spec?: { group?: string; names?: { kind?: string }; versions?: { name?: string; served?: boolean }[] } }).spec ?? {};
          return (spec.versions ?? []).filter((v) => v.served === true).map((v) => `${spec.group}/${v.name} ${spec.names?.kind}`);
        });
      return { file: f, sha256: createHash('sha256').update(text).digest('hex'), kinds };
    });
}

describe('CRDs from Go modules', () => {
  it('are all in the cache after the lab started', () => {
    expect(missingCrdModules().map((m) => m.name)).toEqual([]);
  });

  it("are the owner's copies in <shared>/specs/crds, file for file (same kinds, versions and bytes)", () => {
    const sharedCrds = requireShared('specs', 'crds');
    const projects = readdirSync(sharedCrds).sort();
    expect(projects).toEqual(['argocd', 'cert-manager', 'velero']);
    for (const project of projects) {
      const mod = crdModules().find((m) => m.name === project);
      expect(mod, `a line for ${project} in lab/cluster/crd-modules.txt`).toBeDefined();
      if (mod === undefined) continue;
      const owner = crdFiles(path.join(sharedCrds, project));
      const fetched = crdFiles(mod.dir);
      expect(fetched.map((f) => f.file), project).toEqual(owner.map((f) => f.file));
      expect(fetched.flatMap((f) => f.kinds).sort(), project).toEqual(owner.flatMap((f) => f.kinds).sort());
      expect(fetched.map((f) => f.sha256), project).toEqual(owner.map((f) => f.sha256));
    }
  });

  it('are served by the lab: every kind of cert-manager, Argo CD and Velero is Established', async () => {
    const api = lab().kc.makeApiClient(ApiextensionsV1Api);
    const served = await api.listCustomResourceDefinition();
    const established = new Set(
      served.items
        .filter((c) => (c.status?.conditions ?? []).some((k) => k.type === 'Established' && k.status === 'True'))
        .map((c) => c.spec.names.kind),
    );
    const expected = crdModules()
      .filter((m) => ['cert-manager', 'argocd', 'velero'].includes(m.name))
      .flatMap((m) => crdFiles(m.dir).flatMap((f) => f.kinds.map((k) => k.split(' ')[1] ?? '')));
    expect(new Set(expected)).toEqual(
      new Set(['Certificate', 'CertificateRequest', 'Issuer', 'ClusterIssuer', 'Application', 'ApplicationSet', 'AppProject', 'Backup', 'Restore', 'Schedule', 'BackupStorageLocation']),
    );
    for (const kind of expected) expect(established.has(kind), kind).toBe(true);
  });
});
