import { withUser } from "@/server/auth/session";
import { getCertificatesView } from "@/server/certs";

export const dynamic = "force-dynamic";

/** The Certificates page's data: cert-manager's Certificates, every Ingress host's live TLS, stale copies, HTTPS-only rows. */
export const GET = withUser("viewer", async () => Response.json(await getCertificatesView(), { headers: { "cache-control": "no-store" } }));
