/** The panel's sections, in navigation order. Routes, navigation and tests iterate this list. */
export const NAV_ITEMS = [
  { href: "/", label: "Overview", id: "overview" },
  { href: "/services", label: "Services", id: "services" },
  { href: "/readiness", label: "Readiness", id: "readiness" },
  { href: "/integrations", label: "Integrations", id: "integrations" },
  { href: "/backups", label: "Backups", id: "backups" },
  { href: "/certificates", label: "Certificates", id: "certificates" },
  { href: "/alerts", label: "Alerts", id: "alerts" },
  { href: "/applications", label: "Applications", id: "applications" },
  { href: "/changes", label: "Changes", id: "changes" },
  { href: "/audit", label: "Audit", id: "audit" },
  { href: "/settings", label: "Settings", id: "settings" },
] as const;

export type NavItem = (typeof NAV_ITEMS)[number];

/** True when `pathname` is inside the section `href`. */
export function isActive(href: string, pathname: string): boolean {
  if (href === "/") return pathname === "/";
  return pathname === href || pathname.startsWith(`${href}/`);
}
