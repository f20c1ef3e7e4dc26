"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { setLogsOpenToViewers } from "@/server/logs/access";
import { action } from "./action";

const logsAccessInput = z.object({
  viewers: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]),
});

/** Opens the service pages' logs to viewers, or closes them again. Admin only, audited. */
export const setLogsAccess = action({
  name: "settings.logs-access",
  role: "admin",
  schema: logsAccessInput,
  target: (input) => `logs ${input.viewers ? "open to viewers" : "admins only"}`,
  run: async (input, { user }) => {
    setLogsOpenToViewers(input.viewers, user.name);
    revalidatePath("/", "layout");
    return { data: { viewers: input.viewers } };
  },
});
