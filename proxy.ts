import { NextResponse, type NextRequest } from "next/server";
import { isPublicPath, securityHeaders } from "@/lib/security-headers";

const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

function oidcOrigin(): string[] {
  const issuer = process.env.PANEL_OIDC_ISSUER_ORIGIN;
  return issuer ? [issuer] : [];
}

/**
 * Runs before every request: sets the security headers (CSP with a fresh nonce) and sends visitors
 * without a session cookie to /login. This is only the fast path: every page, route handler and
 * server action checks the session itself.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const https =
    request.nextUrl.protocol === "https:" || request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
  const headers = securityHeaders({
    nonce,
    https,
    development: process.env.NODE_ENV === "development",
    formActionOrigins: oidcOrigin(),
  });
  const { pathname, search } = request.nextUrl;
  const hasSessionCookie = SESSION_COOKIES.some((name) => request.cookies.has(name));

  let response: NextResponse;
  if (!isPublicPath(pathname) && !hasSessionCookie && !pathname.startsWith("/api/")) {
    const login = new URL("/login", request.url);
    login.searchParams.set("callbackUrl", `${pathname}${search}`);
    response = NextResponse.redirect(login);
  } else {
    const requestHeaders = new Headers(request.headers);
    requestHeaders.set("x-nonce", nonce);
    requestHeaders.set("content-security-policy", headers["Content-Security-Policy"] ?? "");
    response = NextResponse.next({ request: { headers: requestHeaders } });
  }
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
