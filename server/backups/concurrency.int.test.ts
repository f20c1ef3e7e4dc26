/**
 * Two triggers on one service's backups at the same moment, against the lab's real API server: a
 * backup CronJob (its Job sleeps, played for real by the lab executor) and the panel's backup
 * functions as the actions call them. One trigger starts its Job, the other is refused with who
 * holds the service, and the cluster holds exactly one Job; triggers on another service are not
 * held up.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BatchV1Api, type V1CronJob } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKUP_LABEL, BACKUP_OF } from "@/lib/backups/config-volume";
import { getLab, type LabHandle } from "@/lab/cluster/test-cluster";
import { AppError } from "@/lib/errors";
import { accountsYaml, setAccountHashes } from "@/test/sessions";

const NS = "media";
const WORKLOADS = ["faults-concurrency-a", "faults-concurrency-b"] as const;
let lab: LabHandle;

const batch = () => lab.kc.makeApiClient(BatchV1Api);

function cronJob(workload: string): V1CronJob {
  const labels = { [BACKUP_LABEL]: "true", [BACKUP_OF]: workload };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: `${workload}-backup`, namespace: NS, labels, annotations: { [BACKUP_OF]: workload } },
    spec: {
      schedule: "0 3 * * *",
      suspend: true,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: { restartPolicy: "Never", containers: [{ name: "backup", image: "busybox", command: ["sh", "-c", "sleep 20"] }] },
          },
        },
      },
    },
  };
}

async function cleanUp(): Promise<void> {
  for (const w of WORKLOADS) {
    await batch().deleteNamespacedCronJob({ name: `${w}-backup`, namespace: NS, propagationPolicy: "Background" }).catch(() => undefined);
    await batch().deleteCollectionNamespacedJob({ namespace: NS, labelSelector: `${BACKUP_OF}=${w}`, propagationPolicy: "Background" });
  }
}

beforeAll(async () => {
  lab = getLab();
  const dir = mkdtempSync(path.join(tmpdir(), "panel-backup-concurrency-"));
  const accounts = [{ username: "admin", role: "admin" }] as const;
  await setAccountHashes(accounts);
  writeFileSync(path.join(dir, "config.yaml"), `${accountsYaml(accounts)}\nkubernetes:\n  mode: kubeconfig\n  kubeconfig: ${JSON.stringify(lab.kubeconfig)}\nbackups:\n  namespaces: [${NS}]\n`);
  process.env.PANEL_CONFIG = path.join(dir, "config.yaml");
  process.env.PANEL_DATA_DIR = path.join(dir, "data");
  await cleanUp();
  for (const w of WORKLOADS) await batch().createNamespacedCronJob({ namespace: NS, body: cronJob(w) });
}, 60_000);

afterAll(async () => {
  if (lab) await cleanUp();
});

async function jobsOf(workload: string): Promise<string[]> {
  const list = await batch().listNamespacedJob({ namespace: NS, labelSelector: `${BACKUP_OF}=${workload}` });
  return list.items.map((j) => j.metadata?.name ?? "");
}

describe("two backup triggers on one service at once", () => {
  it("one Job starts, the other trigger is refused with who holds the service; another service is not held up", async () => {
    const { backupNow } = await import("./service");
    const [a, b] = WORKLOADS;
    const results = await Promise.allSettled([backupNow(`${NS}/${a}`, "alice"), backupNow(`${NS}/${a}`, "bob"), backupNow(`${NS}/${b}`, "carol")]);
    const [first, second, other] = results;
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    const refusal = (second as PromiseRejectedResult).reason as AppError;
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal.code).toBe("conflict");
    expect(refusal.message).toMatch(new RegExp(`^A backup of ${NS}/${a} is in progress \\(started by alice \\d+ s ago\\); wait until it ends\\.$`));
    expect(other.status).toBe("fulfilled");
    expect(await jobsOf(a)).toEqual([(first as PromiseFulfilledResult<{ job: string }>).value.job]);
    expect(await jobsOf(b)).toHaveLength(1);
    // The claim is gone once the Job exists; from then on the running Job refuses the next trigger.
    await expect(backupNow(`${NS}/${a}`, "bob")).rejects.toMatchObject({ code: "conflict", message: expect.stringMatching(/^A backup or restore of media\/faults-concurrency-a is running \(Job faults-concurrency-a-backup-now-/) });
    expect(await jobsOf(a)).toHaveLength(1);
  }, 60_000);

  it("a restore drill and a backup pressed together: one runs, the other is refused", async () => {
    const { getDb } = await import("@/server/db");
    const { verifyBackup } = await import("./restore");
    const { backupNow } = await import("./service");
    const w = WORKLOADS[1];
    // Wait for the earlier test's Job of this service to end (it sleeps 20 s), so only the claim decides.
    const { listJobs, jobState, kc } = await import("./service");
    for (let i = 0; i < 60; i++) {
      const running = (await listJobs(kc(), NS)).filter((j) => j.metadata.labels?.[BACKUP_OF] === w && jobState(j).result === "running");
      if (running.length === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const id = getDb()
      .$client.prepare("INSERT INTO backup_runs (service_id, source, trigger, started_at, finished_at, result, archive, sha256) VALUES (?, 'volume', 'manual', ?, ?, 'succeeded', 'a.tar.gz', 'x') RETURNING id")
      .get(`${NS}/${w}`, Date.now() - 60_000, Date.now() - 50_000) as { id: number };
    const before = (await jobsOf(w)).length;
    const [drill, backup] = await Promise.allSettled([verifyBackup(`${NS}/${w}`, id.id, "restore drill"), backupNow(`${NS}/${w}`, "dave")]);
    // The drill ran its (sleeping) Job, which does not print a result: the drill fails, honestly.
    expect(drill).toMatchObject({ status: "fulfilled", value: { ok: false } });
    expect(backup.status).toBe("rejected");
    expect(((backup as PromiseRejectedResult).reason as AppError).message).toMatch(new RegExp(`^A restore drill of ${NS}/${w} is in progress \\(started by restore drill`));
    expect(await jobsOf(w)).toHaveLength(before + 1);
  }, 90_000);
});
