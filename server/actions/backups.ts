"use server";

import "server-only";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { previewRestore, startRestore, verifyBackup } from "@/server/backups/restore";
import { backupNow } from "@/server/backups/service";
import { action } from "./action";

const serviceId = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "A service is namespace/name.");

/** "Back up now": a Job from the service's backup CronJob. Admin only; refused while one runs. */
export const backupNowAction = action({
  name: "backups.backup-now",
  role: "admin",
  schema: z.object({ serviceId }),
  target: (input) => input.serviceId,
  run: async ({ serviceId: id }, { user }) => {
    const started = await backupNow(id, user.name);
    revalidatePath("/backups");
    return { data: started, target: `${id} (Job ${started.namespace}/${started.job})` };
  },
});

const restoreTarget = z.object({ serviceId, backupId: z.number().int().positive() });

/** What a restore would change (a preview Job on the backup volume). Admin only. */
export const previewRestoreAction = action({
  name: "backups.restore-preview",
  role: "admin",
  schema: restoreTarget,
  target: (input) => `${input.serviceId} (backup ${input.backupId})`,
  run: async ({ serviceId: id, backupId }, { user }) => ({ data: await previewRestore(id, backupId, user.name) }),
});

/**
 * Starts a guarded restore: the typed confirmation must be the service's name; refused while a
 * backup or restore of the service runs. Admin only. The page follows the operation it returns.
 */
export const restoreAction = action({
  name: "backups.restore",
  role: "admin",
  schema: restoreTarget.extend({ confirm: z.string().max(253), undoOf: z.number().int().positive().optional() }),
  target: (input) => `${input.serviceId} (backup ${input.backupId})`,
  run: async (input, { user }) => {
    const op = await startRestore({ ...input, actor: user.name, role: user.role });
    return { data: op, target: `${input.serviceId} (backup ${input.backupId}${input.undoOf ? `, undo of restore ${input.undoOf}` : ""})` };
  },
});

/** The restore drill of one backup, now (a verify Job); marks it verified or not. Admin only. */
export const verifyBackupAction = action({
  name: "backups.verify",
  role: "admin",
  schema: restoreTarget,
  target: (input) => `${input.serviceId} (backup ${input.backupId})`,
  run: async ({ serviceId: id, backupId }, { user }) => {
    const result = await verifyBackup(id, backupId, user.name);
    revalidatePath("/backups");
    return { data: result };
  },
});
