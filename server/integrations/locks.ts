import "server-only";
import { KeyedMutex } from "@/lib/keyed-mutex";

const holder = globalThis as typeof globalThis & { __panelIntegrationLocks?: KeyedMutex };

/**
 * The process-wide per-app locks of the integrations: applying a link reads the app again under its
 * lock, so two tabs (or two people) clicking "fix" at once cannot create the same definition twice.
 */
export function getAppLocks(): KeyedMutex {
  holder.__panelIntegrationLocks ??= new KeyedMutex();
  return holder.__panelIntegrationLocks;
}
