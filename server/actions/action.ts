import "server-only";
import type { z } from "zod";
import type { ActionResult } from "@/lib/action-result";
import { AppError, toAppError } from "@/lib/errors";
import { hasRole, type Role, type SessionUser } from "@/lib/roles";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { recordAuditEvent } from "@/server/db/audit";
import { databaseFault } from "@/server/db/faults";
import { logger } from "@/server/observability/logger";

/** What an action's body receives. */
export interface ActionContext {
  user: SessionUser;
}

/** What an action's body may return besides its data: the target and links for the audit log. */
export interface ActionOutcome<T> {
  data: T;
  target?: string;
  links?: Array<{ label: string; href: string }>;
}

interface ActionSpec<S extends z.ZodType, T> {
  /** Dotted name recorded in the audit log, e.g. `settings.update`. */
  name: string;
  role: Role;
  schema: S;
  /** Target for the audit log when the body does not give one. */
  target?: (input: z.infer<S>) => string;
  run: (input: z.infer<S>, ctx: ActionContext) => Promise<ActionOutcome<T>>;
}

function formDataToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (typeof value !== "string") continue;
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** Records an audit row; a database fault is logged and its message returned instead of thrown. */
function tryAudit(name: string, write: () => void): string | undefined {
  try {
    write();
    return undefined;
  } catch (error) {
    const fault = toAppError(databaseFault(error));
    logger.error({ err: error, action: name }, "the audit log could not record an action");
    return fault.message;
  }
}

/**
 * The one server-action wrapper: checks the session and the role (refusals of signed-in users are
 * audited), validates the input with zod, runs the body, records an audit event, and returns a typed
 * `ActionResult`. It never throws to the client: unknown errors become a generic message.
 */
export function action<S extends z.ZodType, T>(spec: ActionSpec<S, T>) {
  return async (raw: unknown): Promise<ActionResult<T>> => {
    const user = await getSessionUser();
    if (!user) return { ok: false, code: "unauthorized", message: "Your session has ended. Sign in again." };
    const input = raw instanceof FormData ? formDataToObject(raw) : raw;
    const db = getDb();
    if (!hasRole(user.role, spec.role)) {
      tryAudit(spec.name, () =>
        recordAuditEvent(db, {
          actor: user.name,
          role: user.role,
          action: spec.name,
          input,
          result: "refused",
          errorCode: "forbidden",
          errorMessage: `needs the ${spec.role} role`,
        }),
      );
      return { ok: false, code: "forbidden", message: `Only an ${spec.role} can do this. You are signed in as ${user.role}.` };
    }
    const parsed = spec.schema.safeParse(input);
    if (!parsed.success) {
      const fieldErrors: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path.join(".") || "_";
        (fieldErrors[key] ??= []).push(issue.message);
      }
      return { ok: false, code: "invalid_input", message: "Some fields are not valid.", fieldErrors };
    }
    const target = spec.target?.(parsed.data);
    let outcome: ActionOutcome<T>;
    try {
      outcome = await spec.run(parsed.data, { user });
    } catch (error) {
      const appError = toAppError(databaseFault(error));
      if (appError.code === "internal") logger.error({ err: error, action: spec.name }, "action failed");
      const unaudited = tryAudit(spec.name, () =>
        recordAuditEvent(db, {
          actor: user.name,
          role: user.role,
          action: spec.name,
          target,
          input: parsed.data,
          result: "error",
          errorCode: appError.code,
          errorMessage: appError.message,
        }),
      );
      return { ok: false, code: appError.code, message: unaudited ? `${appError.message} (The audit log could not record this either: ${unaudited})` : appError.message };
    }
    // The action took effect: a database that cannot take the audit row now (busy, full) does not
    // turn it into a failure the user would retry; the missing row is logged as an error.
    tryAudit(spec.name, () =>
      recordAuditEvent(db, {
        actor: user.name,
        role: user.role,
        action: spec.name,
        target: outcome.target ?? target,
        input: parsed.data,
        result: "ok",
        links: outcome.links,
      }),
    );
    return { ok: true, data: outcome.data };
  };
}

/** Re-exported for bodies that fail on purpose. */
export { AppError };
