import type { Metadata } from "next";
import { IntentLink } from "@/components/ui/intent-link";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/session";
import { listRunbooks } from "@/server/runbooks";

export const metadata: Metadata = { title: "Runbooks" };

export default async function RunbooksPage() {
  await requirePageUser("viewer", "/runbooks");
  const { entries, repositoryError, repositoryPath } = await listRunbooks();
  const section = (s: string) => entries.filter((e) => e.id.startsWith(`${s}/`));
  return (
    <>
      <PageHeader
        title="Runbooks"
        description={`What to do when an alert fires, and per app. ${repositoryPath ? `Files in your GitOps repository under ${repositoryPath}/alerts/ and ${repositoryPath}/apps/ replace or add to these.` : "Connect a GitOps repository to add your own."}`}
      />
      {repositoryError && <Alert tone="info" title="Your own runbooks could not be read">{repositoryError}</Alert>}
      <div className="grid gap-4 md:grid-cols-2">
        {(["alerts", "apps"] as const).map((s) => (
          <Card key={s} title={s === "alerts" ? "Per alert" : "Per app"} testId={`runbooks-${s}`}>
            <ul className="space-y-1 text-sm">
              {section(s).map((e) => (
                <li key={e.id}>
                  <IntentLink href={`/runbooks/${e.id}`} className="text-sky-700 underline dark:text-sky-300">
                    {e.title}
                  </IntentLink>{" "}
                  {e.origin === "repository" && <Badge tone="ok">{e.overrides ? "yours (replaces)" : "yours"}</Badge>}
                </li>
              ))}
            </ul>
          </Card>
        ))}
      </div>
    </>
  );
}
