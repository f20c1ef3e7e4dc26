import "server-only";
import { loginKey, type LoginBackoffState, type LoginBackoffStore } from "@/server/db/login-backoff";

/** A store of refused logins and the secret its keys are made with. */
export interface LoginBackoffRecords {
  store: LoginBackoffStore;
  secret: string;
}

const holder = globalThis as typeof globalThis & { __panelLoginBackoff?: LoginBackoffRecords };

/**
 * Installs the process-wide store of refused logins (the panel's start does, with its database), so
 * every client of an app that bans addresses resumes its back-off after a restart. Without one (tools,
 * tests) the back-off lives in the client only.
 */
export function installLoginBackoff(records: LoginBackoffRecords | undefined): void {
  holder.__panelLoginBackoff = records;
}

/** The installed store, if any. */
export function installedLoginBackoff(): LoginBackoffRecords | undefined {
  return holder.__panelLoginBackoff;
}

/**
 * One login's persisted back-off. A store that fails (a busy or full database) costs the persistence,
 * never the login: the client keeps its state in memory either way, and the failure is returned to
 * the caller's `onError`.
 */
export class PersistedBackoff {
  private readonly key: string;

  constructor(
    private readonly records: LoginBackoffRecords,
    parts: { baseUrl: string; username: string; password: string },
    private readonly onError: (error: unknown) => void,
  ) {
    this.key = loginKey(parts, records.secret);
  }

  read(): LoginBackoffState | undefined {
    try {
      return this.records.store.read(this.key);
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  write(state: LoginBackoffState): void {
    try {
      this.records.store.write(this.key, state);
    } catch (error) {
      this.onError(error);
    }
  }

  clear(): void {
    try {
      this.records.store.clear(this.key);
    } catch (error) {
      this.onError(error);
    }
  }
}
