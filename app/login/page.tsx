import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { Alert } from "@/components/ui/alert";
import { safeRedirectPath } from "@/lib/safe-redirect";
import { login, loginWithOidc } from "@/server/actions/auth";
import { getSessionUser } from "@/server/auth/session";
import { getConfig } from "@/server/config/load";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const ERRORS: Record<string, string> = {
  AccessDenied: "Your account has no role in this panel. Ask the admin to add you to an allowed group.",
  Configuration: "Sign-in is misconfigured on the server. The panel's log says what is wrong.",
  Verification: "The sign-in link has expired. Try again.",
  CallbackRouteError: "The identity provider's answer could not be used. Try again.",
  OAuthCallbackError: "The identity provider refused the sign-in.",
};

/** Public sign-in page: local account form and, when configured, single sign-on. */
export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[]>> }) {
  const params = await searchParams;
  const callbackUrl = safeRedirectPath(typeof params.callbackUrl === "string" ? params.callbackUrl : "/");
  if (await getSessionUser()) redirect(callbackUrl);
  const oidc = getConfig().auth.oidc;
  const errorKey = typeof params.error === "string" ? params.error : undefined;
  const error = errorKey ? (ERRORS[errorKey] ?? "Sign-in failed. Try again.") : undefined;
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-4 py-12">
      <h1 className="mb-1 text-2xl font-semibold">k8s-nas-panel</h1>
      <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">Sign in to see and manage your media server.</p>
      {error && (
        <div className="mb-4">
          <Alert testId="login-url-error">{error}</Alert>
        </div>
      )}
      <LoginForm action={login} callbackUrl={callbackUrl} />
      {oidc && (
        <form action={loginWithOidc} className="mt-4">
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <button
            type="submit"
            data-testid="login-oidc"
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Sign in with {oidc.name}
          </button>
        </form>
      )}
    </main>
  );
}
