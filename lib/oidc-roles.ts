import type { Role } from "./roles";

/** How an OIDC identity's groups map to a panel role. */
export interface OidcRoleMapping {
  roleClaim: string;
  adminGroups: readonly string[];
  viewerGroups: readonly string[];
  defaultRole: Role | "none";
}

/**
 * The role an OIDC profile gets: admin if any group is an admin group, else viewer if any is a viewer
 * group, else the default (`null` when the default is `none`: the sign-in is refused).
 * The claim may be a list, a single string, or a comma/space separated string.
 */
export function roleFromClaims(profile: Record<string, unknown>, mapping: OidcRoleMapping): Role | null {
  const raw = profile[mapping.roleClaim];
  const groups = Array.isArray(raw)
    ? raw.filter((g): g is string => typeof g === "string")
    : typeof raw === "string"
      ? raw.split(/[\s,]+/).filter(Boolean)
      : [];
  if (groups.some((g) => mapping.adminGroups.includes(g))) return "admin";
  if (groups.some((g) => mapping.viewerGroups.includes(g))) return "viewer";
  return mapping.defaultRole === "none" ? null : mapping.defaultRole;
}
