import "server-only";
import type { ActionResult } from "@/lib/action-result";
import { toAppError } from "@/lib/errors";
import { joinSteps, perService, planMakeReady, type MakeReadyPreview, type MakeReadyStep, type PreviewedStep, type ReadinessFix, type StepResult } from "@/lib/readiness/make-ready";
import { applyIntegrationFixes } from "@/server/actions/integrations";
import { backupNowAction, verifyBackupAction } from "@/server/actions/backups";
import { probeCertificates, renewCertificateNow } from "@/server/actions/certificates";
import { proposeChange } from "@/server/actions/changes";
import { sendTestNotificationAction } from "@/server/actions/alerts";
import { backupsView, jobProgress } from "@/server/backups/service";
import { getConfig } from "@/server/config/load";
import { getGitopsService } from "@/server/git";
import { planIntegrations } from "@/server/integrations/engine";
import { forgetIntegrationsReading, getReadiness } from "@/server/readiness";

/** A step with its own preview, or why it cannot run at all (a pull request its plan refuses). */
async function previewStep(step: MakeReadyStep): Promise<PreviewedStep | { refused: string }> {
  const fix = step.fix;
  if (fix.kind === "change") {
    const svc = getGitopsService();
    if (!svc) return { refused: "changes through Git are off (no gitops section in the configuration)" };
    let p;
    try {
      p = await svc.preview(fix.request);
    } catch (error) {
      // The same refusal the Changes page would show: nothing to run; the cell keeps its next click.
      return { refused: `its pull request cannot be planned: ${toAppError(error).message}` };
    }
    // Nothing to change in Git: no pull request to open, so no step; the cell says what it still misses.
    if (p.outcome === "already_so") return { refused: `its change is already in Git (${(p.message ?? "nothing to change").replace(/^Already so: /, "").replace(/\.$/, "")})` };
    const note = p.outcome === "already_open" ? `A pull request for it is already open${p.existing?.prUrl ? `: ${p.existing.prUrl}` : ""}; running the step finds it again.` : undefined;
    return { ...step, changes: [...p.summary, ...p.files.map((f) => `edits ${f}`)], fingerprint: p.fingerprint, ...(note ? { note } : {}) };
  }
  try {
    if (fix.kind === "integrations") {
      const { plan } = await planIntegrations(fix.keys);
      return {
        ...step,
        changes: plan.steps.map((s) => `${s.fromName} → ${s.toName} (${s.title}): ${s.words}`),
        ...(plan.skipped.length > 0 ? { note: `Not fixed here: ${plan.skipped.map((s) => `${s.title}: ${s.reason}`).join("; ")}.` } : {}),
      };
    }
    return { ...step, changes: [] };
  } catch (error) {
    return { ...step, changes: [], note: `Its preview failed: ${toAppError(error).message} Running it will say whether it can be done.` };
  }
}

/** The plan of "make everything ready" from the matrix now, each step with its own preview. */
export async function previewMakeReady(): Promise<MakeReadyPreview> {
  const matrix = await getReadiness();
  const planned = planMakeReady(matrix);
  const steps: PreviewedStep[] = [];
  const refused = new Map<string, string>();
  // One at a time: the previews share the repository's clone and the apps' rate limits.
  for (const step of planned) {
    const p = await previewStep(step);
    const parts = perService(step);
    if ("refused" in p && parts.length > 1) {
      // One pull request for several services, refused: leave out the services whose own plan is
      // refused, and preview the one pull request for the others; when they cannot be one (their
      // files are deployed from different branches), one pull request each.
      const kept: Array<{ part: MakeReadyStep; alone: PreviewedStep }> = [];
      for (const part of parts) {
        const alone = await previewStep(part);
        if ("refused" in alone) for (const c of part.cells) refused.set(`${c.service}|${c.requirement}`, alone.refused);
        else kept.push({ part, alone });
      }
      const joined = joinSteps(kept.map((k) => k.part));
      if (!joined) continue;
      const together = kept.length === 1 ? { ...kept[0]!.alone, id: joined.id } : await previewStep(joined);
      if ("refused" in together) steps.push(...kept.map((k) => k.alone));
      else steps.push(together);
      continue;
    }
    if ("refused" in p) for (const c of step.cells) if (!refused.has(`${c.service}|${c.requirement}`)) refused.set(`${c.service}|${c.requirement}`, p.refused);
    if (!("refused" in p)) steps.push(p);
  }
  const covered = new Set(steps.flatMap((s) => s.cells.map((c) => `${c.service}|${c.requirement}`)));
  const manual = matrix.services.flatMap((s) =>
    s.cells
      .filter((c) => c.state === "failing" && !covered.has(`${s.id}|${c.requirement}`))
      .map((c) => {
        const why = refused.get(`${s.id}|${c.requirement}`);
        return { service: s.id, requirement: c.requirement, state: c.state, reason: why ? `${c.reason} Not in the plan: ${why}` : c.reason, ...(c.fix ? { href: c.fix.href } : {}) };
      }),
  );
  return { steps, score: matrix.score, manual };
}

function failed<T>(r: ActionResult<T>): StepResult | undefined {
  return r.ok ? undefined : { state: "failed", message: r.message };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a backup Job to end; says the last state seen when it does not in time. */
async function waitForBackupJob(namespace: string, job: string): Promise<StepResult> {
  const deadline = Date.now() + Math.max(120, getConfig().backups.restoreTimeoutSeconds) * 1000;
  let last = "not read yet";
  while (Date.now() < deadline) {
    try {
      const p = await jobProgress(namespace, job);
      if (p.state === "succeeded") return { state: "done", message: `Backed up (Job ${namespace}/${job})${p.backup?.location ? `: ${p.backup.location}` : ""}.` };
      if (p.state === "failed") return { state: "failed", message: `The backup Job ${namespace}/${job} failed${p.reason ? `: ${p.reason}` : ""}.` };
      last = p.state;
    } catch (error) {
      last = toAppError(error).message;
    }
    await sleep(1_000);
  }
  return { state: "failed", message: `The backup Job ${namespace}/${job} did not end in time (last seen: ${last}).` };
}

/** Per kind, how a step runs: through the same guarded, audited action its cell's button uses. */
const RUNNERS: { [K in ReadinessFix["kind"]]: (fix: Extract<ReadinessFix, { kind: K }>, fingerprint?: string) => Promise<StepResult> } = {
  integrations: async (fix) => {
    const r = await applyIntegrationFixes({ keys: fix.keys });
    forgetIntegrationsReading();
    if (!r.ok) return { state: "failed", message: r.message };
    const bad = r.data.results.filter((x) => x.outcome === "failed");
    const message = `${r.data.changed} changed, ${r.data.unchanged} already right${bad.length > 0 ? `, ${bad.length} failed: ${bad.map((b) => `${b.title}: ${b.message}`).join("; ")}` : ""}.`;
    return { state: bad.length > 0 ? "failed" : "done", message, links: [{ label: "Integrations", href: "/integrations" }] };
  },
  "renew-certificate": async (fix) => {
    const r = await renewCertificateNow({ namespace: fix.namespace, name: fix.name, confirmed: true });
    return failed(r) ?? { state: "done", message: `Renewal of ${fix.namespace}/${fix.name} requested from cert-manager.`, links: [{ label: "Certificates", href: "/certificates" }] };
  },
  "probe-hosts": async (fix) => {
    const r = await probeCertificates({ hosts: fix.hosts });
    return failed(r) ?? { state: "done", message: r.ok ? `${r.data.hosts} host${r.data.hosts === 1 ? "" : "s"} checked (${r.data.checks} checks).` : "" };
  },
  "backup-now": async (fix) => {
    const r = await backupNowAction({ serviceId: fix.serviceId });
    if (!r.ok) return { state: "failed", message: r.message };
    return { ...(await waitForBackupJob(r.data.namespace, r.data.job)), links: [{ label: "Backups", href: "/backups" }] };
  },
  drill: async (fix) => {
    const protection = (await backupsView()).services.find((s) => s.serviceId === fix.serviceId);
    const good = protection?.lastGood;
    if (!good) return { state: "failed", message: `${fix.serviceId} has no good backup to drill.` };
    const r = await verifyBackupAction({ serviceId: fix.serviceId, backupId: good.id });
    if (!r.ok) return { state: "failed", message: r.message };
    return { state: r.data.ok ? "done" : "failed", message: `Restore drill of backup ${good.id}: ${r.data.ok ? "passed" : "failed"} (${r.data.detail}).`, links: [{ label: "Backups", href: "/backups" }] };
  },
  "test-notification": async () => {
    const r = await sendTestNotificationAction({});
    if (!r.ok) return { state: "failed", message: r.message };
    const bad = r.data.filter((o) => o.status !== "sent");
    return bad.length === 0
      ? { state: "done", message: `Delivered to ${r.data.map((o) => o.target).join(", ")}.` }
      : { state: "failed", message: `Not delivered: ${bad.map((o) => `${o.target} (${o.error ?? o.status})`).join("; ")}.` };
  },
  change: async (fix, fingerprint) => {
    const r = await proposeChange({ request: fix.request, ...(fingerprint ? { fingerprint } : {}) });
    if (!r.ok) return { state: "failed", message: r.message };
    return { state: "done", message: r.data.message, ...(r.data.prUrl ? { links: [{ label: r.data.outcome === "already_open" ? "Open pull request" : "Pull request", href: r.data.prUrl }] } : {}) };
  },
};

/** Runs one step through its cell's own action; never throws (a failure is the step's result). */
export async function runMakeReadyStep(fix: ReadinessFix, fingerprint?: string): Promise<StepResult> {
  try {
    const run = RUNNERS[fix.kind] as (f: ReadinessFix, fp?: string) => Promise<StepResult>;
    return await run(fix, fingerprint);
  } catch (error) {
    return { state: "failed", message: toAppError(error).message };
  }
}
