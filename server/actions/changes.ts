"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { changeRequestSchema, type ChangeRequest } from "@/lib/gitops/change-kinds";
import { getGitopsService, type GitopsService } from "@/server/git";
import { action } from "./action";

function service(): GitopsService {
  const svc = getGitopsService();
  if (!svc) throw new AppError("invalid_input", "Changes through Git are off: add a gitops section (repoUrl, forge, tokenEnv) to the panel's configuration.", { source: "gitops" });
  return svc;
}

function targetOf(request: ChangeRequest): string {
  if (request.kind === "health-probes") return `${request.kind} ${request.target}`;
  if (request.kind === "resources") return `${request.kind} ${request.target}`;
  if (request.kind === "https-only") return `${request.kind} ${request.ingress}`;
  if (request.kind === "enable-backups") return `${request.kind} ${[request.target, ...(request.also ?? [])].join(", ")}`;
  return request.kind;
}

/** Plans a change and returns its diff without writing anything. Admin only. */
export const previewChange = action({
  name: "changes.preview",
  role: "admin",
  schema: changeRequestSchema,
  target: targetOf,
  run: async (request) => ({ data: await service().preview(request) }),
});

const proposeInput = z.object({
  request: changeRequestSchema,
  /** The preview's fingerprint: the change is refused when the base moved since the preview. */
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

/**
 * Proposes a change: a branch, a commit and a pull request on the GitOps repository (or the open
 * pull request of the same change, or "already so"). Admin only.
 */
export const proposeChange = action({
  name: "changes.propose",
  role: "admin",
  schema: proposeInput,
  target: (input) => targetOf(input.request),
  run: async (input, { user }) => {
    const outcome = await service().propose(input.request, user.name, { expectedFingerprint: input.fingerprint });
    revalidatePath("/changes");
    return {
      data: outcome,
      target: outcome.change ? `${targetOf(input.request)} (${outcome.change.branch})` : targetOf(input.request),
      links: outcome.prUrl ? [{ label: outcome.outcome === "already_open" ? "Open pull request" : "Pull request", href: outcome.prUrl }] : undefined,
    };
  },
});

/**
 * Re-reads pull requests and Argo CD now. Read-only towards the repository and the cluster, but each
 * call spends the forge token's rate limit, so it is for admins; everyone else gets the page's own
 * refresh every `gitops.pollSeconds`.
 */
export const refreshChanges = action({
  name: "changes.refresh",
  role: "admin",
  schema: z.object({}).passthrough(),
  target: () => "changes",
  run: async () => {
    const svc = service();
    await svc.refresh({ force: true });
    revalidatePath("/changes");
    return { data: { count: svc.list().length } };
  },
});

const revertTarget = z.object({ id: z.number().int().positive() });

/** Plans the revert of a merged change (`git revert -m 1` of its merge commit) and returns its diff or conflict. Admin only. */
export const previewRevert = action({
  name: "changes.revert-preview",
  role: "admin",
  schema: revertTarget,
  target: (input) => `revert change ${input.id}`,
  run: async (input) => ({ data: await service().previewRevert(input.id) }),
});

/**
 * Proposes the revert of a merged change: the revert commit pushed as a new branch and a pull
 * request, refused when it conflicts or the base moved since the preview. Admin only.
 */
export const proposeRevert = action({
  name: "changes.revert",
  role: "admin",
  schema: revertTarget.extend({ fingerprint: z.string().regex(/^[0-9a-f]{16}$/) }),
  target: (input) => `revert change ${input.id}`,
  run: async (input, { user }) => {
    const outcome = await service().revert(input.id, user.name, { expectedFingerprint: input.fingerprint });
    revalidatePath("/changes");
    return {
      data: outcome,
      target: outcome.change ? `revert change ${input.id} (${outcome.change.branch})` : `revert change ${input.id}`,
      links: outcome.prUrl ? [{ label: outcome.outcome === "already_open" ? "Open pull request" : "Pull request", href: outcome.prUrl }] : undefined,
    };
  },
});
