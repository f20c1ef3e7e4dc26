import "server-only";
import type { AuditFilter } from "@/lib/audit";
import { getDb } from "@/server/db";
import { listAuditActions, listAuditEvents } from "@/server/db/audit";

/** One page of the audit log as the Audit page shows it: the events matching the filter, and every action name for the filter's choices. */
export function readAuditPage(filter: AuditFilter, page: number): ReturnType<typeof listAuditEvents> & { actions: string[] } {
  const db = getDb();
  return { ...listAuditEvents(db, filter, page), actions: listAuditActions(db) };
}
