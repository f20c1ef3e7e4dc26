import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NotificationMessage } from "@/lib/alerts/message";
import { listNotifications } from "@/server/db/alerts";
import { openDatabase } from "@/server/db/open";
import { NtfyClient } from "@/server/notify/ntfy";
import { Outbox } from "@/server/notify/outbox";
import { startNtfySim, type NtfySim } from "./server";

const TOKEN = "tk_testtokenvalue0123456789abcd";
const PRIORITIES = { critical: 5, warning: 4, info: 3, resolved: 3 };

function msg(over: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    event: "firing",
    alertName: "ServiceDown",
    severity: "critical",
    serviceId: "media/sonarr",
    title: "Sonarr is down",
    message: "Nothing answers.",
    clickUrl: "https://panel.example/services/media/sonarr",
    runbookUrl: "https://panel.example/runbooks/alerts/service-down",
    alertsUrl: "https://panel.example/alerts",
    ...over,
  };
}

async function post(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("the ntfy simulator (publish API, both forms) and the panel's ntfy client", () => {
  let sim: NtfySim;
  beforeEach(async () => {
    sim = await startNtfySim({ token: TOKEN });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("the panel's client publishes as JSON; the simulator validates it and answers the message as ntfy does", async () => {
    const client = new NtfyClient({ url: sim.url, topic: "nas-alerts", token: TOKEN, priorities: PRIORITIES, timeoutMs: 3000 });
    const result = await client.publish(msg());
    expect(result.ok).toBe(true);
    const [got] = sim.received();
    expect(got?.form).toBe("json");
    expect(got?.authorized).toBe(true);
    expect(got?.message).toMatchObject({ event: "message", topic: "nas-alerts", title: "Sonarr is down", priority: 5, click: "https://panel.example/services/media/sonarr" });
    expect(got?.message.actions?.map((a) => a.label)).toEqual(["Runbook", "Alerts"]);
  });

  it("header form: body is the message, parameters from headers (any alias, any case) or the query", async () => {
    const r = await post(`${sim.url}/nas-alerts?tags=warning,disk`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, Title: "Disk", prio: "high", "X-Click": "https://panel.example/" },
      body: "Volume 90 % full",
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ topic: "nas-alerts", title: "Disk", message: "Volume 90 % full", priority: 4, tags: ["warning", "disk"], click: "https://panel.example/" });
    expect(sim.received()[0]?.form).toBe("headers");
  });

  it("refuses what ntfy refuses, in ntfy's error shape", async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    expect(await post(`${sim.url}/`, { method: "POST", headers: auth, body: JSON.stringify({ topic: "t", priority: 9 }) })).toMatchObject({ status: 400, body: { code: 40007, http: 400 } });
    expect(await post(`${sim.url}/`, { method: "POST", headers: auth, body: JSON.stringify({ message: "no topic" }) })).toMatchObject({ status: 400, body: { code: 40009 } });
    expect(await post(`${sim.url}/`, { method: "POST", headers: auth, body: JSON.stringify({ topic: "t", prio: 3 }) })).toMatchObject({ status: 400, body: { code: 40017 } });
    expect(await post(`${sim.url}/`, { method: "POST", headers: auth, body: "not json" })).toMatchObject({ status: 400, body: { code: 40017 } });
    expect(await post(`${sim.url}/`, { method: "POST", headers: auth, body: JSON.stringify({ topic: "t", actions: [{ action: "view", label: "x", url: "javascript:alert(1)" }] }) })).toMatchObject({ status: 400, body: { code: 40018 } });
    expect(await post(`${sim.url}/t`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, priority: "loud" }, body: "x" })).toMatchObject({ status: 400, body: { code: 40007 } });
    expect(await post(`${sim.url}/t`, { method: "POST", body: "x" })).toMatchObject({ status: 403, body: { code: 40301 } });
    expect(await post(`${sim.url}/t`, { method: "POST", headers: { authorization: "Bearer tk_wrong" }, body: "x" })).toMatchObject({ status: 401, body: { code: 40101 } });
    expect(sim.received()).toHaveLength(0);
    // The panel's client says what went wrong, without the token or the topic.
    const client = new NtfyClient({ url: sim.url, topic: "secret-topic", token: "tk_wrong", priorities: PRIORITIES, timeoutMs: 3000 });
    const refused = await client.publish(msg());
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatch(/HTTP 401/);
      expect(refused.error).not.toContain("tk_wrong");
      expect(refused.error).not.toContain("secret-topic");
    }
  });

  it("faults: unreachable, 5xx and 429 are failures the client reports (429 with the wait ntfy asks for)", async () => {
    const client = new NtfyClient({ url: sim.url, topic: "t", token: TOKEN, priorities: PRIORITIES, timeoutMs: 2000 });
    await sim.setFault({ kind: "unreachable" });
    const down = await client.publish(msg());
    expect(down.ok).toBe(false);
    await sim.setFault({ kind: "error", status: 503 });
    const five = await client.publish(msg());
    expect(five).toMatchObject({ ok: false });
    if (!five.ok) expect(five.error).toMatch(/HTTP 503/);
    await sim.setFault({ kind: "rate-limit", retryAfterSeconds: 7 });
    const limited = await client.publish(msg());
    expect(limited).toMatchObject({ ok: false, retryAfterMs: 7000 });
    await sim.setFault(null);
    expect((await client.publish(msg())).ok).toBe(true);
    expect(sim.received()).toHaveLength(1);
    expect(sim.refused()).toBe(2);
  });

  it("the outbox keeps a message while ntfy is down and delivers it, once, when it is back", async () => {
    const db = openDatabase(mkdtempSync(path.join(tmpdir(), "panel-outbox-")));
    let now = Date.now();
    const client = new NtfyClient({ url: sim.url, topic: "t", token: TOKEN, priorities: PRIORITIES, timeoutMs: 2000 });
    const target = { name: "phone", type: "ntfy" as const, destination: "ntfy", minSeverity: "warning" as const, send: (m: NotificationMessage, o?: { signal?: AbortSignal }) => client.publish(m, o) };
    const outbox = new Outbox({ db, targets: () => [target] as never, retryMs: 3_600_000, now: () => now });
    await sim.setFault({ kind: "unreachable" });
    outbox.start();
    outbox.enqueue(msg());
    outbox.enqueue(msg({ event: "resolved", title: "Sonarr is back" }));
    await outbox.settled();
    let rows = listNotifications(db);
    expect(rows.every((r) => r.status === "pending")).toBe(true);
    expect(rows.find((r) => r.event === "firing")?.lastError).toBeTruthy();
    await sim.setFault(null);
    for (let i = 0; i < 10 && sim.received().length < 2; i++) {
      now += 11 * 60_000; // past any back-off
      outbox.kick();
      await outbox.settled();
    }
    rows = listNotifications(db);
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
    // In order, each once.
    expect(sim.received().map((r) => r.message.title)).toEqual(["Sonarr is down", "Sonarr is back"]);
    await outbox.stop();
  });
});
