/**
 * Keeps only the path (and query) of a post-sign-in target, so a crafted `callbackUrl` can never send
 * the user to another site, and a `localhost:PORT` URL made by the auth library still works on any host.
 */
export function safeRedirectPath(target: string | null | undefined): string {
  if (!target) return "/";
  let pathname: string;
  try {
    const url = new URL(target, "http://panel.invalid");
    pathname = `${url.pathname}${url.search}`;
  } catch {
    return "/";
  }
  if (!pathname.startsWith("/") || pathname.startsWith("//") || pathname.startsWith("/\\")) return "/";
  if (pathname.startsWith("/login") || pathname.startsWith("/api/auth")) return "/";
  return pathname;
}
