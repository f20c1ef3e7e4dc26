import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePanelConfig, type PanelConfig } from "@/lib/config-schema";
import { listAuditEvents } from "@/server/db/audit";
import { openDatabase } from "@/server/db/open";
import { checkSession, endSession, startSession, type SessionDeps } from "./session-check";
import type { RecheckResult } from "./oidc-recheck";

const fresh = () => openDatabase(mkdtempSync(path.join(tmpdir(), "panel-sessions-")));
const SECRET = "Zq3v8VYc1mH0pL6tW2xN9rB4kF7sJ5dA0gE3uQ8yT1o=";

function config(raw: unknown): PanelConfig {
  const parsed = parsePanelConfig(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

const LOCAL = config({
  auth: {
    localUsers: [
      { username: "admin", role: "admin", passwordHashEnv: "ADMIN_HASH" },
      { username: "family", role: "viewer", passwordHashEnv: "FAMILY_HASH" },
    ],
  },
});
const ENV = { ADMIN_HASH: "scrypt$16384$8$1$YWFhYWFhYWE=$aGFzaGhhc2hoYXNoaGFzaA==", FAMILY_HASH: "scrypt$16384$8$1$YmJiYmJiYmI=$aGFzaGhhc2hoYXNoaGFzaA==", AUTH_SECRET: SECRET };

describe("local sessions", () => {
  it("stand until sign-out, and only with the role the configuration gives now", async () => {
    const db = fresh();
    const deps: SessionDeps = { db, config: LOCAL, env: ENV };
    const sid = startSession(deps, { provider: "local", username: "family", role: "viewer" });
    expect(await checkSession(deps, sid)).toEqual({ id: "local:family", name: "family", role: "viewer" });
    expect(await checkSession(deps, "not-a-session")).toBeNull();

    // Promoted in the configuration: the next request has the new role; demoted likewise.
    const promoted = config({ auth: { localUsers: [{ username: "family", role: "admin", passwordHashEnv: "FAMILY_HASH" }] } });
    expect((await checkSession({ ...deps, config: promoted }, sid))?.role).toBe("admin");
    expect((await checkSession(deps, sid))?.role).toBe("viewer");

    endSession(db, sid);
    expect(await checkSession(deps, sid)).toBeNull();
  });

  it("end at once when the account is removed or its password changes", async () => {
    const db = fresh();
    const deps: SessionDeps = { db, config: LOCAL, env: ENV };
    const removed = startSession(deps, { provider: "local", username: "family", role: "viewer" });
    const withoutFamily = config({ auth: { localUsers: [{ username: "admin", role: "admin", passwordHashEnv: "ADMIN_HASH" }] } });
    expect(await checkSession({ ...deps, config: withoutFamily }, removed)).toBeNull();
    // Gone for good, even when the account comes back.
    expect(await checkSession(deps, removed)).toBeNull();

    const changed = startSession(deps, { provider: "local", username: "admin", role: "admin" });
    expect(await checkSession({ ...deps, env: { ...ENV, ADMIN_HASH: `${ENV.ADMIN_HASH}x` } }, changed)).toBeNull();
    const audit = listAuditEvents(db, { action: "auth.session_ended" }, 1).events.map((e) => e.errorMessage);
    expect(audit).toEqual(expect.arrayContaining(["the account is no longer in the configuration", "the account's password changed"]));
  });

  it("end after auth.sessionHours however active they are", async () => {
    const db = fresh();
    const t0 = 1_700_000_000_000;
    const sid = startSession({ db, config: LOCAL, env: ENV, now: t0 }, { provider: "local", username: "admin", role: "admin" });
    expect(await checkSession({ db, config: LOCAL, env: ENV, now: t0 + 8 * 3_600_000 - 1 }, sid)).not.toBeNull();
    expect(await checkSession({ db, config: LOCAL, env: ENV, now: t0 + 8 * 3_600_000 }, sid)).toBeNull();
  });
});

describe("single sign-on sessions", () => {
  const OIDC = config({
    auth: {
      localUsers: [],
      oidc: { issuer: "https://idp.example", clientId: "panel", clientSecretEnv: "OIDC_SECRET", adminGroups: ["admins"], viewerGroups: ["family"], recheckSeconds: 60 },
    },
  });

  it("re-map the groups once per interval and end when the groups grant nothing", async () => {
    const db = fresh();
    const t0 = 1_700_000_000_000;
    let answer: RecheckResult = { verdict: "role", role: "admin", tokens: { accessToken: "at-2" } };
    const seen: string[] = [];
    const recheck = async (_o: unknown, secret: string, tokens: { accessToken: string }) => {
      seen.push(`${secret}:${tokens.accessToken}`);
      return answer;
    };
    const deps = (now: number): SessionDeps => ({ db, config: OIDC, env: { ...ENV, OIDC_SECRET: "client-secret" }, now, recheck });
    const sid = startSession(deps(t0), { provider: "oidc", userId: "oidc:alice", name: "alice", role: "admin", tokens: { accessToken: "at-1" } });
    const row = db.$client.prepare("SELECT oidc_tokens FROM sessions").get() as { oidc_tokens: string };
    expect(row.oidc_tokens).not.toContain("at-1");

    expect((await checkSession(deps(t0 + 30_000), sid))?.role).toBe("admin");
    expect(seen).toEqual([]);
    answer = { verdict: "role", role: "viewer", tokens: { accessToken: "at-2" } };
    const parallel = await Promise.all([checkSession(deps(t0 + 61_000), sid), checkSession(deps(t0 + 61_000), sid)]);
    expect(parallel.map((u) => u?.role)).toEqual(["viewer", "viewer"]);
    expect(seen).toEqual(["client-secret:at-1"]);
    expect((await checkSession(deps(t0 + 62_000), sid))?.role).toBe("viewer");

    answer = { verdict: "ended", reason: "the identity provider's groups grant no role in the panel any more" };
    expect(await checkSession(deps(t0 + 200_000), sid)).toBeNull();
    expect(seen.at(-1)).toBe("client-secret:at-2");
    expect(await checkSession(deps(t0 + 200_001), sid)).toBeNull();
  });

  it("keep the last role while the provider is down, for three intervals at most", async () => {
    const db = fresh();
    const t0 = 1_700_000_000_000;
    const recheck = async (): Promise<RecheckResult> => ({ verdict: "unavailable", reason: "connection refused" });
    const deps = (now: number): SessionDeps => ({ db, config: OIDC, env: { ...ENV, OIDC_SECRET: "s" }, now, recheck });
    const sid = startSession(deps(t0), { provider: "oidc", userId: "oidc:bob", name: "bob", role: "viewer", tokens: { accessToken: "at" } });
    expect((await checkSession(deps(t0 + 120_000), sid))?.role).toBe("viewer");
    expect(await checkSession(deps(t0 + 181_000), sid)).toBeNull();
  });
});
