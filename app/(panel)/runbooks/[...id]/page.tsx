import type { Metadata } from "next";
import { IntentLink } from "@/components/ui/intent-link";
import { notFound } from "next/navigation";
import { Markdown } from "@/components/markdown";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { resolveRunbookLink } from "@/lib/runbooks";
import { requirePageUser } from "@/server/auth/session";
import { getRunbook } from "@/server/runbooks";

export const metadata: Metadata = { title: "Runbook" };

/** One runbook (the owner's from the GitOps repository over the panel's own), rendered without HTML. */
export default async function RunbookPage({ params }: { params: Promise<{ id: string[] }> }) {
  const { id: parts } = await params;
  const id = parts.map((p) => decodeURIComponent(p)).join("/");
  await requirePageUser("viewer", `/runbooks/${id}`);
  const runbook = await getRunbook(id);
  if (!runbook) notFound();
  return (
    <article data-testid="runbook" data-runbook={runbook.id} className="max-w-3xl">
      <p className="mb-2 text-xs">
        <IntentLink href="/runbooks" className="text-sky-700 underline dark:text-sky-300">
          All runbooks
        </IntentLink>{" "}
        · <span data-testid="runbook-source">{runbook.source}</span>{" "}
        <Badge tone={runbook.origin === "repository" ? "ok" : "neutral"}>{runbook.origin === "repository" ? (runbook.overrides ? "yours, replaces the panel's" : "yours") : "shipped with the panel"}</Badge>
      </p>
      {runbook.repositoryError && (
        <Alert tone="info" title="Your own runbooks could not be read">
          {runbook.repositoryError}
        </Alert>
      )}
      <Card>
        <div className="text-sm leading-relaxed" data-testid="runbook-body">
          <Markdown blocks={runbook.blocks} link={(href) => resolveRunbookLink(href, runbook.id)} />
        </div>
      </Card>
    </article>
  );
}
