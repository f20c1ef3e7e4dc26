import "server-only";
import { redirect } from "next/navigation";
import { hasRole, isRole, type Role, type SessionUser } from "@/lib/roles";
import { AppError, httpStatusOf } from "@/lib/errors";
import { auth } from "./index";

/** The signed-in user, or null (no session, an expired or tampered cookie, or a session without a role). */
export async function getSessionUser(): Promise<SessionUser | null> {
  let session;
  try {
    session = await auth();
  } catch {
    return null;
  }
  const user = session?.user as { id?: string; name?: string | null; role?: unknown } | undefined;
  if (!user || !isRole(user.role)) return null;
  return { id: user.id ?? "", name: user.name ?? "unknown", role: user.role };
}

/**
 * For pages and layouts: the signed-in user with at least `role`, or a redirect to the sign-in page.
 * A signed-in user without the role gets a 403-style error page.
 */
export async function requirePageUser(role: Role = "viewer", from = "/"): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(from)}`);
  if (!hasRole(user.role, role)) {
    throw new AppError("forbidden", `This page needs the ${role} role.`);
  }
  return user;
}

/** JSON error body of every route handler: `{ error: { code, message } }` with the matching status. */
export function errorResponse(error: AppError): Response {
  return Response.json({ error: { code: error.code, message: error.message } }, { status: httpStatusOf(error.code) });
}

type Handler<C> = (request: Request, context: C & { user: SessionUser }) => Promise<Response> | Response;

/**
 * Wraps a route handler: 401 without a session, 403 without the role, else calls it with the user.
 */
export function withUser<C = unknown>(role: Role, handler: Handler<C>) {
  return async (request: Request, context: C): Promise<Response> => {
    const user = await getSessionUser();
    if (!user) return errorResponse(new AppError("unauthorized", "Sign in first."));
    if (!hasRole(user.role, role)) return errorResponse(new AppError("forbidden", `This needs the ${role} role.`));
    return handler(request, { ...context, user });
  };
}
