import { describe, expect, it } from "vitest";
import { planTlsCases } from "./tls";

const DAY = 86_400_000;

describe("TLS case plan", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const plans = planTlsCases(["home.example", "app.home.example"]);
  const by = (n: string) => plans.find((p) => p.name === n);

  it("gives each case its host and names", () => {
    expect(by("valid")).toMatchObject({ host: "home.example", sans: ["home.example", "app.home.example"], notAfterDays: 90 });
    expect(by("expiring")).toMatchObject({ host: "app.home.example", sans: ["app.home.example"] });
    expect(by("mismatch")?.sans).not.toContain("home.example");
  });

  it("knows when an existing certificate no longer represents its case", () => {
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    expect(by("valid")?.stillHolds(at(-1), at(89), now)).toBe(true);
    expect(by("valid")?.stillHolds(at(-40), at(50), now)).toBe(false);
    expect(by("expiring")?.stillHolds(at(-70), at(20), now)).toBe(true);
    expect(by("expiring")?.stillHolds(at(-70), at(3), now)).toBe(false);
    expect(by("expired")?.stillHolds(at(-120), at(-30), now)).toBe(true);
    expect(by("expired")?.stillHolds(at(-1), at(10), now)).toBe(false);
  });

  it("falls back to one host when the tree has a single ingress host", () => {
    expect(planTlsCases(["only.example"]).every((p) => p.host === "only.example")).toBe(true);
  });
});
