/** The two roles of the panel. `admin` may act; `viewer` sees everything and changes nothing. */
export const ROLES = ["viewer", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, admin: 2 };

/** True when `role` carries at least the rights of `required`. */
export function hasRole(role: Role | undefined | null, required: Role): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[required];
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** A signed-in user as the panel sees it. */
export interface SessionUser {
  /** Stable id: `local:<username>` or `oidc:<sub>`. */
  id: string;
  name: string;
  role: Role;
}
