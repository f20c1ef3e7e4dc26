/** Inputs of the security headers every response carries. */
export interface SecurityHeaderOptions {
  nonce: string;
  https: boolean;
  development: boolean;
  /** Extra origins a form may post to (the OIDC issuer). */
  formActionOrigins?: readonly string[];
}

/** Content-Security-Policy with a per-request script nonce; no framing, no plugins. */
export function contentSecurityPolicy(o: SecurityHeaderOptions): string {
  const scriptSrc = [`'self'`, `'nonce-${o.nonce}'`, `'strict-dynamic'`, ...(o.development ? [`'unsafe-eval'`] : [])];
  return [
    `default-src 'self'`,
    `script-src ${scriptSrc.join(" ")}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self' data:`,
    `connect-src 'self'${o.development ? " ws: wss:" : ""}`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'${(o.formActionOrigins ?? []).map((x) => ` ${x}`).join("")}`,
    `frame-ancestors 'none'`,
    ...(o.https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/** All security headers, as name/value pairs. */
export function securityHeaders(o: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Security-Policy": contentSecurityPolicy(o),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  if (o.https) headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
  return headers;
}

/**
 * The files of `public/` (icons, the web app manifest): served to anyone, since a browser fetches
 * the manifest and the icons without the session cookie (pinning the sign-in page to a home screen
 * included). A test checks that this list and the folder agree.
 */
export const PUBLIC_FILES: readonly string[] = [
  "/favicon.ico",
  "/icon.svg",
  "/icon-192.png",
  "/icon-512.png",
  "/icon-maskable-512.png",
  "/apple-touch-icon.png",
  "/manifest.webmanifest",
];

/** Paths reachable without a session. Everything else redirects to /login (and is checked again on the server). */
export function isPublicPath(pathname: string): boolean {
  return (
    pathname === "/login" ||
    pathname === "/api/healthz" ||
    pathname === "/api/metrics" ||
    pathname.startsWith("/api/auth/") ||
    pathname.startsWith("/_next/") ||
    PUBLIC_FILES.includes(pathname) ||
    pathname === "/robots.txt"
  );
}
