"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { savePanelSettings } from "@/server/panel/settings";
import { action } from "./action";

const settingsInput = z.object({
  stackName: z.string().trim().min(1, "Give the stack a name.").max(80, "At most 80 characters."),
  runbookBaseUrl: z
    .string()
    .trim()
    .max(500)
    .refine((v) => v === "" || /^https?:\/\/\S+$/.test(v), "Must be an http(s) URL, or empty."),
});

/** Saves the panel settings (stack name, runbook base URL). Admin only. */
export const updateSettings = action({
  name: "settings.update",
  role: "admin",
  schema: settingsInput,
  target: () => "panel settings",
  run: async (input, { user }) => {
    const data = savePanelSettings(input, user.name);
    revalidatePath("/", "layout");
    return { data };
  },
});
