import "server-only";
import { Gauge, type Registry } from "prom-client";
import type { ReadinessMatrix } from "@/lib/readiness/matrix";
import { getRegistry } from "@/server/observability/metrics";

const holder = globalThis as typeof globalThis & { __panelReadinessLast?: Pick<ReadinessMatrix, "services" | "score">; __panelReadinessGauges?: boolean };

/** Remembers the matrix the panel last computed (the Readiness page, the Overview, the API), for the scrape. */
export function rememberReadiness(matrix: Pick<ReadinessMatrix, "services" | "score">): void {
  holder.__panelReadinessLast = { services: matrix.services, score: matrix.score };
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], collect: (g: Gauge<string>, last: NonNullable<typeof holder.__panelReadinessLast>) => void): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const last = holder.__panelReadinessLast;
      if (last) collect(this, last);
    },
  });
}

/**
 * Readiness series, as the matrix was last computed (a scrape computes nothing): each service's
 * score and the stack's, and each failing requirement, so a rule can say when the stack slips.
 */
export function registerReadinessMetrics(registry: Registry = getRegistry()): void {
  gauge(registry, "panel_readiness_percent", "Readiness score of the service: applicable requirements it passes, in percent (rounded down).", ["service"], (g, last) => {
    for (const s of last.services) g.set({ service: s.id }, s.score.percent);
  });
  gauge(registry, "panel_readiness_passed", "Requirements the service passes.", ["service"], (g, last) => {
    for (const s of last.services) g.set({ service: s.id }, s.score.passed);
  });
  gauge(registry, "panel_readiness_applicable", "Requirements that apply to the service.", ["service"], (g, last) => {
    for (const s of last.services) g.set({ service: s.id }, s.score.applicable);
  });
  gauge(registry, "panel_readiness_failing", "1 for each requirement the service fails.", ["service", "requirement"], (g, last) => {
    for (const s of last.services) for (const c of s.cells) if (c.state === "failing") g.set({ service: s.id, requirement: c.requirement }, 1);
  });
  gauge(registry, "panel_readiness_stack_percent", "Readiness score of the whole stack, in percent (rounded down).", [], (g, last) => g.set(last.score.percent));
  gauge(registry, "panel_readiness_stack_passed", "Requirements passed across the stack.", [], (g, last) => g.set(last.score.passed));
  gauge(registry, "panel_readiness_stack_applicable", "Requirements that apply across the stack.", [], (g, last) => g.set(last.score.applicable));
}
