import "server-only";
import { AppError } from "@/lib/errors";

/** Who works on a service's volume now: a backup, a restore, its preview or a restore drill. */
interface Claim {
  what: string;
  actor: string;
  since: number;
}

const holder = globalThis as typeof globalThis & { __panelBackupClaims?: Map<string, Claim> };
const claims = (holder.__panelBackupClaims ??= new Map());

/**
 * Takes the service for one backup or restore operation, or refuses at once with who holds it. It is
 * taken before the first await of a trigger, so two triggers at the same moment (two admins, two
 * tabs, a drill) cannot both pass the "nothing runs" check and start two Jobs: one runs, the other
 * is told why not. The panel runs as one replica, so a process-wide table is enough; a Job already
 * running in the cluster is checked separately by the callers. Returns the release (idempotent).
 */
export function claimService(serviceId: string, what: string, actor: string): () => void {
  const held = claims.get(serviceId);
  if (held) {
    const seconds = Math.max(0, Math.round((Date.now() - held.since) / 1000));
    throw new AppError("conflict", `A ${held.what} of ${serviceId} is in progress (started by ${held.actor} ${seconds} s ago); wait until it ends.`);
  }
  const mine: Claim = { what, actor, since: Date.now() };
  claims.set(serviceId, mine);
  return () => {
    if (claims.get(serviceId) === mine) claims.delete(serviceId);
  };
}

/** Runs `work` holding the service (see {@link claimService}). */
export async function withServiceClaim<T>(serviceId: string, what: string, actor: string, work: () => Promise<T>): Promise<T> {
  const release = claimService(serviceId, what, actor);
  try {
    return await work();
  } finally {
    release();
  }
}
