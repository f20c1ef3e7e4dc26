import { describe, expect, it } from "vitest";
import type { HealthStatus } from "../services";
import { detectorAlertName, observe, vanish, type DetectorAlert, type DetectorEvent, type DetectorSettings } from "./detector";

const S: DetectorSettings = { downProbes: 3, degraded: true, degradedProbes: 5, recoveryProbes: 2, repeatMs: 60_000 };

/** Runs a sequence of probe verdicts (one every 10 s) through the fold; returns every event and the last alert. */
function run(statuses: Array<HealthStatus | `${HealthStatus}~`>, settings: DetectorSettings = S, start?: DetectorAlert) {
  let alert = start;
  const events: Array<DetectorEvent & { step: number }> = [];
  let t = 1_000_000;
  statuses.forEach((raw, step) => {
    // "down~" is a verdict refresh between probes (same probe time), not a new probe.
    const refresh = raw.endsWith("~");
    const status = raw.replace("~", "") as HealthStatus;
    if (!refresh) t += 10_000;
    const r = observe(alert, { serviceId: "media/sonarr", displayName: "Sonarr", appKind: "sonarr", status, reason: `${status} reason`, at: t, probe: !refresh }, settings, t);
    alert = r.alert;
    events.push(...r.events.map((e) => ({ ...e, step })));
  });
  return { alert, events, types: events.map((e) => `${e.step}:${e.type}:${e.alert.severity}`) };
}

describe("the detector", () => {
  it("fires once after the grace period, not once per probe, and recovers once", () => {
    const r = run(["up", "down", "down", "down", "down", "down", "up", "up", "up"]);
    expect(r.types).toEqual(["3:firing:critical", "7:resolved:critical"]);
    expect(r.alert?.status).toBe("resolved");
    expect(detectorAlertName(r.events[0]!.alert)).toBe("ServiceDown");
  });

  it("a blip shorter than the grace period sends nothing and leaves nothing behind", () => {
    const r = run(["down", "down", "up", "down", "up"]);
    expect(r.events).toEqual([]);
    expect(r.alert).toBeUndefined();
  });

  it("counts probes, not verdict refreshes between them", () => {
    const r = run(["down", "down~", "down~", "down~", "down"]);
    expect(r.events).toEqual([]);
    expect(r.alert?.downCount).toBe(2);
    expect(run(["down", "down~", "down", "down"]).types).toEqual(["3:firing:critical"]);
  });

  it("needs the recovery probes in a row: a flap back down keeps it firing without a second message", () => {
    const r = run(["down", "down", "down", "up", "down", "up", "up"]);
    expect(r.types).toEqual(["2:firing:critical", "6:resolved:critical"]);
  });

  it("repeats while it lasts, every repeat interval", () => {
    // 10 s per probe, repeat after 60 s: fired at step 2, repeats at steps 8 and 14.
    const r = run(Array.from({ length: 15 }, () => "down" as const));
    expect(r.types).toEqual(["2:firing:critical", "8:repeat:critical", "14:repeat:critical"]);
    expect(run(Array.from({ length: 15 }, () => "down" as const), { ...S, repeatMs: 0 }).types).toEqual(["2:firing:critical"]);
  });

  it("reports a service that stays degraded as a warning, and escalates it when it goes down", () => {
    const r = run(["degraded", "degraded", "degraded", "degraded", "degraded", "down", "down", "down", "up", "up"]);
    expect(r.types).toEqual(["4:firing:warning", "7:firing:critical", "9:resolved:critical"]);
    expect(r.events[0]!.alert.severity).toBe("warning");
    expect(detectorAlertName(r.events[0]!.alert)).toBe("ServiceDegraded");
    expect(r.events[1]!.escalated).toBe(true);
  });

  it("ignores degraded services when told to", () => {
    expect(run(Array.from({ length: 12 }, () => "degraded" as const), { ...S, degraded: false }).events).toEqual([]);
  });

  it("unknown (the panel cannot tell) neither counts against the service nor for it", () => {
    expect(run(["down", "down", "unknown", "unknown", "down"]).types).toEqual(["4:firing:critical"]);
    expect(run(["down", "down", "down", "unknown", "unknown", "unknown"]).types).toEqual(["2:firing:critical"]);
  });

  it("a firing alert keeps its first time and reason; a new stretch after recovery starts again", () => {
    const r = run(["down", "down", "down", "up", "up", "down", "down", "down"]);
    expect(r.types).toEqual(["2:firing:critical", "4:resolved:critical", "7:firing:critical"]);
    expect(r.events[2]!.alert.since).toBeGreaterThan(r.events[0]!.alert.since);
    expect(r.events[0]!.alert.reason).toBe("down reason");
  });

  it("resolves a firing alert whose service left the cluster, and drops a pending one", () => {
    const firing = run(["down", "down", "down"]).alert as DetectorAlert;
    const gone = vanish(firing, 5_000_000);
    expect(gone.events.map((e) => e.type)).toEqual(["resolved"]);
    expect(gone.alert?.reason).toBe("no longer in the cluster");
    expect(vanish(run(["down"]).alert as DetectorAlert, 5_000_000)).toEqual({ alert: undefined, events: [] });
  });
});
