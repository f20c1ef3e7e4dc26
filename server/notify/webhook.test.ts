import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parsePanelConfig } from "@/lib/config-schema";
import { PanelDetector, detectorSettingsOf } from "@/server/alerts/detector";
import { listNotifications } from "@/server/db/alerts";
import { openDatabase, type PanelDb } from "@/server/db/open";
import type { SweepResult } from "@/server/probes/prober";
import { Outbox } from "./outbox";
import { resolveTargets } from "./targets";

/**
 * The panel's own detector delivering to a generic JSON webhook: a real HTTP server on loopback
 * receives what the panel posts, from the configuration (URL and header value from the environment)
 * through the detector's grace period and the outbox, to the recovery message.
 */

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const SECRET_PATH = "/api/webhook/s3cret-hook-id";
const AUTH = "Bearer wh-token-0123456789";

let server: Server;
let hits: Hit[];
/** The status the receiver answers with next (then 200 again). */
let failNext: number[];
let url: string;
let dir: string;
let db: PanelDb;

beforeEach(async () => {
  hits = [];
  failNext = [];
  server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (raw += c));
    req.on("end", () => {
      const status = failNext.shift();
      if (status !== undefined) {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `receiver down (${SECRET_PATH})` }));
        return;
      }
      hits.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`;
  dir = mkdtempSync(path.join(tmpdir(), "panel-webhook-"));
  db = openDatabase(dir);
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

function sweep(status: "up" | "down", at: number): SweepResult {
  return {
    startedAt: at,
    durationMs: 5,
    complete: true,
    results: [
      {
        serviceId: "media/sonarr",
        namespace: "media",
        name: "sonarr",
        appKind: "sonarr",
        at,
        durationMs: 5,
        verdict: { status, reasons: status === "down" ? [{ source: "probe", severity: "error", message: "Sonarr does not answer (connection refused)." }] : [] },
      },
    ],
  };
}

function wire(now: () => number) {
  const parsed = parsePanelConfig({
    server: { publicUrl: "https://panel.example" },
    alerts: { detector: { downProbes: 3, recoveryProbes: 2, degraded: false, repeatMinutes: 60 } },
    notifications: { timeoutMs: 2000, targets: [{ type: "webhook", name: "home-assistant", urlEnv: "HA_URL", headers: [{ name: "Authorization", valueEnv: "HA_AUTH" }] }] },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const { config } = parsed;
  const targets = resolveTargets(config, { HA_URL: url, HA_AUTH: AUTH });
  const outbox = new Outbox({ db, targets: () => targets, retryMs: 3_600_000, now });
  const detector = new PanelDetector({
    db,
    settings: detectorSettingsOf(config.alerts.detector),
    publicUrl: config.server.publicUrl,
    targets: () => targets,
    displayName: () => "Sonarr",
    onEnqueued: () => outbox.kick(),
    now,
  });
  return { targets, outbox, detector };
}

describe("the detector's messages through a JSON webhook", () => {
  it("one message after the grace period (not one per probe), one recovery message; the JSON carries the links and the configured header", async () => {
    let now = Date.now();
    const { targets, outbox, detector } = wire(() => now);
    expect(targets[0]?.destination).toBe(`webhook, URL from HA_URL (headers Authorization from HA_AUTH)`);
    outbox.start();
    const probe = async (status: "up" | "down") => {
      now += 5000;
      detector.onSweep(sweep(status, now));
      await outbox.settled();
    };
    await probe("up");
    await probe("down");
    await probe("down");
    expect(hits).toHaveLength(0);
    await probe("down");
    expect(hits).toHaveLength(1);
    await probe("down");
    await probe("down");
    expect(hits).toHaveLength(1);

    const [firing] = hits;
    expect(firing?.path).toBe(SECRET_PATH);
    expect(firing?.headers["content-type"]).toMatch(/^application\/json/);
    expect(firing?.headers.authorization).toBe(AUTH);
    expect(firing?.body).toMatchObject({
      version: 1,
      source: "k8s-nas-panel",
      event: "firing",
      alert: "ServiceDown",
      severity: "critical",
      service: "media/sonarr",
      title: "Sonarr is down",
      links: {
        service: "https://panel.example/services/media/sonarr",
        runbook: "https://panel.example/runbooks/alerts/service-down",
        alerts: "https://panel.example/alerts",
      },
    });
    expect(String(firing?.body.message)).toContain("connection refused");
    expect(Number.isNaN(Date.parse(String(firing?.body.createdAt)))).toBe(false);

    await probe("up");
    expect(hits).toHaveLength(1);
    await probe("up");
    expect(hits.map((h) => [h.body.event, h.body.title])).toEqual([
      ["firing", "Sonarr is down"],
      ["resolved", "Recovered: Sonarr is up again"],
    ]);
    expect(listNotifications(db).map((r) => r.status)).toEqual(["sent", "sent"]);
    await outbox.stop();
  });

  it("a receiver answering 503 keeps the message, says why without the secret URL, and delivers it once later", async () => {
    let now = Date.now();
    const { outbox, detector } = wire(() => now);
    outbox.start();
    failNext = [503];
    for (let i = 0; i < 3; i++) {
      now += 5000;
      detector.onSweep(sweep("down", now));
    }
    await outbox.settled();
    expect(hits).toHaveLength(0);
    const [pending] = listNotifications(db);
    expect(pending?.status).toBe("pending");
    expect(pending?.lastError).toMatch(/HTTP 503/);
    expect(pending?.lastError).not.toContain("s3cret-hook-id");
    expect(pending?.lastError).not.toContain("wh-token");
    now += 11 * 60_000; // past the back-off
    outbox.kick();
    await outbox.settled();
    expect(hits.map((h) => h.body.title)).toEqual(["Sonarr is down"]);
    expect(listNotifications(db).map((r) => r.status)).toEqual(["sent"]);
    await outbox.stop();
  });
});
