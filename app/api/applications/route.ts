import { withUser } from "@/server/auth/session";
import { getApplicationsData } from "@/server/health/applications";

export const dynamic = "force-dynamic";

/** Every Argo CD Application and ApplicationSet with its state (the Applications view's data). */
export const GET = withUser("viewer", async () => Response.json(await getApplicationsData(), { headers: { "cache-control": "no-store" } }));
