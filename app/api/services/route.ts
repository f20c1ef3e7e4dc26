import { withUser } from "@/server/auth/session";
import { getOverview } from "@/server/health/overview";

export const dynamic = "force-dynamic";

/** Every service with its verdict, app health, latency and uptime (the Overview's data). */
export const GET = withUser("viewer", async () => Response.json(await getOverview(), { headers: { "cache-control": "no-store" } }));
