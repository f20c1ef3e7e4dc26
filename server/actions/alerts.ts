"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { expireSilence, sendTestNotification, silenceAlert } from "@/server/alerts/service";
import { action } from "./action";

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "not a label name");

const silenceInput = z.object({
  /** The alert's labels: the silence matches exactly this alert. */
  labels: z
    .record(labelName, z.string().max(1024))
    .refine((l) => typeof l.alertname === "string" && l.alertname !== "", "The alert has no alertname.")
    .refine((l) => Object.keys(l).length <= 40, "Too many labels."),
  minutes: z.coerce.number().int().min(5, "At least 5 minutes.").max(7 * 24 * 60, "At most 7 days."),
  comment: z.string().trim().min(3, "Say why (at least 3 characters): the next person sees it.").max(500),
});

/** Silences one alert in Alertmanager for a time, with a comment. Admin only; audited. */
export const silenceAlertAction = action({
  name: "alerts.silence",
  role: "admin",
  schema: silenceInput,
  target: (input) => `${input.labels.alertname}${input.labels.namespace ? ` ${input.labels.namespace}/${input.labels.service ?? input.labels.pod ?? ""}` : ""} for ${input.minutes} min`,
  run: async (input, { user }) => {
    const data = await silenceAlert(input, user.name);
    revalidatePath("/alerts");
    return { data, target: `${input.labels.alertname} until ${data.endsAt} (silence ${data.id})` };
  },
});

/** Expires (ends) a silence in Alertmanager. Admin only; audited. */
export const expireSilenceAction = action({
  name: "alerts.expire_silence",
  role: "admin",
  schema: z.object({ id: z.string().regex(/^[0-9a-f-]{8,64}$/i, "not a silence id") }),
  target: (input) => `silence ${input.id}`,
  run: async (input) => {
    await expireSilence(input.id);
    revalidatePath("/alerts");
    return { data: { id: input.id } };
  },
});

/**
 * Sends a test notification to one target (or every one) and says whether it arrived; one that did
 * not stays in the outbox and is retried. Admin only; audited.
 */
export const sendTestNotificationAction = action({
  name: "notifications.test",
  role: "admin",
  schema: z.object({ target: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/).optional() }),
  target: (input) => `notification target ${input.target ?? "(all)"}`,
  run: async (input, { user }) => {
    const outcomes = await sendTestNotification({ target: input.target, requestedBy: user.name });
    revalidatePath("/settings");
    revalidatePath("/alerts");
    return { data: outcomes };
  },
});
