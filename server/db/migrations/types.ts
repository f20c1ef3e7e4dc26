import "server-only";

/** One schema migration: applied once, in id order, inside a transaction. Never edit a released one. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}
