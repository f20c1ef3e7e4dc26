import type { BaseSource, ChangePlan } from "./types";

/** What the pull request body says besides the plan. */
export interface PrContext {
  author: string;
  baseBranch: string;
  baseSource: BaseSource;
  /** Argo CD Applications that deploy the edited files (`namespace/name`). */
  applications: string[];
  /** Link back to the change on the panel, when `server.publicUrl` is set. */
  panelUrl?: string;
}

const BASE_WHY: Record<BaseSource, string> = {
  config: "set in the panel's configuration (gitops.baseBranch)",
  argocd: "the branch Argo CD deploys these files from (the Applications' targetRevision)",
  default: "the repository's default branch (no Argo CD Application deploys these files)",
};

/** The commit message: the title, a blank line, then what changed and who asked. */
export function commitMessage(plan: ChangePlan, ctx: Pick<PrContext, "author">): string {
  return [plan.title, "", ...plan.summary.map((s) => `- ${s}`), "", `Proposed through k8s-nas-panel by ${ctx.author}.`].join("\n");
}

/** Markdown body of the pull request: what changes and why, affected services, notes, a link back. */
export function pullRequestBody(plan: ChangePlan, ctx: PrContext): string {
  const lines = [
    "## What changes",
    ...plan.summary.map((s) => `- ${s}`),
    "",
    "## Why",
    plan.why,
    "",
    "## Affected services",
    ...plan.services.map((s) => `- \`${s}\``),
    "",
    ctx.applications.length > 0
      ? `Argo CD deploys this from \`${ctx.baseBranch}\` through ${ctx.applications.map((a) => `\`${a}\``).join(", ")}; it goes live when Argo CD syncs the merge commit.`
      : `Base branch \`${ctx.baseBranch}\`: ${BASE_WHY[ctx.baseSource]}.`,
    "",
    "## Files",
    ...plan.files.map((f) => `- \`${f.path}\`${f.before === null ? " (new)" : f.after === null ? " (deleted)" : ""}`),
  ];
  if (plan.notes.length > 0) lines.push("", "## Notes for the reviewer", ...plan.notes.map((n) => `- ${n}`));
  lines.push("", "---", `Proposed by ${ctx.author} through k8s-nas-panel${ctx.panelUrl ? `: ${ctx.panelUrl}` : "."} Only the lines above change; comments and formatting of the files are kept.`);
  return `${lines.join("\n")}\n`;
}
