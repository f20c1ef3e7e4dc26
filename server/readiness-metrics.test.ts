import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { registerReadinessMetrics, rememberReadiness } from "./readiness-metrics";

describe("readiness metrics", () => {
  it("exposes each service's score, its failing requirements and the stack's score as last computed", async () => {
    const registry = new Registry();
    registerReadinessMetrics(registry);
    registerReadinessMetrics(registry);
    rememberReadiness({
      services: [
        {
          id: "media/sonarr",
          namespace: "media",
          name: "sonarr",
          displayName: "Sonarr",
          cells: [
            { requirement: "healthy", state: "passed", reason: "ok." },
            { requirement: "https", state: "failing", reason: "expires." },
            { requirement: "vpn", state: "not-applicable", reason: "n/a." },
          ],
          score: { passed: 1, applicable: 2, percent: 50 },
        },
      ],
      score: { passed: 1, applicable: 2, percent: 50 },
    });
    const text = await registry.metrics();
    expect(text).toContain('panel_readiness_percent{service="media/sonarr"} 50');
    expect(text).toContain('panel_readiness_passed{service="media/sonarr"} 1');
    expect(text).toContain('panel_readiness_applicable{service="media/sonarr"} 2');
    expect(text).toContain('panel_readiness_failing{service="media/sonarr",requirement="https"} 1');
    expect(text).not.toContain('requirement="healthy"');
    expect(text).toMatch(/^panel_readiness_stack_percent 50$/m);
    expect(text).toMatch(/^panel_readiness_stack_applicable 2$/m);
  });
});
