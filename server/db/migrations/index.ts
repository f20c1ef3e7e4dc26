import "server-only";
import type { Migration } from "./types";
import { migration as m0001 } from "./0001-audit-and-settings";
import { migration as m0002 } from "./0002-probes";
import { migration as m0003 } from "./0003-changes";
import { migration as m0004 } from "./0004-sessions-and-audit-counts";
import { migration as m0005 } from "./0005-tls-probes";
import { migration as m0006 } from "./0006-alerts-and-notifications";
import { migration as m0007 } from "./0007-backups";
import { migration as m0008 } from "./0008-login-backoff";
import { migration as m0009 } from "./0009-readiness-history";

/**
 * Schema migrations, applied in id order at start. Kept in code (not .sql files) so the standalone
 * build carries them. To add one: a new file `NNNN-name.ts` exporting `migration`, and one line here.
 */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009].sort((a, b) => a.id - b.id);

export type { Migration } from "./types";
