import { execFileSync } from 'node:child_process';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useLabCluster } from './test-cluster';

const lab = useLabCluster();

interface Condition {
  type: string;
  status: string;
}
interface CustomList<S> {
  items: { metadata: { name: string; namespace: string }; status?: S }[];
}

describe('the seeded lab cluster', () => {
  it('runs the media stack with ready replicas on the kwok node', async () => {
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const list = await apps.listNamespacedDeployment({ namespace: 'media' });
    const ready = new Map(list.items.map((d) => [d.metadata?.name, d.status?.readyReplicas ?? 0]));
    for (const name of ['sonarr', 'radarr', 'prowlarr', 'lidarr', 'bazarr', 'sabnzbd', 'jellyseerr', 'jellyfin']) {
      expect(ready.get(name), `deployment media/${name}`).toBeGreaterThanOrEqual(1);
    }
    const core = lab().kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'media', labelSelector: 'app=sonarr' });
    expect(pods.items[0]?.spec?.nodeName).toMatch(/^lab-node-/);
    expect(pods.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs qbittorrent in its own namespace', async () => {
    const apps = lab().kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ namespace: 'qbittorrent', name: 'qbittorrent' });
    expect(d.status?.readyReplicas).toBe(1);
    expect(lab().namespaces).toEqual(expect.arrayContaining(['media', 'qbittorrent', 'homepage', 'argocd']));
  });

  it('binds every PVC', async () => {
    const core = lab().kc.makeApiClient(CoreV1Api);
    const pvcs = await core.listPersistentVolumeClaimForAllNamespaces();
    expect(pvcs.items.length).toBeGreaterThan(0);
    for (const c of pvcs.items) expect(`${c.metadata?.namespace}/${c.metadata?.name}: ${c.status?.phase}`).toMatch(/: Bound$/);
  });

  it('lists cert-manager Certificates with Ready status and validity, one close to expiry', async () => {
    const custom = lab().kc.makeApiClient(CustomObjectsApi);
    const certs = (await custom.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as CustomList<{
      conditions?: Condition[];
      notAfter?: string;
      notBefore?: string;
      renewalTime?: string;
    }>;
    expect(certs.items.length).toBeGreaterThan(0);
    for (const c of certs.items) {
      expect(c.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
      expect(Date.parse(c.status?.notBefore ?? '')).toBeLessThan(Date.now());
      expect(Date.parse(c.status?.renewalTime ?? '')).toBeLessThan(Date.parse(c.status?.notAfter ?? ''));
    }
    const soon = certs.items.filter((c) => Date.parse(c.status?.notAfter ?? '') - Date.now() < 14 * 86_400_000);
    expect(soon).toHaveLength(1);
    const core = lab().kc.makeApiClient(CoreV1Api);
    const cert = certs.items[0] as (typeof certs.items)[number] & { spec?: { secretName?: string } };
    const secret = await core.readNamespacedSecret({ namespace: cert.metadata.namespace, name: cert.spec?.secretName ?? '' });
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString()).toContain('BEGIN CERTIFICATE');
  });

  it('has every Argo CD Application compared by the lab\'s Argo CD: Synced and Healthy at its branch, or a ComparisonError', async () => {
    type App = {
      metadata: { name: string; namespace: string };
      spec?: { source?: { targetRevision?: string } };
      status?: {
        sync?: { status?: string; revision?: string };
        health?: { status?: string };
        conditions?: { type: string; message: string }[];
        reconciledAt?: string;
      };
    };
    const custom = lab().kc.makeApiClient(CustomObjectsApi);
    const list = async () => ((await custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' })) as { items: App[] }).items;
    const git = lab().apps.git as { bareDir: string };
    const branchSha = (rev: string) => execFileSync('git', ['--git-dir', git.bareDir, 'rev-parse', rev === 'HEAD' ? 'HEAD' : `refs/heads/${rev}`], { encoding: 'utf8' }).trim();
    const settled = (a: App) =>
      a.status?.sync?.status === 'Unknown' ||
      (a.status?.sync?.status === 'Synced' && a.status.sync.revision === branchSha(a.spec?.source?.targetRevision ?? 'HEAD') && a.status.health?.status === 'Healthy');
    // Other test files share this lab: they push to its branches, scale workloads and restart pods. The
    // lab's Argo CD follows each of those within seconds; wait until it has, and say what it last reported.
    let apps = await list();
    for (const until = Date.now() + 90_000; Date.now() < until && !apps.every(settled); ) {
      await new Promise((r) => setTimeout(r, 1000));
      apps = await list();
    }
    const byName = new Map(apps.map((a) => [a.metadata.name, a]));
    expect(byName.has('root-application')).toBe(true);
    const media = byName.get('media-services-production-cluster');
    expect(media?.status, JSON.stringify(media?.status)).toMatchObject({ sync: { status: 'Synced', revision: branchSha('dev_starr') }, health: { status: 'Healthy' } });
    for (const a of apps) {
      const said = `${a.metadata.name}: ${JSON.stringify(a.status)}`;
      expect(Date.parse(a.status?.reconciledAt ?? ''), said).toBeGreaterThan(0);
      if (a.status?.sync?.status === 'Synced') {
        expect(a.status.sync.revision, said).toBe(branchSha(a.spec?.source?.targetRevision ?? 'HEAD'));
        expect(a.status.health?.status, said).toBe('Healthy');
      } else {
        // Applications whose path is not in the repository, as Argo CD reports them.
        expect(a.status?.sync?.status, said).toBe('Unknown');
        expect(a.status?.conditions?.[0]?.type, said).toBe('ComparisonError');
        expect(a.status?.conditions?.[0]?.message, said).toMatch(/app path does not exist$/);
      }
    }
    expect(apps.filter((a) => a.status?.sync?.status === 'Synced').length).toBeGreaterThanOrEqual(5);
    expect(apps.filter((a) => a.status?.sync?.status === 'Unknown').map((a) => a.metadata.name).sort()).toEqual(['argocd-ingress', 'sample-hello-production-cluster']);
  }, 120_000);

  it('holds the generated API keys that lab.json reports', async () => {
    const keys = lab().secrets['media/starr-secrets'];
    expect(keys?.SONARR_API_KEY).toMatch(/^[0-9a-f]{32}$/);
    const core = lab().kc.makeApiClient(CoreV1Api);
    const s = await core.readNamespacedSecret({ namespace: 'media', name: 'starr-secrets' });
    expect(Buffer.from(s.data?.SONARR_API_KEY ?? '', 'base64').toString()).toBe(keys?.SONARR_API_KEY);
  });
});
