/**
 * The integrations action: a viewer is refused server-side (and audited) without any app being
 * touched; an admin's apply runs the engine and is audited with the links it changed.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApplyReport } from "@/lib/integrations/types";
import { accountsYaml, sessionFor, setAccountHashes, useConfigFile } from "@/test/sessions";

const session: { current: null | { sid: string; user: { id: string; name: string } } } = { current: null };
const ACCOUNTS = [
  { username: "admin", role: "admin" },
  { username: "family", role: "viewer" },
] as const;
const applied: unknown[] = [];

vi.mock("@/server/auth", () => ({
  auth: async () => session.current,
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
  handlers: { GET: async () => new Response("auth"), POST: async () => new Response("auth") },
}));
vi.mock("@/server/integrations/engine", () => ({
  applyIntegrations: vi.fn(async (request: unknown): Promise<ApplyReport> => {
    applied.push(request);
    return {
      results: [
        { key: "sonarr->qbittorrent|media/sonarr|qbittorrent/qbittorrent", id: "sonarr->qbittorrent", title: "Sonarr → qBittorrent: download client", outcome: "created", message: "Created", changed: ["Host", "Port"] },
        { key: "bazarr->sonarr|media/bazarr|media/sonarr", id: "bazarr->sonarr", title: "Bazarr → Sonarr: subtitles source", outcome: "unchanged", message: "Already right", changed: [] },
      ],
      changed: 1,
      failed: 0,
      unchanged: 1,
      durationMs: 12,
    };
  }),
}));

beforeAll(async () => {
  process.env.PANEL_DATA_DIR = mkdtempSync(path.join(tmpdir(), "panel-integrations-action-"));
  await setAccountHashes(ACCOUNTS);
  useConfigFile(accountsYaml(ACCOUNTS));
});
beforeEach(() => {
  applied.length = 0;
});

describe("integrations.apply", () => {
  it("refuses a viewer server-side, audits the refusal, and touches no app", async () => {
    session.current = await sessionFor("family", "viewer");
    const { applyIntegrationFixes } = await import("./integrations");
    expect(await applyIntegrationFixes({ keys: ["sonarr->qbittorrent|media/sonarr|qbittorrent/qbittorrent"] })).toMatchObject({ ok: false, code: "forbidden" });
    expect(applied).toEqual([]);
    const { getDb } = await import("@/server/db");
    const { listAuditEvents } = await import("@/server/db/audit");
    expect(listAuditEvents(getDb(), { action: "integrations.apply" }, 1).events[0]).toMatchObject({ actor: "family", result: "refused" });
  });

  it("validates the input", async () => {
    session.current = await sessionFor("admin", "admin");
    const { applyIntegrationFixes } = await import("./integrations");
    expect(await applyIntegrationFixes({ keys: [] })).toMatchObject({ ok: false, code: "invalid_input" });
    expect(await applyIntegrationFixes({ keys: ["x".repeat(400)] })).toMatchObject({ ok: false, code: "invalid_input" });
    expect(applied).toEqual([]);
  });

  it("runs for an admin and audits the links changed", async () => {
    session.current = await sessionFor("admin", "admin");
    const { applyIntegrationFixes } = await import("./integrations");
    const choices = { "jellyseerr->sonarr|media/jellyseerr|media/sonarr": { qualityProfile: "4" } };
    const result = await applyIntegrationFixes({ keys: ["a", "b"], choices });
    expect(result).toMatchObject({ ok: true, data: { changed: 1 } });
    expect(applied).toEqual([{ keys: ["a", "b"], choices }]);
    const { getDb } = await import("@/server/db");
    const { listAuditEvents } = await import("@/server/db/audit");
    const event = listAuditEvents(getDb(), { action: "integrations.apply", result: "ok" }, 1).events[0];
    expect(event?.target).toBe("integrations: 1 changed, 0 failed, 1 already right");
    expect(event?.links).toEqual([{ label: "Sonarr → qBittorrent: download client: created (Host, Port)", href: "/integrations" }]);
  });
});
