import { APP_CATALOGUE, type ResourceFacts } from "@/lib/apps/catalogue";
import { AppError } from "@/lib/errors";
import { recognizeImage } from "@/lib/k8s/recognize";
import { parseQuantity } from "@/lib/k8s/quantity";
import type { ChangePlan, PlanContext } from "../types";
import { oneWorkload, type ManifestContainer, type ManifestWorkload } from "../workloads";
import { YamlFileEditor, type YamlPath } from "../yaml-file";

/** Input of the resources change: the workload (`namespace/name` or a unique name). */
export interface ResourcesInput {
  target: string;
}

/** The most a container of the workload was seen using: CPU in cores, memory in bytes. */
export interface MeasuredUsage {
  cpu?: number;
  memory?: number;
}

/** What the resources planner knows besides the repository. */
export interface ResourcesContext extends PlanContext {
  /** Measured usage of the workload's containers, by container name (the metrics API), when the panel has it. */
  usage?: Readonly<Record<string, MeasuredUsage>>;
}

/**
 * Requests and limits for a container the catalogue knows no figures for (an image the panel does
 * not recognise): small, and said so in the pull request.
 */
export const FALLBACK_RESOURCES: ResourceFacts = { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } };

const MI = 2 ** 20;

/** A container that lacks requests or limits. */
export interface ResourceGap {
  container: ManifestContainer;
  missing: Array<"requests" | "limits">;
}

/** Containers of `workload` with no requests or no limits (what the readiness cell asks for). */
export function resourceGaps(workload: ManifestWorkload): ResourceGap[] {
  return workload.containers.flatMap((container) => {
    const missing: ResourceGap["missing"] = [];
    if (container.requests.length === 0) missing.push("requests");
    if (container.limits.length === 0) missing.push("limits");
    return missing.length > 0 ? [{ container, missing }] : [];
  });
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** CPU in cores as millicores, rounded up to 10m. */
function cpuQuantity(cores: number): string {
  return `${roundUp(cores * 1000, 10)}m`;
}

/** Memory in bytes as mebibytes, rounded up to `stepMi`. */
function memoryQuantity(bytes: number, stepMi: number): string {
  return `${roundUp(bytes / MI, stepMi)}Mi`;
}

/** The larger of a quantity and a measured figure (as a quantity); which one won. */
function atLeast(typical: string, measured: string | undefined): { value: string; raised: boolean } {
  if (measured === undefined) return { value: typical, raised: false };
  const a = parseQuantity(typical) ?? 0;
  const b = parseQuantity(measured) ?? 0;
  return b > a ? { value: measured, raised: true } : { value: typical, raised: false };
}

/**
 * The figures for one container: the catalogue's typical ones for its app, raised to what the pod
 * was measured using (requests at least the usage, the memory limit at least twice it), with where
 * they came from.
 */
export function resourcesFor(container: ManifestContainer, usage: MeasuredUsage | undefined): { facts: ResourceFacts; source: string } {
  const kind = recognizeImage(container.image);
  const known = kind !== "other" ? APP_CATALOGUE[kind].resources : null;
  const typical = known ?? FALLBACK_RESOURCES;
  const source = known && kind !== "other" ? `typical figures for ${APP_CATALOGUE[kind].label}` : `no typical figures are known for ${container.image || "its image"}: a small default`;
  const cpu = atLeast(typical.requests.cpu, usage?.cpu !== undefined ? cpuQuantity(usage.cpu) : undefined);
  const memory = atLeast(typical.requests.memory, usage?.memory !== undefined ? memoryQuantity(usage.memory, 32) : undefined);
  const limit = atLeast(typical.limits.memory, usage?.memory !== undefined ? memoryQuantity(usage.memory * 2, 128) : undefined);
  const raised = cpu.raised || memory.raised || limit.raised;
  return {
    facts: { requests: { cpu: cpu.value, memory: memory.value }, limits: { memory: limit.value } },
    source: raised ? `${source}, raised to the measured usage` : source,
  };
}

/**
 * Sets requests and limits on the containers of a workload that lack them, in its manifest: the
 * catalogue's typical figures for each container's app, or higher when the panel has measured the
 * pod using more. A memory limit and no CPU limit (see `ResourceFacts`). Requests or limits already
 * written are left as they are.
 */
export function planResources(input: ResourcesInput, ctx: ResourcesContext): ChangePlan {
  const workload = oneWorkload(ctx.repo, ctx.appsPath, input.target);
  const id = `${workload.namespace ?? "default"}/${workload.name}`;
  const base: Omit<ChangePlan, "files" | "summary" | "notes"> = {
    kind: "resources",
    locations: [workload.file],
    key: `resources:${id}`,
    title: `${workload.name}: set resource requests and limits`,
    why:
      "Without requests the scheduler cannot reserve room for the app, and without a memory limit one app that leaks " +
      "can take the node's memory from every other one; with them the node's share is known and a runaway container is restarted alone.",
    services: [id],
    labels: ["k8s-nas-panel", "resources"],
    slug: `resources-${workload.name}`,
  };
  const gaps = resourceGaps(workload);
  if (gaps.length === 0) {
    return { ...base, files: [], summary: [], notes: [], alreadySo: `${id} already sets requests and limits on every container (${workload.containers.map((c) => c.name).join(", ")}).` };
  }
  const text = ctx.repo.read(workload.file);
  if (text === undefined) throw new AppError("not_found", `${workload.file} could not be read from the repository.`, { source: "gitops" });
  const editor = new YamlFileEditor(workload.file, text);
  const summary: string[] = [];
  const notes: string[] = [];
  for (const gap of gaps) {
    const { facts, source } = resourcesFor(gap.container, ctx.usage?.[gap.container.name]);
    const containerPath: YamlPath = [...workload.podSpecPath, "containers", gap.container.index];
    const wanted: Record<string, unknown> = {};
    if (gap.missing.includes("requests")) wanted.requests = { ...facts.requests };
    if (gap.missing.includes("limits")) wanted.limits = { ...facts.limits };
    setResources(editor, workload, containerPath, wanted);
    const parts = [
      ...(gap.missing.includes("requests") ? [`requests cpu ${facts.requests.cpu}, memory ${facts.requests.memory}`] : []),
      ...(gap.missing.includes("limits") ? [`memory limit ${facts.limits.memory}`] : []),
    ];
    summary.push(`${gap.container.name}: ${parts.join("; ")}`);
    notes.push(`${gap.container.name}: ${source}.`);
  }
  notes.push("No CPU limit is set: a CPU limit only throttles the app when the node has CPU to spare; the memory limit restarts a container that runs away.");
  return { ...base, files: [{ path: workload.file, before: text, after: editor.result() }], summary, notes };
}

/** Writes `wanted` (requests and/or limits) under the container's `resources`, whatever of it is already written. */
function setResources(editor: YamlFileEditor, workload: ManifestWorkload, containerPath: YamlPath, wanted: Record<string, unknown>): void {
  const resourcesPath: YamlPath = [...containerPath, "resources"];
  const node = editor.node(workload.docIndex, resourcesPath);
  if (node === undefined) {
    // After `image:`, not at the end of the container where "add probes" writes: both pull requests merge.
    editor.addPairsAfter(workload.docIndex, containerPath, "image", { resources: wanted });
    return;
  }
  if (isEmpty(node)) {
    editor.fillEmpty(workload.docIndex, resourcesPath, wanted);
    return;
  }
  const add: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wanted)) {
    const child = editor.node(workload.docIndex, [...resourcesPath, key]);
    if (child === undefined) add[key] = value;
    else if (isEmpty(child)) editor.fillEmpty(workload.docIndex, [...resourcesPath, key], value as Record<string, unknown>);
    else editor.setValue(workload.docIndex, [...resourcesPath, key], value);
  }
  if (Object.keys(add).length > 0) editor.addPairs(workload.docIndex, resourcesPath, add);
}

/** A key written with no value (`resources:` alone on its line). */
function isEmpty(node: unknown): boolean {
  return typeof node === "object" && node !== null && "value" in node && (node as { value: unknown }).value === null && !("items" in node);
}
