/** One audit event as pages and APIs show it. */
export interface AuditEvent {
  id: number;
  at: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  inputSummary: unknown;
  result: "ok" | "error" | "refused";
  errorCode: string | null;
  errorMessage: string | null;
  links: Array<{ label: string; href: string }>;
  /** How many identical events the row stands for (repeated failed sign-ins); 1 for most. */
  repeatCount: number;
  /** Time of the first of them when `repeatCount` > 1. */
  firstAt: number | null;
}

/** Filters of the Audit page; every field is optional. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  result?: AuditEvent["result"];
  /** Free text matched against action, target and actor. */
  q?: string;
}

export const AUDIT_PAGE_SIZE = 25;
