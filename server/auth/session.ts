import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import { hasRole, type Role, type SessionUser } from "@/lib/roles";
import { AppError, httpStatusOf } from "@/lib/errors";
import { getConfig } from "@/server/config/load";
import { getDb } from "@/server/db";
import { auth } from "./index";
import { checkSession } from "./session-check";

/** A signed-in user and the id of the server-side session the cookie names. */
export interface CurrentSession {
  user: SessionUser;
  sessionId: string;
}

/**
 * The current request's session, or null: no cookie, an expired or tampered one, or a session that
 * no longer stands (signed out, account removed, role lost; see session-check.ts). The role is the
 * one the user has now, not the one at sign-in. Read once per page render (the layout and the page
 * both ask; React's per-render cache); route handlers and server actions read it at each call.
 */
export const getSession: () => Promise<CurrentSession | null> = cache(readSession);

async function readSession(): Promise<CurrentSession | null> {
  let session;
  try {
    session = await auth();
  } catch {
    return null;
  }
  const sessionId = (session as { sid?: unknown } | null)?.sid;
  if (typeof sessionId !== "string" || sessionId === "") return null;
  const user = await sessionUserOf(sessionId);
  return user ? { user, sessionId } : null;
}

/** The user of a session id, checked as on every request (used by long-lived streams). */
export function sessionUserOf(sessionId: string): Promise<SessionUser | null> {
  return checkSession({ db: getDb(), config: getConfig(), env: process.env }, sessionId);
}

/** The signed-in user, or null (see {@link getSession}). */
export async function getSessionUser(): Promise<SessionUser | null> {
  return (await getSession())?.user ?? null;
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

type Handler<C> = (request: Request, context: C & { user: SessionUser; sessionId: string }) => Promise<Response> | Response;

/**
 * Wraps a route handler: 401 without a session, 403 without the role, else calls it with the user.
 */
export function withUser<C = unknown>(role: Role, handler: Handler<C>) {
  return async (request: Request, context: C): Promise<Response> => {
    const session = await getSession();
    if (!session) return errorResponse(new AppError("unauthorized", "Sign in first."));
    if (!hasRole(session.user.role, role)) return errorResponse(new AppError("forbidden", `This needs the ${role} role.`));
    return handler(request, { ...context, user: session.user, sessionId: session.sessionId });
  };
}
