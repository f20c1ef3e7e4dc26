import { AppError } from "@/lib/errors";
import type { ProbeAction } from "@/lib/apps/catalogue";
import { healthEndpointOf, probedKindOf, probePath, type HealthEndpoint, type ProbedKind } from "../health-endpoints";
import type { ChangePlan, PlanContext } from "../types";
import { detectUrlBase } from "../url-base";
import { oneWorkload, type ManifestContainer, type ManifestWorkload } from "../workloads";
import { YamlFileEditor } from "../yaml-file";

/** Input of the health-probe change: the workload (`namespace/name` or a unique name). */
export interface HealthProbesInput {
  target: string;
  /** URL base to use instead of the one read from the repository. */
  urlBase?: string;
}

/** A container that lacks a probe the panel knows how to write. */
export interface ProbeGap {
  container: ManifestContainer;
  kind: ProbedKind;
  missing: Array<"readinessProbe" | "livenessProbe">;
}

/** Containers of `workload` missing a readiness or liveness probe, and of a kind the panel knows. */
export function probeGaps(workload: ManifestWorkload): ProbeGap[] {
  const gaps: ProbeGap[] = [];
  for (const container of workload.containers) {
    const kind = probedKindOf(container.image);
    if (!kind) continue;
    const missing: ProbeGap["missing"] = [];
    if (!container.livenessProbe) missing.push("livenessProbe");
    if (!container.readinessProbe) missing.push("readinessProbe");
    if (missing.length > 0) gaps.push({ container, kind, missing });
  }
  return gaps;
}

function portOf(container: ManifestContainer, endpoint: HealthEndpoint): number | undefined {
  const tcp = container.ports.filter((p) => Number.isInteger(p.containerPort) && (p.protocol ?? "TCP").toUpperCase() === "TCP");
  if (endpoint.port !== undefined && tcp.some((p) => p.containerPort === endpoint.port)) return endpoint.port;
  return tcp[0]?.containerPort ?? endpoint.port;
}

function probe(action: ProbeAction, urlBase: string, port: number | undefined, timing: Record<string, number>): Record<string, unknown> {
  if (action.type === "exec") return { exec: { command: action.command }, ...timing };
  return { httpGet: { path: probePath(action, urlBase), port }, ...timing };
}

/**
 * Readiness and liveness probes for the containers of a workload that have none, using each app's
 * known health endpoint under the URL base the repository sets. Probes follow the style of the
 * user's existing ones (liveness first, numeric port, explicit timings).
 */
export function planHealthProbes(input: HealthProbesInput, ctx: PlanContext): ChangePlan {
  const workload = oneWorkload(ctx.repo, ctx.appsPath, input.target);
  const id = `${workload.namespace ?? "default"}/${workload.name}`;
  const base: Omit<ChangePlan, "files" | "summary" | "notes"> = {
    kind: "health-probes",
    locations: [workload.file],
    key: `health-probes:${id}`,
    title: `${workload.name}: add readiness and liveness probes`,
    why:
      "Without probes Kubernetes sends traffic to a pod that is still starting and never restarts one that hangs; " +
      "with them a stuck app is restarted and the Service only routes to pods that answer.",
    services: [id],
    labels: ["k8s-nas-panel", "health-probes"],
    slug: `probes-${workload.name}`,
  };
  const known = workload.containers.filter((c) => probedKindOf(c.image));
  if (known.length === 0) {
    throw new AppError(
      "invalid_input",
      `The panel knows no health endpoint for the containers of ${id} (images: ${workload.containers.map((c) => c.image).join(", ")}).`,
      { source: "gitops" },
    );
  }
  const gaps = probeGaps(workload);
  if (gaps.length === 0) {
    return { ...base, files: [], summary: [], notes: [], alreadySo: `${id} already has readiness and liveness probes on every container the panel knows (${known.map((c) => c.name).join(", ")}).` };
  }
  const text = ctx.repo.read(workload.file);
  if (text === undefined) throw new AppError("not_found", `${workload.file} could not be read from the repository.`, { source: "gitops" });
  const editor = new YamlFileEditor(workload.file, text);
  const summary: string[] = [];
  const notes: string[] = [];
  for (const gap of gaps) {
    const endpoint = healthEndpointOf(gap.kind);
    if (!endpoint) continue;
    const urlBase = input.urlBase !== undefined ? { value: input.urlBase, source: "given in the request" } : detectUrlBase(ctx.repo, workload, gap.container);
    const port = portOf(gap.container, endpoint);
    const pairs: Record<string, unknown> = {};
    if (gap.missing.includes("livenessProbe")) {
      pairs.livenessProbe = probe(endpoint.liveness, urlBase.value, port, {
        initialDelaySeconds: endpoint.livenessDelaySeconds,
        periodSeconds: 30,
        timeoutSeconds: 10,
        failureThreshold: 3,
      });
    }
    if (gap.missing.includes("readinessProbe")) {
      pairs.readinessProbe = probe(endpoint.readiness, urlBase.value, port, { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    }
    editor.addPairs(workload.docIndex, [...workload.podSpecPath, "containers", gap.container.index], pairs);
    const what = [endpoint.liveness, endpoint.readiness]
      .map((a) => (a.type === "exec" ? `\`${a.command.join(" ")}\`` : `GET ${probePath(a, urlBase.value)} on port ${port ?? "?"}`))
      .filter((v, i, all) => all.indexOf(v) === i)
      .join(" / ");
    const who = gap.container.name === gap.kind ? gap.container.name : `${gap.container.name} (${gap.kind})`;
    summary.push(`${who}: ${gap.missing.join(" and ")} — ${what}`);
    notes.push(`${gap.container.name}: ${endpoint.source}${endpoint.liveness.type === "http" && endpoint.liveness.underUrlBase ? `; URL base "${urlBase.value || "/"}" from ${urlBase.source}` : ""}.`);
  }
  return { ...base, files: [{ path: workload.file, before: text, after: editor.result() }], summary, notes };
}
