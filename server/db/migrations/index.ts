import type { Migration } from "./types";
import { migration as m0001 } from "./0001-audit-and-settings";

/**
 * Schema migrations, applied in id order at start. Kept in code (not .sql files) so the standalone
 * build carries them. To add one: a new file `NNNN-name.ts` exporting `migration`, and one line here.
 */
export const MIGRATIONS: readonly Migration[] = [m0001].sort((a, b) => a.id - b.id);

export type { Migration } from "./types";
