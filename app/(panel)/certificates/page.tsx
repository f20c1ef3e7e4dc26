import type { Metadata } from "next";
import { CertificatesLive, type CertificateActions } from "@/components/certificates/certificates-live";
import { PageHeader } from "@/components/ui/page-header";
import { probeCertificates, renewCertificateNow } from "@/server/actions/certificates";
import { previewChange, proposeChange } from "@/server/actions/changes";
import { requirePageUser } from "@/server/auth/session";
import { getCertificatesView } from "@/server/certs";
import { getConfig } from "@/server/config/load";

export const metadata: Metadata = { title: "Certificates" };

/** cert-manager's certificates, what every Ingress host really serves, stale copies and HTTPS-only. */
export default async function CertificatesPage() {
  const user = await requirePageUser("viewer", "/certificates");
  const view = await getCertificatesView();
  const admin = user.role === "admin";
  const gitops = getConfig().gitops !== undefined;
  const actions: CertificateActions = {
    probe: probeCertificates,
    ...(admin ? { renew: renewCertificateNow } : {}),
    ...(admin && gitops ? { preview: previewChange, propose: proposeChange } : {}),
  };
  return (
    <>
      <PageHeader title="Certificates" description="cert-manager's certificates, what each Ingress host really serves (a live TLS handshake), stale copies, and whether every host is HTTPS only." />
      <CertificatesLive initial={view} actions={actions} />
    </>
  );
}
