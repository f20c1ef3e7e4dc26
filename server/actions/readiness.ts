"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { changeRequestSchema } from "@/lib/gitops/change-kinds";
import { fixId } from "@/lib/readiness/make-ready";
import { previewMakeReady, runMakeReadyStep } from "@/server/make-ready";
import { action } from "./action";

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "Not a Kubernetes name.").max(253);
const serviceId = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "A service is namespace/name.");

/** A fix of the plan, as the client sends it back: validated here like every action's input. */
const fixSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("integrations"), keys: z.array(z.string().min(1).max(300)).min(1).max(200) }),
  z.object({ kind: z.literal("renew-certificate"), namespace: k8sName, name: k8sName }),
  z.object({ kind: z.literal("probe-hosts"), hosts: z.array(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i)).min(1).max(200) }),
  z.object({ kind: z.literal("backup-now"), serviceId }),
  z.object({ kind: z.literal("drill"), serviceId }),
  z.object({ kind: z.literal("test-notification") }),
  z.object({ kind: z.literal("change"), request: changeRequestSchema }),
]);

/**
 * The preview of "make everything ready": every fix the failing cells offer, in order, each with
 * what its own preview says it changes; changes nothing. Admin only.
 */
export const previewMakeReadyAction = action({
  name: "readiness.preview",
  role: "admin",
  schema: z.object({}).passthrough(),
  target: () => "make everything ready",
  run: async () => {
    const data = await previewMakeReady();
    return { data, target: `make everything ready: ${data.steps.length} step${data.steps.length === 1 ? "" : "s"} previewed` };
  },
});

/**
 * Runs one step of "make everything ready" after the person confirmed the preview, through the
 * same guarded action its cell's button uses (which audits it too). Admin only; audited with the
 * step's result. A failed step is a result, not an error: the page goes on with the next one.
 */
export const runMakeReadyStepAction = action({
  name: "readiness.step",
  role: "admin",
  schema: z.object({ fix: fixSchema, fingerprint: z.string().regex(/^[0-9a-f]{16}$/).optional() }),
  target: (input) => `make everything ready: ${fixId(input.fix)}`,
  run: async (input) => {
    const result = await runMakeReadyStep(input.fix, input.fingerprint);
    revalidatePath("/readiness");
    return { data: result, target: `make everything ready: ${fixId(input.fix)}: ${result.state}`, links: result.links };
  },
});
