"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { probeCertificatesNow, renewCertificate } from "@/server/certs";
import { action } from "./action";

const k8sName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "Not a Kubernetes name.");

const renewInput = z.object({
  namespace: k8sName,
  name: k8sName,
  /** The person confirmed the dialog; a request without it is refused. */
  confirmed: z.literal(true, { message: "Confirm the renewal first." }),
});

/**
 * "Renew now": asks cert-manager to issue the Certificate again now, as `cmctl renew` does (its
 * Issuing condition, through the status subresource). Admin only, confirmed, audited.
 */
export const renewCertificateNow = action({
  name: "certificates.renew",
  role: "admin",
  schema: renewInput,
  target: (input) => `Certificate ${input.namespace}/${input.name}`,
  run: async (input) => {
    const data = await renewCertificate(input.namespace, input.name);
    revalidatePath("/certificates");
    return { data };
  },
});

const probeInput = z.object({
  /** Only these hosts; every Ingress host when absent. */
  hosts: z.array(z.string().trim().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i)).max(200).optional(),
});

/** Probes the Ingress hosts now (TLS handshakes and HTTPS-only checks; reads only). */
export const probeCertificates = action({
  name: "certificates.probe",
  role: "viewer",
  schema: probeInput,
  target: (input) => (input.hosts?.length ? input.hosts.join(", ") : "every Ingress host"),
  run: async (input) => {
    const data = await probeCertificatesNow(input.hosts);
    revalidatePath("/certificates");
    return { data };
  },
});
