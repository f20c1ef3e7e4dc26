"use server";

import "server-only";
import { AuthError, CredentialsSignin } from "next-auth";
import { safeRedirectPath } from "@/lib/safe-redirect";
import { redirect } from "next/navigation";
import { signIn, signOut } from "@/server/auth";
import { getSessionUser } from "@/server/auth/session";

/** State of the login form between submissions. */
export interface LoginState {
  error?: string;
}

/**
 * Public by design: signs in with a local account. On success Auth.js redirects (a thrown
 * NEXT_REDIRECT that must propagate); on failure the form shows a message that does not say whether
 * the username exists.
 */
export async function login(_previous: LoginState, form: FormData): Promise<LoginState> {
  const username = String(form.get("username") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!username || !password) return { error: "Enter your username and password." };
  try {
    await signIn("credentials", {
      username,
      password,
      redirectTo: safeRedirectPath(String(form.get("callbackUrl") ?? "/")),
    });
    return {};
  } catch (error) {
    if (error instanceof CredentialsSignin && error.code === "rate_limited") {
      const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      const wait = typeof seconds === "number" ? (seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`) : "a few minutes";
      return { error: `Too many failed sign-ins. Try again in ${wait}.` };
    }
    if (error instanceof AuthError) {
      return { error: error.type === "CredentialsSignin" ? "Wrong username or password." : "Sign-in failed. Try again." };
    }
    throw error;
  }
}

/** Public by design: starts the OIDC flow at the configured identity provider. */
export async function loginWithOidc(form: FormData): Promise<void> {
  await signIn("oidc", { redirectTo: safeRedirectPath(String(form.get("callbackUrl") ?? "/")) });
}

/** Signs the current user out; without a session it only sends the visitor to the sign-in page. */
export async function logout(): Promise<void> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  await signOut({ redirectTo: "/login" });
}
