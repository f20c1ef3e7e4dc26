/**
 * For tests that call route handlers and server actions with a mocked `auth()`: writes a config file
 * with the given local accounts (and points PANEL_CONFIG at it), and signs an account in the way
 * Auth.js does, by creating its server-side session. The mocked `auth()` returns what `sessionFor`
 * gives.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Role } from "@/lib/roles";

export interface TestAccount {
  username: string;
  role: Role;
}

const hashVariable = (username: string) => `PANEL_TEST_${username.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_HASH`;

/** Config YAML lines of the accounts (for tests that add more configuration). */
export function accountsYaml(accounts: readonly TestAccount[]): string {
  return ["auth:", "  localUsers:", ...accounts.map((a) => `    - { username: ${a.username}, role: ${a.role}, passwordHashEnv: ${hashVariable(a.username)} }`)].join("\n");
}

/** Sets each account's password hash variable (a real scrypt hash of a throw-away password). */
export async function setAccountHashes(accounts: readonly TestAccount[]): Promise<void> {
  const { hashPassword } = await import("@/server/auth/password");
  for (const a of accounts) process.env[hashVariable(a.username)] ??= await hashPassword(`${a.username}-not-used`);
}

/** Writes `yaml` to a fresh config file and points PANEL_CONFIG at it. */
export function useConfigFile(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "panel-test-config-")), "config.yaml");
  writeFileSync(file, yaml);
  process.env.PANEL_CONFIG = file;
  return file;
}

/** What the mocked `auth()` returns for a signed-in account: the session token's content. */
export async function sessionFor(username: string, role: Role): Promise<{ sid: string; user: { id: string; name: string } }> {
  const { getDb } = await import("@/server/db");
  const { getConfig } = await import("@/server/config/load");
  const { startSession } = await import("@/server/auth/session-check");
  const sid = startSession({ db: getDb(), config: getConfig(), env: process.env }, { provider: "local", username, role });
  return { sid, user: { id: `local:${username}`, name: username } };
}
