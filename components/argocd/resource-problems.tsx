import type { ArgoResourceProblem } from "@/lib/gitops/argo-view";

/** The resources of an Application that are not Synced or not Healthy. */
export function ResourceProblems({ problems }: { problems: readonly ArgoResourceProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="mt-2 space-y-0.5 text-xs" data-testid="argocd-resources">
      {problems.map((r) => (
        <li key={`${r.kind}/${r.namespace ?? ""}/${r.name}`} data-resource={`${r.kind}/${r.name}`}>
          <span className="font-mono">
            {r.kind} {r.namespace ? `${r.namespace}/` : ""}
            {r.name}
          </span>
          {": "}
          {r.status}
          {r.health ? ` · ${r.health}` : ""}
          {r.requiresPruning ? " · requires pruning" : ""}
          {r.message ? ` (${r.message})` : ""}
        </li>
      ))}
    </ul>
  );
}
