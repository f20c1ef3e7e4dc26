"use server";

import "server-only";
import { z } from "zod";
import type { ApplyReport } from "@/lib/integrations/types";
import { applyIntegrations } from "@/server/integrations/engine";
import { action } from "./action";

const linkKey = z.string().min(1).max(300);

const applyInput = z.object({
  /** Link keys to fix; every fixable link when absent ("fix everything"). */
  keys: z.array(linkKey).min(1).max(200).optional(),
  /** Choices made in the preview, by link key then option name (quality profile id, root folder path). */
  choices: z.record(linkKey, z.record(z.string().min(1).max(64), z.string().max(500))).optional(),
});

/**
 * Fixes links through the apps' APIs after the person confirmed the preview: per app under its lock,
 * each link read again before and after its write. Admin only; audited with the links changed. The
 * page is not revalidated here (that would read every link again under the open dialog): the
 * dialog shows the links as read after the change, and closing it refreshes the page.
 */
export const applyIntegrationFixes = action({
  name: "integrations.apply",
  role: "admin",
  schema: applyInput,
  target: (input) => (input.keys ? `integrations: ${input.keys.length} link${input.keys.length === 1 ? "" : "s"}` : "integrations: fix everything"),
  run: async (input): Promise<{ data: ApplyReport; target: string; links: Array<{ label: string; href: string }> }> => {
    const report = await applyIntegrations({ ...(input.keys ? { keys: input.keys } : {}), ...(input.choices ? { choices: input.choices } : {}) });
    const touched = report.results.filter((r) => r.outcome !== "unchanged" && r.outcome !== "skipped");
    return {
      data: report,
      target: `integrations: ${report.changed} changed, ${report.failed} failed, ${report.unchanged} already right`,
      links: touched.map((r) => ({ label: `${r.title}: ${r.outcome}${r.changed.length > 0 ? ` (${r.changed.join(", ")})` : ""}`, href: "/integrations" })),
    };
  },
});
